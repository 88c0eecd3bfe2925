"""`--record` never destroys: a restart of the installed `pichay-tui serve` on the same file appends a segment, and
analyze / replay read every segment (also after a crash left half a line)."""
from __future__ import annotations

import httpx
import orjson

from pichay_tui.core import recording as rec
from pichay_tui.core.recording.sources import frames_from_recording
from pichay_tui.core.lab.synthetic import Conversation
from serve_cmd import run_to_exit, start_serve


async def _turns(url: str, conv: Conversation, n: int, start: int = 0) -> None:
    async with httpx.AsyncClient(timeout=30) as c:
        for i in range(start, start + n):
            conv.read(f"/src/s{i % 4}.py", lines=50)
            r = await c.post(f"{url}/v1/messages", content=orjson.dumps({**conv.body(), "stream": False}),
                             headers={"x-api-key": "dummy", "content-type": "application/json"})
            assert r.status_code == 200, r.text


async def test_restart_appends_a_segment_and_readers_see_both(upstream, tmp_path):
    path = tmp_path / "session.jsonl"
    conv = Conversation("segments")
    serve = await start_serve("--upstream", upstream.url, "--record", str(path))
    await _turns(serve.url, conv, 5)
    assert (await serve.stop())[0] == 0
    first = path.read_bytes()
    first_size = len(first)
    # a crash mid-write leaves half a line; the next start must neither lose nor trip over it
    path.write_bytes(first + b'{"type": "response", "id": 99, "trunc')
    serve = await start_serve("--upstream", upstream.url, "--record", str(path))
    await _turns(serve.url, conv, 4, start=5)
    code, err = await serve.stop()
    assert code == 0 and "Traceback" not in err
    data = path.read_bytes()
    assert data.startswith(first) and len(data) > first_size        # the first run's bytes are all still there
    headers = rec.read_segments(path)
    assert len(headers) == 2 and headers[0]["ts"] < headers[1]["ts"]
    steps = list(rec.read_recording(path))
    requests = [s for s in steps if isinstance(s, rec.RecordedRequest)]
    assert len(requests) == 9 and len({s.id for s in requests}) == 9      # ids stay unique across segments
    assert all(s.exchange.response is not None for s in requests)
    frames, header = frames_from_recording(path)                     # what `pichay-tui replay` steps through
    assert len(frames) == 9 and header["ts"] == headers[0]["ts"]
    code, out, err = await run_to_exit("analyze", str(path), "--json")
    assert code == 0, err
    [s] = orjson.loads(out)["sessions"]
    assert s["request_count"] == 9


async def test_record_refuses_a_file_that_is_not_a_recording(upstream, tmp_path):
    precious = tmp_path / "notes.txt"
    precious.write_text("my notes, not a recording\n")
    code, out, err = await run_to_exit("serve", "--port", "0", "--upstream", upstream.url, "--record", str(precious))
    assert code == 1 and "not a pichay recording" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    # the TUI refuses it too, before it takes the screen
    code, out, err = await run_to_exit("--port", "0", "--record", str(precious), timeout=20)
    assert code == 1 and "not a pichay recording" in err and "Traceback" not in err
    assert precious.read_text() == "my notes, not a recording\n"


def test_reader_still_rejects_garbage_inside_a_segment(tmp_path):
    path = tmp_path / "bad.jsonl"
    header = rec.dumps(rec.header_record(1.0, {}))
    path.write_bytes(header + b"{broken\n" + rec.dumps({"type": "command", "ts": 2.0, "command": "x", "args": {},
                                                         "ok": True}))
    try:
        list(rec.iter_records(path))
    except rec.RecordingError as e:
        assert ":2: not JSON" in str(e)
    else:
        raise AssertionError("a broken line in the middle of a segment was accepted")
