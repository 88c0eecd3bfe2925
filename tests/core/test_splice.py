"""Splicing changed values into the client's bytes: everything we did not change keeps its exact bytes."""
from __future__ import annotations

import json
import random

import orjson
import pytest

from pichay_tui.core.wire.parse import loads
from pichay_tui.core.wire.splice import Memo, splice
from pichay_tui.core.errors import SpliceError

WEIRD = (b'{"role":"assistant", "content":[{"type":"tool_use","id":"tu1","name":"Bash",'
         b'"input":{"n":123456789012345678901234567890,"f":1.10,"e":1E400,"s":"caf\\u00e9 \\ud83d\\ude00",'
         b'"dup":1,"dup":2,"z":null,"a":true}}]}')


def body_bytes(extra_msgs: int = 3) -> bytes:
    msgs = [b'{"role":"user","content":"hi \\u2603"}', WEIRD]
    for i in range(extra_msgs):
        msgs.append(b'{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu%d","content":"out %d"}]}'
                    % (i, i))
        msgs.append(b'{"role":"assistant","content":[{"type":"text","text":"ok %d","n":1e2}]}' % i)
    return (b'{ "model" : "m", "max_tokens":10, "metadata":{"k":12345678901234567890123},\n "messages": [ '
            + b" ,\n ".join(msgs) + b' ], "tools":[{"name":"Bash","input_schema":{"type":"object"}}] }')


def test_unchanged_body_is_the_same_bytes():
    raw = body_bytes()
    body = loads(raw)
    assert splice(raw, body, body) is raw
    assert splice(raw, body, {**body, "messages": list(body["messages"])}) == raw


def test_replaced_block_changes_only_that_block():
    raw = body_bytes()
    body = loads(raw)
    msgs = list(body["messages"])
    handle = {"type": "tool_result", "tool_use_id": "tu1", "content": "[handle p123]"}
    msgs[4] = {**msgs[4], "content": [handle]}
    out = splice(raw, body, {**body, "messages": msgs})
    assert loads(out)["messages"][4]["content"] == [handle]
    old = b'[{"type":"tool_result","tool_use_id":"tu1","content":"out 1"}]'
    assert out == raw.replace(old, b"[" + orjson.dumps(handle) + b"]")
    assert b"123456789012345678901234567890" in out and b'"dup":1,"dup":2' in out and b"\\u00e9" in out


def test_appended_note_and_added_key_keep_the_rest():
    raw = body_bytes()
    body = loads(raw)
    msgs = list(body["messages"])
    last = msgs[-1]
    msgs[-1] = {**last, "content": list(last["content"]) + [{"type": "text", "text": "note"}]}
    msgs[-2] = {**msgs[-2], "extra": 1}
    new = {**body, "messages": msgs, "tools": body["tools"] + [{"name": "memory_fault"}]}
    out = splice(raw, body, new)
    assert loads(out) == new
    assert out.startswith(raw[:raw.index(b'"messages"')])
    assert WEIRD in out


def test_collapse_removes_messages_and_keeps_the_others_bytes():
    raw = body_bytes(5)
    body = loads(raw)
    msgs = list(body["messages"])
    summary = {"role": "user", "content": [{"type": "text", "text": "summary"}]}
    kept = msgs[:2] + [summary] + msgs[6:]
    kept[-1] = {**kept[-1], "content": list(kept[-1]["content"]) + [{"type": "text", "text": "n"}]}
    out = splice(raw, body, {**body, "messages": kept})
    assert loads(out)["messages"] == kept
    assert WEIRD in out


def test_cached_equal_message_from_an_older_body_keeps_this_bodys_bytes():
    raw = body_bytes()
    body = loads(raw)
    older = loads(raw)                    # equal values, other objects (the outbound cache's case)
    msgs = list(body["messages"])
    msgs[1] = {**older["messages"][1]}
    msgs[2] = {**older["messages"][2], "content": [{"type": "tool_result", "tool_use_id": "tu0", "content": "h"}]}
    out = splice(raw, body, {**body, "messages": msgs})
    assert WEIRD in out and b"123456789012345678901234567890" in out


