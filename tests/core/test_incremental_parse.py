"""Incremental parsing of request bodies (core/wire/incremental.py) gives what a full parse gives, for random edits of
a history; and nothing in the engine changes a parsed body in place (reused objects are shared between requests)."""
from __future__ import annotations

import copy
import json
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.wire.incremental import ParseCache
from pichay_tui.core.wire.parse import loads
from pichay_tui.core.wire.splice import Memo, splice
from pichay_tui.core.wire.splice_scan import _ws, array_elements, object_members


def typed(v):
    """A value with every number's type and repr spelled out (1 == 1.0 and nan != nan would hide differences)."""
    if isinstance(v, dict):
        return ("d", [(k, typed(x)) for k, x in v.items()])
    if isinstance(v, list):
        return ("l", [typed(x) for x in v])
    if isinstance(v, float):
        return ("f", repr(v))
    return (type(v).__name__, v)


class Raw:
    """A value written by hand as JSON text (big integers, duplicate keys, odd spacing stay as written)."""

    def __init__(self, text: str) -> None:
        self.text = text


def enc(v, rnd: random.Random) -> str:
    """JSON text of `v`, spacing and escaping chosen at random per container (clients differ)."""
    sp = rnd.choice(["", "", " ", "\n  "])
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, dict):
        return "{" + sp + ("," + sp).join(json.dumps(k, ensure_ascii=rnd.random() < 0.5) + ":" + sp + enc(x, rnd)
                                          for k, x in v.items()) + sp + "}"
    if isinstance(v, list):
        return "[" + sp + ("," + sp).join(enc(x, rnd) for x in v) + sp + "]"
    return json.dumps(v, ensure_ascii=rnd.random() < 0.5)


scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                    st.sampled_from([Raw("123456789012345678901234567890"), Raw("-0"), Raw("1E+2"), Raw("0.0"),
                                     Raw('"\\ud83d\\ude00"'), Raw('{"k": 1, "k": 2}'), Raw("[ ]"), Raw("{ }")]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                      max_leaves=12)
messages = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]),
                                  "content": st.one_of(st.text(max_size=40), st.lists(values, max_size=3))})
edits = st.lists(st.tuples(st.sampled_from(["append", "append", "edit", "truncate", "model", "tools", "dup",
                                            "reorder", "big"]),
                           st.integers(0, 1000), messages), min_size=1, max_size=8)


def body_text(model: str, history: list[str], tools: list, rnd: random.Random, order: list[str], dup: bool) -> bytes:
    members = {"model": model, "messages": Raw("[" + ",".join(history) + "]"), "tools": tools,
               "max_tokens": Raw("32000"), "stream": True}
    parts = [json.dumps(k) + ":" + enc(members[k], rnd) for k in order]
    if dup:
        parts.append('"max_tokens":' + rnd.choice(["1", "64000"]))
    return ("{" + ",".join(parts) + "}").encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, min_size=1, max_size=6), edits, st.integers(0, 2**32))
def test_incremental_parse_equals_full_parse(history, steps, seed):
    rnd = random.Random(seed)
    cache = ParseCache()
    model, tools, order, dup = "m", [{"name": "Read"}], ["model", "messages", "tools", "max_tokens", "stream"], False
    frozen = [enc(m, rnd) for m in history]          # an agent resends the same bytes for the same message
    for op, at, msg in [("append", 0, history[0])] + steps:
        if op == "append":
            frozen.append(enc(msg, rnd))
        elif op == "edit":
            frozen[at % len(frozen)] = enc(msg, rnd)
        elif op == "truncate" and len(frozen) > 1:
            del frozen[at % len(frozen) + 1:]
        elif op == "model":
            model = f"m{at}"
        elif op == "tools":
            tools = tools + [{"name": f"T{at}"}]
        elif op == "dup":
            dup = not dup
        elif op == "reorder":
            rnd.shuffle(order)
        elif op == "big":
            frozen.append('{"role":"user","content":[{"n":%d%s}]}' % (at + 1, "0" * 25))
        raw = body_text(model, frozen, tools, rnd, order, dup)
        got = cache.loads(raw)
        assert typed(got) == typed(loads(raw)), raw
        layout = cache.layout(raw)
        if layout is not None:        # what the parse found is what a scan of the bytes finds (splice trusts it)
            assert_layout_is_the_scan(raw, got, layout)
    if all(op in ("append", "big", "tools") for op, _, _ in steps):
        assert cache.reused >= len(history)       # the history was taken over, not parsed again


def assert_layout_is_the_scan(raw: bytes, body: dict, layout: dict) -> None:
    start = _ws(raw, 0)
    members, close = object_members(raw, start, None)
    assert layout[("{", start)] == (members, close)
    at = dict((k, a) for k, a, _ in members)["messages"]
    assert layout[at] == array_elements(raw, at, None)
    assert set(layout) - {("same", at)} == {("{", start), at}


