"""Playbook tests for the SSE decoder, encoder and Anthropic message accumulator."""
from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings, strategies as st

from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.core.wire.accumulator import MessageAccumulator
from pichay_tui.core.wire.sse import SSEDecoder, SSEEvent, encode_sse


def _ev(kind: str, **fields) -> tuple[str, dict]:
    return kind, {"type": kind, **fields}


def realistic_events() -> list[tuple[str, dict]]:
    """A stream with thinking, text with citations, a server tool, a real tool call and an empty-input tool call."""
    msg = {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
           "stop_reason": None, "stop_sequence": None,
           "usage": {"input_tokens": 1200, "cache_read_input_tokens": 900, "output_tokens": 1, "service_tier": "standard"}}
    return [
        _ev("message_start", message=msg),
        _ev("ping"),
        _ev("content_block_start", index=0, content_block={"type": "thinking", "thinking": "", "signature": ""}),
        _ev("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "Let me think "}),
        _ev("content_block_delta", index=0, delta={"type": "thinking_delta", "thinking": "é☃🎉 carefully."}),
        _ev("content_block_delta", index=0, delta={"type": "signature_delta", "signature": "EqQBCkYIBxgCKkA=="}),
        _ev("content_block_stop", index=0),
        _ev("content_block_start", index=1, content_block={"type": "redacted_thinking", "data": "ENCRYPTED"}),
        _ev("content_block_stop", index=1),
        _ev("content_block_start", index=2, content_block={"type": "text", "text": ""}),
        _ev("content_block_delta", index=2, delta={"type": "text_delta", "text": "Hello, "}),
        _ev("content_block_delta", index=2, delta={"type": "citations_delta",
                                                   "citation": {"type": "char_location", "cited_text": "x"}}),
        _ev("content_block_delta", index=2, delta={"type": "text_delta", "text": "wörld\nline two"}),
        _ev("content_block_stop", index=2),
        _ev("content_block_start", index=3, content_block={"type": "server_tool_use", "id": "srv_1",
                                                           "name": "web_search", "input": {}}),
        _ev("content_block_delta", index=3, delta={"type": "input_json_delta", "partial_json": '{"query": "pa'}),
        _ev("content_block_delta", index=3, delta={"type": "input_json_delta", "partial_json": 'ging"}'}),
        _ev("content_block_stop", index=3),
        _ev("content_block_start", index=4, content_block={"type": "web_search_tool_result", "tool_use_id": "srv_1",
                                                           "content": [{"type": "web_search_result", "url": "u"}]}),
        _ev("content_block_stop", index=4),
        _ev("content_block_start", index=5, content_block={"type": "tool_use", "id": "toolu_1", "name": "Read",
                                                           "input": {}}),
        _ev("content_block_delta", index=5, delta={"type": "input_json_delta", "partial_json": ""}),
        _ev("content_block_delta", index=5, delta={"type": "input_json_delta", "partial_json": '{"file_path": "/a/'}),
        _ev("content_block_delta", index=5, delta={"type": "input_json_delta", "partial_json": 'b.py", "limit": 5}'}),
        _ev("content_block_stop", index=5),
        _ev("content_block_start", index=6, content_block={"type": "tool_use", "id": "toolu_2", "name": "TodoRead",
                                                           "input": {}}),
        _ev("content_block_stop", index=6),
        _ev("message_delta", delta={"stop_reason": "tool_use", "stop_sequence": None},
            usage={"output_tokens": 321, "cache_creation_input_tokens": 40}),
        _ev("message_stop"),
    ]


def to_bytes(events: list[tuple[str, dict]], eol: str = "\n") -> bytes:
    return b"".join(encode_sse(n, d).replace(b"\n", eol.encode()) for n, d in events)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = [0, *sorted(set(c % (len(data) + 1) for c in cuts)), len(data)]
    return [data[a:b] for a, b in zip(points, points[1:])]


def decode_all(chunks: list[bytes]) -> list[SSEEvent]:
    dec = SSEDecoder()
    out = [ev for c in chunks for ev in dec.feed(c)]
    return out + dec.flush()


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_line_endings_give_same_events_and_exact_raw(eol):
    data = to_bytes(realistic_events(), eol)
    events = decode_all([data])
    assert [(e.event, orjson.loads(e.data)) for e in events] == realistic_events()
    assert b"".join(e.raw for e in events) == data


def test_every_single_split_point_including_inside_utf8():
    data = to_bytes(realistic_events()[:6], "\r\n")
    whole = decode_all([data])
    for cut in range(len(data) + 1):
        assert decode_all([data[:cut], data[cut:]]) == whole


def test_byte_by_byte_feed():
    data = to_bytes(realistic_events(), "\r")
    assert decode_all([data[i:i + 1] for i in range(len(data))]) == decode_all([data])


@settings(max_examples=150, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=40), eol=st.sampled_from(["\n", "\r\n", "\r"]))
def test_random_chunkings_same_events_and_message(cuts, eol):
    data = to_bytes(realistic_events(), eol)
    events = decode_all(chunked(data, cuts))
    assert events == decode_all([data])
    assert b"".join(e.raw for e in events) == data
    acc = MessageAccumulator()
    for e in events:
        acc.feed(e.event, e.json())
    assert acc.message == expected_message()


