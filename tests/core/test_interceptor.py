"""Playbook tests: upstream Anthropic events in, client events and phantom calls out."""
from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings, strategies as st

from pichay_tui.core.wire.sse import SSEDecoder, encode_sse
from pichay_tui.core.wire.interceptor import StreamInterceptor, intercept_message
from pichay_tui.core.wire.stream_checks import validate_client_stream


def start(msg_id="msg_1"):
    return [("message_start", {"type": "message_start", "message": {
        "id": msg_id, "type": "message", "role": "assistant", "model": "claude-opus-4-1", "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 50, "output_tokens": 1}}}),
        ("ping", {"type": "ping"})]


def text(i, *pieces):
    return [("content_block_start", {"type": "content_block_start", "index": i,
                                     "content_block": {"type": "text", "text": ""}})] + [
        ("content_block_delta", {"type": "content_block_delta", "index": i,
                                 "delta": {"type": "text_delta", "text": p}}) for p in pieces] + [
        ("content_block_stop", {"type": "content_block_stop", "index": i})]


def thinking(i):
    return [("content_block_start", {"type": "content_block_start", "index": i,
                                     "content_block": {"type": "thinking", "thinking": "", "signature": ""}}),
            ("content_block_delta", {"type": "content_block_delta", "index": i,
                                     "delta": {"type": "thinking_delta", "thinking": "<memory_cleanup>hm"}}),
            ("content_block_delta", {"type": "content_block_delta", "index": i,
                                     "delta": {"type": "signature_delta", "signature": "SIG=="}}),
            ("content_block_stop", {"type": "content_block_stop", "index": i})]


def tool(i, name, tid, *json_pieces):
    return [("content_block_start", {"type": "content_block_start", "index": i, "content_block": {
        "type": "tool_use", "id": tid, "name": name, "input": {}}})] + [
        ("content_block_delta", {"type": "content_block_delta", "index": i,
                                 "delta": {"type": "input_json_delta", "partial_json": p}}) for p in json_pieces] + [
        ("content_block_stop", {"type": "content_block_stop", "index": i})]


def end(stop_reason="end_turn"):
    return [("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                               "usage": {"output_tokens": 77}}),
            ("message_stop", {"type": "message_stop"})]


def to_bytes(events):
    return b"".join(encode_sse(n, d) for n, d in events)


def events_of(chunks):
    dec = SSEDecoder()
    return [(e.event, orjson.loads(e.data)) for c in chunks for e in dec.feed(c)] + [
        (e.event, orjson.loads(e.data)) for e in dec.flush()]


def run(events, chunks=None, **kw):
    data = to_bytes(events)
    ic = StreamInterceptor(**kw)
    out = [b for c in (chunks or [data]) for b in ic.feed(c)] + ic.finish()
    return ic, out


RELEASE = ('{"pa', 'ths": ["/src/big', '.py", "b12"]}')
MIXED = (start() + text(0, "I will read.") + thinking(1) + tool(2, "Read", "toolu_r", '{"file_path": "/a.py"}')
         + tool(3, "memory_release", "toolu_p", *RELEASE) + text(4, "Then ", "more.") + end("tool_use"))


def test_untouched_stream_passes_byte_exactly():
    events = start() + thinking(0) + text(1, "Hello ", "world") + tool(2, "Bash", "t1", '{"command": "ls"}') + end()
    ic, out = run(events)
    assert b"".join(out) == to_bytes(events)
    assert ic.phantom_calls == [] and not ic.only_phantom and validate_client_stream(out) == []


def test_phantom_call_split_across_many_chunks():
    events = start() + tool(0, "memory_fault", "toolu_f", '{"paths"', ': ["/x', '.py"]}') + text(1, "ok") + end()
    data = to_bytes(events)
    ic, out = run(events, chunks=[data[i:i + 3] for i in range(0, len(data), 3)])
    assert ic.phantom_calls == [{"type": "tool_use", "id": "toolu_f", "name": "memory_fault",
                                 "input": {"paths": ["/x.py"]}}]
    client = events_of(out)
    assert [d.get("index") for _, d in client if d["type"] == "content_block_start"] == [0]
    assert validate_client_stream(out) == [] and ic.client_message["content"] == [{"type": "text", "text": "ok"}]


def test_mixed_blocks_renumbered_and_real_tool_kept():
    ic, out = run(MIXED)
    assert validate_client_stream(out) == []
    assert [b["type"] for b in ic.client_message["content"]] == ["text", "thinking", "tool_use", "text"]
    assert ic.client_message["content"][1]["signature"] == "SIG=="
    assert ic.client_message["content"][1]["thinking"] == "<memory_cleanup>hm"  # signed: never touched
    assert ic.client_message["stop_reason"] == "tool_use" and not ic.only_phantom
    assert ic.phantom_calls[0]["input"] == {"paths": ["/src/big.py", "b12"]}
    assert len(ic.message["content"]) == 5 and ic.usage["output_tokens"] == 77
    # everything before the phantom block is byte-identical; the last text block is renumbered 4 -> 3
    prefix = to_bytes(MIXED[:2 + 3 + 4 + 3])
    assert b"".join(out).startswith(prefix)
    assert b'"index":3' in out[-4] and validate_client_stream(out) == []


@pytest.mark.parametrize("where", ["first", "last"])
def test_phantom_first_or_last(where):
    ph = tool(0 if where == "first" else 1, "memory_release", "p", '{"paths": ["a"]}')
    tx = text(1 if where == "first" else 0, "answer")
    events = start() + (ph + tx if where == "first" else tx + ph) + end("tool_use")
    ic, out = run(events)
    assert validate_client_stream(out) == [] and ic.only_phantom
    assert ic.client_message["content"] == [{"type": "text", "text": "answer"}]
    assert ic.client_message["stop_reason"] == "end_turn"  # the client saw no tool_use


def test_only_phantom_hold_mode_and_continuation_splice():
    first, out1 = run(start() + text(0, "Let me free memory.") + tool(1, "memory_release", "p1", '{"paths": ["b3"]}')
                      + end("tool_use"), hold_message_end=True)
    assert first.only_phantom and first.next_index == 1
    assert [d["type"] for _, d in events_of(out1)][-1] == "content_block_stop"  # end held
    cont = StreamInterceptor.continue_from(first)
    second = start("msg_2") + text(0, "Now the answer.") + tool(1, "Edit", "t9", '{"x": 1}') + end("tool_use")
    out2 = cont.feed(to_bytes(second)) + cont.finish()
    assert "message_stop" not in [d["type"] for _, d in events_of(out2)]  # hold mode is inherited
    assert not cont.only_phantom  # real tool: the proxy releases the end instead of continuing again
    out2 += cont.release_end()
    assert cont.release_end() == []
    client = out1 + out2
    assert validate_client_stream(client) == []
    msg = cont.client_message
    assert msg["id"] == "msg_1" and msg["stop_reason"] == "tool_use"
    assert [b["type"] for b in msg["content"]] == ["text", "text", "tool_use"]
    assert cont.phantom_calls == [] and first.phantom_calls[0]["input"] == {"paths": ["b3"]}


def test_hold_mode_released_without_continuation():
    ic, out = run(start() + tool(0, "memory_fault", "p", "{}") + end("tool_use"), hold_message_end=True)
    out += ic.release_end()
    assert validate_client_stream(out) == [] and ic.client_message["content"] == []
    assert ic.client_message["stop_reason"] == "end_turn" and ic.stop_reason == "tool_use"


CLEANUP_TEXT = "Done.\n<memory_cleanup>\ndrop: block:b1\nrelease: /a.py, b2\n</memory_cleanup>\nNext step."


@settings(max_examples=200, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(CLEANUP_TEXT)), max_size=8))
def test_cleanup_tag_split_across_deltas_anywhere(cuts):
    points = [0, *sorted(set(cuts)), len(CLEANUP_TEXT)]
    pieces = [CLEANUP_TEXT[a:b] for a, b in zip(points, points[1:])]
    ic, out = run(start() + text(0, *pieces) + text(1, "second") + end())
    assert validate_client_stream(out) == []
    assert [b["text"] for b in ic.client_message["content"]] == ["Done.\nNext step.", "second"]
    assert [(o.op, o.targets) for o in ic.cleanup_ops] == [("drop", ["b1"]), ("release", ["/a.py", "b2"])]
    assert ic.message["content"][0]["text"] == CLEANUP_TEXT


def test_text_block_holding_only_cleanup_is_dropped_and_indices_shift():
    ic, out = run(start() + text(0, "\n<memory_cleanup>anchor: b5</memory_cleanup>\n") + text(1, "hi") + end())
    assert validate_client_stream(out) == []
    assert ic.client_message["content"] == [{"type": "text", "text": "hi"}]
    assert [o.op for o in ic.cleanup_ops] == ["anchor"]


def test_tag_like_text_inside_tool_input_is_not_a_cleanup_block():
    payload = orjson.dumps({"content": "<memory_cleanup>drop: b1</memory_cleanup>"}).decode()
    events = start() + tool(0, "Write", "t", payload[:20], payload[20:]) + end("tool_use")
    ic, out = run(events)
    assert b"".join(out) == to_bytes(events) and ic.cleanup_ops == []


def test_strip_cleanup_off_passes_text_untouched():
    events = start() + text(0, CLEANUP_TEXT) + end()
    ic, out = run(events, strip_cleanup=False)
    assert b"".join(out) == to_bytes(events) and ic.cleanup_ops == []


@settings(max_examples=100, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=30))
def test_random_chunkings_give_identical_client_output(cuts):
    events = MIXED[:-2] + text(5, *CLEANUP_TEXT.partition("drop")[::2]) + MIXED[-2:]
    data = to_bytes(events)
    points = [0, *sorted(set(c % (len(data) + 1) for c in cuts)), len(data)]
    ic, out = run(events, chunks=[data[a:b] for a, b in zip(points, points[1:])])
    ref, ref_out = run(events)
    assert b"".join(out) == b"".join(ref_out) and ic.phantom_calls == ref.phantom_calls


def test_non_streaming_equivalent_matches_streaming():
    events = MIXED[:-2] + text(5, CLEANUP_TEXT) + text(6, "<memory_cleanup>drop: b9</memory_cleanup>") + MIXED[-2:]
    ic, _ = run(events)
    client, calls, ops = intercept_message(ic.message)
    assert client == ic.client_message and calls == ic.phantom_calls and ops == ic.cleanup_ops
    only, calls, _ = intercept_message({"content": [calls[0]], "stop_reason": "tool_use"})
    assert only == {"content": [], "stop_reason": "end_turn"}


def test_error_event_passes_through_and_validator_accepts_early_end():
    err = ("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    ic, out = run(start() + text(0, "par")[:2] + [err])
    assert validate_client_stream(out) == [] and ic.upstream.error["type"] == "overloaded_error"


def test_validator_reports_broken_streams():
    good = start() + text(0, "a") + end()
    assert validate_client_stream(to_bytes(good)) == []
    assert validate_client_stream(good) == []
    cases = {
        "message_start": start() + good,
        "expected 0": start() + text(1, "a") + end(),
        "never stopped": start() + text(0, "a")[:-1] + end()[1:],
        "no stop_reason": start() + text(0, "a") + end()[1:],
        "phantom tool": start() + tool(0, "memory_fault", "p", "{}") + end("tool_use"),
        "without a tool_use": start() + text(0, "a") + end("tool_use"),
        "blank": start() + text(0, "  ") + end(),
        "not valid JSON": start() + tool(0, "X", "t", '{"a"') + end("tool_use"),
        "event name": [("ping", {"type": "message_stop"})] + good,
    }
    for needle, events in cases.items():
        problems = validate_client_stream(events)
        assert any(needle in p for p in problems), (needle, problems)
