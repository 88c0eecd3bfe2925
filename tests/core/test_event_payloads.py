"""Typed event payloads: every event in sample_sessions/ round-trips byte-identically through Event and its payload."""
from __future__ import annotations

import lzma
from pathlib import Path

import orjson
import pytest

from pichay_tui.core import events as ev

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "sample_sessions").glob("*.jsonl*"))


def _events_in(obj, out: list) -> list:
    """Every event dict nested anywhere in one recording line."""
    if isinstance(obj, dict):
        if {"kind", "session", "data", "seq"} <= obj.keys():
            out.append(obj)
        else:
            for v in obj.values():
                _events_in(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _events_in(v, out)
    return out


def _sample_events(path: Path) -> list[dict]:
    opener = lzma.open if path.suffix == ".xz" else open
    found: list[dict] = []
    with opener(path, "rb") as f:
        for line in f:
            _events_in(orjson.loads(line), found)
    return found


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_events_round_trip(path):
    events = _sample_events(path)
    assert events, f"no events found in {path.name}"
    for d in events:
        e = ev.Event.from_dict(d)
        assert orjson.dumps(e.to_dict()) == orjson.dumps(d)
        p = e.payload
        assert not isinstance(p, ev.Unknown), d["kind"]
        assert p.KIND == d["kind"]
        assert not p.extra, (d["kind"], dict(p.extra))
        assert orjson.dumps(p.to_dict()) == orjson.dumps(d["data"])


def test_every_core_kind_has_a_payload_class():
    kinds = {v for k, v in vars(ev).items() if k.isupper() and isinstance(v, str) and k not in ("UNSET",)}
    assert kinds and kinds <= set(ev.PAYLOADS)


def test_optional_keys_keep_the_emitter_order():
    header = ev.PageAdded(page="h1", kind="system", tokens=5, bytes=20)
    block = ev.PageAdded(page="p1", kind="tool_result", tool="Read", key="k", tokens=5, bytes=20, msg=3)
    assert list(header.to_dict()) == ["page", "kind", "tokens", "bytes"]
    assert list(block.to_dict()) == ["page", "kind", "tool", "key", "tokens", "bytes", "msg"]
    failed = ev.CommandApplied(command="cleanup.drop", ok=False, error="no such page")
    assert failed.to_dict() == {"command": "cleanup.drop", "ok": False, "error": "no such page"}
    assert ev.PageUnpinned(page="p", reason="operator", was=None).to_dict()["was"] is None   # None is a value


def test_sweep_shapes_share_one_kind():
    stub = {"changed_pages": [], "tools_stubbed": ["Bash"], "tools_restored": [], "first_changed_index": -1,
            "predicted_invalidated_tokens": 9, "tokens_saved": 3}
    collapse = {"changed_pages": ["p1"], "first_changed_index": 2, "collapse": [1, 3],
                "predicted_invalidated_tokens": 9, "tokens_saved": 0}
    assert isinstance(ev.payload_of(ev.SWEEP_APPLIED, stub), ev.ToolsStubbed)
    assert isinstance(ev.payload_of(ev.SWEEP_APPLIED, collapse), ev.CollapseApplied)
    for d in (stub, collapse):
        assert list(ev.payload_of(ev.SWEEP_APPLIED, d).to_dict()) == list(d)


def test_keyword_key_and_unknowns():
    d = {"reason": "compact", "pages": 4, "epoch": 2, "from": 7}
    p = ev.payload_of(ev.CLIENT_CLEARED, d)
    assert p.from_ == 7 and p.to_dict() == d
    newer = ev.payload_of(ev.PAGE_RESTORED, {"page": "p", "reason": "r", "tokens": 1, "later": True})
    assert newer.extra == {"later": True} and list(newer.to_dict()) == ["page", "reason", "tokens", "later"]
    odd = ev.Event("something_new", "s", 0, 0.0, {"x": 1}).payload
    assert isinstance(odd, ev.Unknown) and odd.to_dict() == {"x": 1}


def test_match_on_payload():
    e = ev.Event(ev.PAGE_EVICTED, "s", 1, 0.0, ev.PageEvicted(page="p", tool="Read", key="k", tokens=1, bytes=2,
                                                               reason="age", paged=True).to_dict())
    match e.payload:
        case ev.PageEvicted(reason=r, paged=True):
            assert r == "age"
        case _:
            pytest.fail("no match")