@pytest.mark.parametrize("exact_max", [Memo.EXACT_MAX, 0])     # bodies kept and compared exactly / by digest
def test_memo_reuses_a_rendering_only_for_the_same_client_bytes(monkeypatch, exact_max):
    monkeypatch.setattr(Memo, "EXACT_MAX", exact_max)
    memo = Memo()
    handle = {"type": "tool_result", "tool_use_id": "tu0", "content": "[handle p1]"}

    def outbound(raw: bytes, cached: dict | None) -> tuple[dict, dict, dict]:
        body = loads(raw)
        msgs = list(body["messages"])
        new = cached or {**msgs[2], "content": [handle, {"type": "text", "text": "n", "n": msgs[3]["content"][0]["n"]}]}
        msgs[2] = new                     # the pager's cached rebuilt message, the same object every request
        return body, {**body, "messages": msgs}, new

    raw = body_bytes()
    body, out_body, new = outbound(raw, None)
    first = splice(raw, body, out_body, memo)
    assert first == splice(raw, body, out_body)
    again = bytes(bytearray(raw))         # the next request: equal bytes, another object
    body, out_body, _ = outbound(again, new)
    assert splice(again, body, out_body, memo) == first
    # the client re-sent that message with other bytes that parse equal: the memo must not answer with the old ones
    changed = again.replace(b'{"role":"user","content":[{"type":"tool_result","tool_use_id":"tu0"',
                            b'{"role":"us\\u0065r","content":[{"type":"tool_result","tool_use_id":"tu0"', 1)
    assert changed != again and loads(changed) == loads(again)
    body, out_body, _ = outbound(changed, new)
    out = splice(changed, body, out_body, memo)
    assert out == splice(changed, body, out_body) and b'"role":"us\\u0065r"' in out


def test_bytes_that_do_not_match_the_body_raise():
    raw = body_bytes()
    body = loads(raw)
    with pytest.raises(SpliceError):
        splice(raw, {**body, "messages": body["messages"][:-1]},
               {**body, "messages": body["messages"][:-2]})


def _random_value(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth > 3 or r < 0.3:
        return rng.choice([0, -1, 10**30, 1.5, "x", 'q"\\\n\u00e9\U0001F600', None, True, False, ""])
    if r < 0.6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {f"k{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}


@pytest.mark.parametrize("seed", range(40))
def test_random_edits_round_trip(seed):
    """Python's json (spaces, ASCII escapes) writes the client bytes; random blocks change; the result parses to
    the new body and every untouched message keeps its bytes."""
    rng = random.Random(seed)
    msgs = [{"role": rng.choice(["user", "assistant"]),
             "content": [{"type": "text", "text": "t", "v": _random_value(rng)} for _ in range(rng.randint(1, 3))]}
            for _ in range(rng.randint(2, 8))]
    raw = json.dumps({"model": "m", "messages": msgs, "x": _random_value(rng)}, indent=rng.choice([None, 1])).encode()
    body = loads(raw)
    new_msgs = list(body["messages"])
    touched = set()
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(new_msgs))
        touched.add(i)
        content = list(new_msgs[i]["content"])
        content[rng.randrange(len(content))] = {"type": "text", "text": "handle"}
        if rng.random() < 0.3:
            content.append({"type": "text", "text": "extra"})
        new_msgs[i] = {**new_msgs[i], "content": content}
    new = {**body, "messages": new_msgs}
    out = splice(raw, body, new)
    assert loads(out) == new
    for i, m in enumerate(msgs):
        if i not in touched:
            assert json.dumps(m, indent=None).encode() in out or b"\n" in raw


def test_memo_span_reuse_follows_every_change_of_the_client_bytes():
    """The memo reuses the previous body's array spans where the bytes are equal; any difference (an appended
    message, an edited one, a longer number, other spacing) must give exactly what a splice without memo gives."""
    memo = Memo()

    def edit(raw: bytes) -> bytes:
        body = loads(raw)
        msgs = list(body["messages"])
        msgs[2] = {**msgs[2], "content": [{"type": "tool_result", "tool_use_id": "tu0", "content": "[handle]"}]}
        nums = list(body["nums"])
        nums[1] = 7
        new = {**body, "messages": msgs, "nums": nums}
        out = splice(raw, body, new, memo)
        assert out == splice(raw, body, new) and loads(out) == new
        return out

    base = body_bytes(3)[:-1] + b', "nums": [1, 22, 3, [4, 5]] }'
    variants = [
        base,
        bytes(bytearray(base)),                                             # equal bytes, another object
        base.replace(b'"nums": [1, 22, 3', b'"nums": [1, 223, 3'),          # a number grows by one digit
        base.replace(b'"nums": [1, 22, 3', b'"nums": [1, 22 , 3'),
        base.replace(b"\"content\":\"out 2\"", b"\"content\":\"out 2 longer\""),   # a later message edited
        body_bytes(5)[:-1] + b', "nums": [1, 22, 3, [4, 5]] }',            # messages appended
        body_bytes(2)[:-1] + b', "nums": [1, 22, 3, [4, 5]] }',            # and removed
        base.replace(b' ], "tools"', b' ,{"role":"user","content":"more"} ], "tools"'),
        base,
    ]
    for raw in variants:
        edit(raw)
