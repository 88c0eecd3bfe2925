"""The spliced bytes of a resent history are taken from the last splice up to the first change: whatever the client
resends (appended, edited, truncated, re-spaced, a moved cache marker), the bytes equal a splice without any memo."""
from __future__ import annotations

import json
import random

import pytest

from pichay_tui.core.wire.incremental import ParseCache
from pichay_tui.core.wire.parse import loads
from pichay_tui.core.wire.splice import Memo, splice
from pichay_tui.core.wire.splice_prefix import ArrayOut, changed_before, reusable


class Pager:
    """Stands in for the pager's outbound cache: a paged message is replaced by the same object whenever the client
    sends an equal message, even as another object with other bytes (core/paging/outbound.py keys by position and
    content, so an outbound element may meet a new client element)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cache: dict[str, dict] = {}      # the client message's value -> its outbound

    def outbound(self, body: dict) -> dict:
        msgs = []
        for m in body["messages"]:
            key = json.dumps(m, sort_keys=True)
            if key not in self.cache:
                paged = isinstance(m.get("content"), list) and self.rng.random() < 0.5
                self.cache[key] = {**m, "content": [{"type": "text", "text": f"[handle {len(self.cache)}]"}],
                                   "pad": 1} if paged else m
            new = self.cache[key]
            msgs.append(m if new.get("pad") is None else new)
        return {**body, "messages": msgs}

    def page_one_more(self, body: dict) -> None:
        """Page an older message that was left alone (a sweep): the elements after it keep their outbound objects."""
        for m in body["messages"][:-1]:
            key = json.dumps(m, sort_keys=True)
            if self.cache.get(key) is m and isinstance(m.get("content"), list):
                self.cache[key] = {**m, "content": [{"type": "text", "text": "[swept]"}], "pad": 2}
                return


def message(rng: random.Random, k: int) -> str:
    blocks = [{"type": "tool_result", "tool_use_id": f"t{k}", "content": "x" * rng.randint(0, 40) + "\u00e9"}]
    if rng.random() < 0.3:
        blocks[0]["cache_control"] = {"type": "ephemeral"}
    return json.dumps({"role": rng.choice(["user", "assistant"]), "content": blocks if rng.random() < 0.8 else "hi"},
                      indent=rng.choice([None, None, 1]), ensure_ascii=rng.random() < 0.5)


def body_bytes(history: list[str], sep: str) -> bytes:
    return ('{"model":"m","max_tokens":12345678901234567890123,"messages":[' + sep.join(history) +
            '],"tools":[{"name":"Read"}]}').encode()


@pytest.mark.parametrize("seed", range(30))
def test_reused_prefix_gives_the_bytes_of_a_plain_splice(seed):
    rng = random.Random(seed)
    cache, memo, pager = ParseCache(), Memo(), Pager(rng)
    history = [message(rng, k) for k in range(rng.randint(2, 12))]
    sep = ","
    reused = 0
    for step in range(25):
        op = rng.random()
        if op < 0.5:
            history += [message(rng, 100 * step + j) for j in range(rng.randint(1, 3))]
        elif op < 0.6:
            i = rng.randrange(len(history))
            history[i] = message(rng, 1000 + step)               # edited in place (a microcompact)
        elif op < 0.7 and len(history) > 2:
            del history[rng.randrange(1, len(history)):]          # truncated (a rewind)
        elif op < 0.75:
            sep = rng.choice([",", ", ", ",\n"])                  # the same messages, other bytes between them
        elif op < 0.8:
            i = rng.randrange(len(history))                       # the same message, spaced otherwise
            history[i] = json.dumps(json.loads(history[i]), indent=None if "\n" in history[i] else 2)
        elif op < 0.85:
            i = rng.randrange(len(history))                       # a cache marker moves to the last message
            history[i] = history[i].replace(', "cache_control": {"type": "ephemeral"}', "")
        raw = body_bytes(history, sep)
        body = cache.loads(raw)
        if rng.random() < 0.3:
            pager.page_one_more(body)
        layout = cache.layout(raw)
        prev = memo.array
        new = pager.outbound(body)
        out = splice(raw, body, new, memo, layout)
        assert out == splice(raw, loads(raw), new), f"step {step}"
        assert loads(out) == new
        if prev is not None and layout and ("same", layout[("{", 0)][0][2][1]) in layout:
            reused += reusable(prev, body["messages"], new["messages"], layout[("same", layout[("{", 0)][0][2][1])])
    assert reused > 0                     # the resent start was taken from the last splice


def test_reuse_needs_the_same_body_and_the_same_objects():
    old, new = [{"a": 1}, {"b": 2}, {"c": 3}], [{"a": 1}, {"x": 0}, {"c": 3}]
    raw = b"[]"
    prev = ArrayOut(raw, old, new, b"", [1, 2, 3], [1], {})
    assert reusable(prev, old, new, (raw, 3)) == 3
    assert reusable(prev, old, new, (raw, 2)) == 2                       # the parse took over only two
    assert reusable(prev, old, new, (bytes(bytearray(raw)), 3)) == 0     # another body, even with equal bytes
    assert reusable(prev, old, [new[0], {"x": 0}, new[2]], (raw, 3)) == 1   # an equal but new outbound element
    assert reusable(prev, [old[0], old[1], {"c": 3}], new, (raw, 3)) == 2
    assert reusable(None, old, new, (raw, 3)) == 0 and reusable(prev, old, new, None) == 0
    assert changed_before([1, 4, 9], 5) == [1, 4] and changed_before([], 3) == [] and changed_before([2], 2) == []