def test_unchanged_messages_are_taken_over_and_the_rest_parsed():
    cache = ParseCache()
    hist = [{"role": "user", "content": "hi " * 50}, {"role": "assistant", "content": [{"type": "text", "text": "x"}]}]
    tools = [{"name": "Read", "input_schema": {"type": "object"}}]
    a = cache.loads(orjson.dumps({"model": "m", "messages": hist, "tools": tools, "n": 12}))
    hist2 = hist + [{"role": "user", "content": [{"type": "tool_result", "content": "y" * 500}]}]
    b = cache.loads(orjson.dumps({"model": "m", "messages": hist2, "tools": tools, "n": 12}))
    assert b == {"model": "m", "messages": hist2, "tools": tools, "n": 12}
    assert b["messages"][0] is a["messages"][0] and b["messages"][1] is a["messages"][1]
    assert b["tools"] is a["tools"] and b["messages"] is not a["messages"] and b is not a
    assert cache.reused == 2
    # an edit in the middle: the messages before it are taken over, the rest parsed anew
    hist3 = [hist2[0], {"role": "assistant", "content": "edited"}, hist2[2]]
    c = cache.loads(orjson.dumps({"model": "m", "messages": hist3, "tools": tools, "n": 123}))
    assert c == {"model": "m", "messages": hist3, "tools": tools, "n": 123}
    assert c["messages"][0] is a["messages"][0] and c["messages"][2] is not b["messages"][2]
    # a number that only grew at its end is not mistaken for the old one
    d = cache.loads(orjson.dumps({"model": "m", "messages": hist3, "tools": tools, "n": 1234}))
    assert d["n"] == 1234


def test_what_a_full_parse_refuses_is_refused_the_same_way():
    cache = ParseCache()
    good = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "a"}]})
    cache.loads(good)
    for bad in [good[:-1], good + b"x", good[:-2] + b",]}", good.replace(b'"a"', b'"a'),
                good[:-2] + b',{"role":"user","content":"b"}' + b"]} {}"]:
        with pytest.raises(orjson.JSONDecodeError):
            loads(bad)
        with pytest.raises(orjson.JSONDecodeError):
            cache.loads(bad)
    odd = good[:-2] + b',{"role":"user","content":[1e400, 123456789012345678901234567890]}]}'
    assert typed(cache.loads(odd)) == typed(loads(odd)) == typed(json.loads(odd))


def capture_bodies(captures) -> list[tuple[str, list[bytes]]]:
    """Request bodies of real sessions: Claude Code 2.1.332's own bytes, and the legacy proxy's logged histories."""
    out = []
    cc = sorted((captures / "claude-code" / "read-loop-2.1.332" / "bodies").glob("*_v1_messages.json"))
    out.append(("claude-code", [p.read_bytes() for p in cc]))
    for run in sorted((captures / "pichay-legacy").iterdir()):
        bodies = []
        for line in (run / "proxy.jsonl").read_text().splitlines():
            rec = orjson.loads(line)
            if rec.get("type") == "request" and rec.get("messages_full"):
                bodies.append(orjson.dumps({"model": rec.get("model", "m"), "max_tokens": 32000,
                                            "system": rec.get("system_prompt_full") or [],
                                            "messages": rec["messages_full"],
                                            "tools": [{"name": "Read", "input_schema": {"type": "object"}}],
                                            "stream": True}))
        out.append((run.name, bodies))
    return out


@pytest.mark.parametrize("mode", ["page", "observe"])
def test_engine_never_changes_a_parsed_body_and_reuse_sends_the_same_bytes(captures, mode):
    """Every real request through two engines: one gets full parses, the other the incremental parse (objects shared
    with earlier requests). The body must be unchanged by handle_request, and both must send the same bytes."""
    seen = reused = changed = 0
    for name, bodies in capture_bodies(captures):
        cfg = dict(mode=mode, age_threshold=1, min_size=200)
        fresh, inc = Engine(PagerConfig(**cfg)), Engine(PagerConfig(**cfg))
        cache, memo_a, memo_b = ParseCache(), Memo(), Memo()
        for k, raw in enumerate(bodies):
            a, b = loads(raw), cache.loads(raw)
            before = copy.deepcopy(b)
            ra = fresh.handle_request(a, {}, now=1000.0 + k)
            rb = inc.handle_request(b, {}, now=1000.0 + k)
            assert typed(b) == typed(before), f"{name} request {k}: handle_request changed the parsed body"
            assert typed(a) == typed(before)
            out_a = splice(raw, a, ra.outbound, memo_a) if ra.changed else raw
            layout = cache.layout(raw)
            assert layout is not None
            assert_layout_is_the_scan(raw, b, layout)
            out_b = splice(raw, b, rb.outbound, memo_b, layout) if rb.changed else raw
            assert out_a == out_b, f"{name} request {k}: reuse changed what is sent"
            if rb.changed:        # the memo's shortcuts (spans of the previous body) give what a plain splice gives
                assert out_b == splice(raw, loads(raw), rb.outbound)
            assert ra.changed == rb.changed
            seen += 1
            changed += ra.changed
        reused += cache.reused
    assert seen > 30 and reused > seen     # the real histories do get taken over
    assert (changed > 5) == (mode == "page")    # page mode did page: reused objects went through the pager


def test_a_list_changed_in_place_by_a_caller_does_not_reach_the_next_parse():
    cache = ParseCache()
    raw = orjson.dumps({"model": "m", "messages": [{"role": "user", "content": "a"}]})
    first = cache.loads(raw)
    first["messages"].append({"role": "user", "content": "not sent"})
    assert cache.loads(raw) == {"model": "m", "messages": [{"role": "user", "content": "a"}]}
    grown = cache.loads(raw[:-2] + b',{"role":"assistant","content":"b"}]}')
    grown["messages"].clear()
    assert cache.loads(raw)["messages"] == [{"role": "user", "content": "a"}] and cache.reused == 3
