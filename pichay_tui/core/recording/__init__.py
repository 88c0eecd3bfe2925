"""Recordings, importers of foreign session files, and replaying them frame by frame.

The names below are the recording API (`from pichay_tui.core import recording as rec`): builders in records.py,
the reader in reader.py, the replay loop in drive.py.
"""
from ..errors import RecordingError
from .drive import Driver, follow_session, replay
from .reader import (RecordedCommand, RecordedRequest, RecordedResponse, is_recording, iter_records, load_exchanges,
                     read_header, read_recording, read_segments)
from .records import (BodyDelta, apply_outbound, client_session, command_record, dumps, header_record, outbound_diff,
                      request_record, resolve_body, resolve_outbound, response_record, safe_headers)

__all__ = ["BodyDelta", "Driver", "RecordedCommand", "RecordedRequest", "RecordedResponse", "RecordingError",
           "apply_outbound", "client_session", "command_record", "dumps", "follow_session", "header_record",
           "is_recording", "iter_records", "load_exchanges", "outbound_diff", "read_header", "read_recording",
           "read_segments", "replay", "request_record", "resolve_body", "resolve_outbound", "response_record",
           "safe_headers"]