def test_multiline_data_comments_and_dataless_events():
    data = b": keepalive\n\nevent: a\ndata: one\ndata:two\n\nevent: orphan\n\nid: 7\nretry: 5\nbogus\ndata: x\n\n"
    events = decode_all([data])
    assert [(e.event, e.data) for e in events] == [("a", "one\ntwo"), (None, "x")]
    assert events[0].raw == b": keepalive\n\nevent: a\ndata: one\ndata:two\n\n"
    assert b"".join(e.raw for e in events) == data


def test_lone_cr_at_chunk_end_waits_for_possible_lf():
    dec = SSEDecoder()
    assert dec.feed(b"data: a\r") == []
    out = dec.feed(b"\n\r")
    assert out == []  # "\r" could still be the start of a CRLF blank line
    out = dec.feed(b"\ndata: b\n\n")
    assert [(e.data, e.raw) for e in out] == [("a", b"data: a\r\n\r\n"), ("b", b"data: b\n\n")]


def test_bom_and_flush_of_unterminated_event():
    dec = SSEDecoder()
    assert dec.feed(b"\xef\xbb") == []
    out = dec.feed(b"\xbfdata: a\n\ndata: tail")
    assert [e.data for e in out] == ["a"] and out[0].raw.startswith(b"\xef\xbb\xbf")
    assert [(e.data, e.raw) for e in dec.flush()] == [("tail", b"data: tail")]
    assert dec.flush() == []


def test_encode_sse_shape_and_roundtrip():
    assert encode_sse("ping", {"type": "ping"}) == b'event: ping\ndata: {"type":"ping"}\n\n'
    assert encode_sse("x", "a\nb") == b"event: x\ndata: a\ndata: b\n\n"
    assert [(e.event, e.data) for e in decode_all([encode_sse("x", "a\nb")])] == [("x", "a\nb")]


def expected_message() -> dict:
    return {
        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [
            {"type": "thinking", "thinking": "Let me think é☃🎉 carefully.", "signature": "EqQBCkYIBxgCKkA=="},
            {"type": "redacted_thinking", "data": "ENCRYPTED"},
            {"type": "text", "text": "Hello, wörld\nline two",
             "citations": [{"type": "char_location", "cited_text": "x"}]},
            {"type": "server_tool_use", "id": "srv_1", "name": "web_search", "input": {"query": "paging"}},
            {"type": "web_search_tool_result", "tool_use_id": "srv_1",
             "content": [{"type": "web_search_result", "url": "u"}]},
            {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "/a/b.py", "limit": 5}},
            {"type": "tool_use", "id": "toolu_2", "name": "TodoRead", "input": {}},
        ],
        "stop_reason": "tool_use", "stop_sequence": None,
        "usage": {"input_tokens": 1200, "cache_read_input_tokens": 900, "output_tokens": 321,
                  "service_tier": "standard", "cache_creation_input_tokens": 40},
    }


def test_accumulator_summary_and_non_streaming_equivalence():
    acc = MessageAccumulator()
    for name, data in realistic_events():
        acc.feed(name, data)
    assert acc.complete and acc.error is None and acc.problems == []
    summary = acc.to_summary()
    assert isinstance(summary, ResponseSummary) and summary.stop_reason == "tool_use"
    assert summary.usage == {"input_tokens": 1200, "cache_read_input_tokens": 900, "output_tokens": 321,
                             "cache_creation_input_tokens": 40}
    assert summary.content == expected_message()["content"]
    again = MessageAccumulator.from_json_message(expected_message())
    assert again.complete and again.message == expected_message()


def test_error_event_and_bad_tool_json():
    acc = MessageAccumulator()
    events = realistic_events()[:2] + [
        _ev("content_block_start", index=0, content_block={"type": "tool_use", "id": "t", "name": "X", "input": {}}),
        _ev("content_block_delta", index=0, delta={"type": "input_json_delta", "partial_json": '{"a": '}),
        _ev("error", error={"type": "overloaded_error", "message": "Overloaded"})]
    for name, data in events:
        acc.feed(name, data)
    assert not acc.complete
    assert acc.content[0]["input"] == {} and acc.problems
    assert acc.to_summary(529).error == "overloaded_error: Overloaded"
    err = MessageAccumulator.from_json_message({"type": "error", "error": {"type": "invalid_request_error",
                                                                            "message": "bad"}})
    assert err.to_summary(400).error == "invalid_request_error: bad" and not err.complete
