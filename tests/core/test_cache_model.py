"""The prompt-cache model: breakpoints, lookback, TTLs, minimum length, prices, calibration — against hand-made bodies
whose bills follow from Anthropic's documented rules."""
from __future__ import annotations

import pytest

from pichay_tui.core.lab.cache_model import CacheSim, Calibration
from pichay_tui.core.lab.cache_shape import ShapeBuilder
from pichay_tui.core.lab.prices import PRICES, Price, price_for

FLAT = Price(1.0, 1.25, 2.0, 0.1, 5.0, min_cacheable=0)
ONE = Calibration(0.0, 1.0)


def body(n_msgs: int, *, system_bp=True, last_bp=True, ttl=None, edit: int | None = None, model="claude-opus-4-6"):
    """A conversation of n_msgs one-block messages (~100 tokens each); `edit` changes that message's text."""
    msgs = []
    for i in range(n_msgs):
        text = f"message {i} " + "lorem ipsum " * 50 + ("EDITED" if edit == i else "")
        block = {"type": "text", "text": text}
        if last_bp and i == n_msgs - 1:
            block["cache_control"] = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
        msgs.append({"role": "user" if i % 2 == 0 else "assistant", "content": [block]})
    sys_block = {"type": "text", "text": "system " + "rules " * 400}
    if system_bp:
        sys_block["cache_control"] = {"type": "ephemeral"}
    return {"model": model, "system": [sys_block], "messages": msgs}


def run(bodies_ts, price=FLAT):
    sb, sim = ShapeBuilder(), CacheSim()
    out = []
    for b, ts in bodies_ts:
        shape = sb.shape(b)
        bill = sim.bill(shape, ts, ONE, price)
        out.append((shape, bill.usage))
    return out


def test_first_request_writes_then_appends_read_the_previous_prefix():
    (s1, u1), (s2, u2) = run([(body(3), 0.0), (body(5), 10.0)])
    assert u1["cache_read_input_tokens"] == 0 and u1["cache_creation_input_tokens"] == s1.total
    assert u2["cache_read_input_tokens"] == s1.total                 # the old last breakpoint is 2 blocks back
    assert u2["cache_creation_input_tokens"] == s2.total - s1.total
    assert u2["input_tokens"] == 0


def test_cache_control_is_not_part_of_the_prefix_and_moving_breakpoints_keeps_reads():
    (s1, _), (_, u2) = run([(body(3), 0.0), (body(4), 5.0)])
    assert u2["cache_read_input_tokens"] == s1.total


def test_a_change_before_the_breakpoint_rewrites_from_the_last_cached_prefix():
    (s1, _), (s2, _), (s3, u3) = run([(body(3), 0.0), (body(5), 1.0), (body(7, edit=4), 2.0)])
    # message 4 changed: the entry through message 2 (request 1's breakpoint) is still a prefix
    assert u3["cache_read_input_tokens"] == s1.total
    assert u3["cache_creation_input_tokens"] == s3.total - s1.total


def test_lookback_is_twenty_blocks():
    # the previous breakpoint is 20 blocks back (found) vs 21 blocks back (not found: falls back to the system prefix)
    (s1, _), (_, near) = run([(body(10), 0.0), (body(30), 1.0)])
    assert near["cache_read_input_tokens"] == s1.total
    (_, _), (_, far) = run([(body(10), 0.0), (body(31), 1.0)])
    system_only = ShapeBuilder().shape(body(31)).cum[0]
    assert far["cache_read_input_tokens"] == system_only


def test_ttl_5m_expires_and_1h_survives():
    (_, _), (_, u) = run([(body(3), 0.0), (body(5), 301.0)])
    assert u["cache_read_input_tokens"] == 0
    (s1, _), (_, u) = run([(body(3, ttl="1h"), 0.0), (body(5, ttl="1h"), 1800.0)])
    assert u["cache_read_input_tokens"] == s1.total
    # a read refreshes the entry: three requests 4 minutes apart all hit
    res = run([(body(3), 0.0), (body(3), 240.0), (body(3), 480.0)])
    assert all(u["cache_read_input_tokens"] > 0 for _, u in res[1:])


def test_minimum_cacheable_length():
    strict = Price(1.0, 1.25, 2.0, 0.1, 5.0, min_cacheable=100_000)
    (_, u1), (_, u2) = run([(body(3), 0.0), (body(5), 1.0)], price=strict)
    assert u1["cache_creation_input_tokens"] == 0 and u2["cache_read_input_tokens"] == 0
    assert u2["input_tokens"] > 0


def test_no_breakpoints_means_no_caching():
    (_, u1), (_, u2) = run([(body(3, system_bp=False, last_bp=False), 0.0),
                            (body(5, system_bp=False, last_bp=False), 1.0)])
    assert u2["cache_read_input_tokens"] == 0 and u2["cache_creation_input_tokens"] == 0


def test_prices_follow_the_table():
    assert price_for("claude-opus-4-6") is PRICES["claude-opus-4-6"]
    assert price_for("claude-opus-4-5-20251101") is PRICES["claude-opus-4-5"]
    assert price_for("claude-sonnet-4-5-20250929") is PRICES["claude-sonnet-4-5"]
    assert price_for("claude-sim-1") is PRICES["default"]
    p = PRICES["claude-opus-4-6"]
    assert (p.input, p.write_5m, p.write_1h, p.read, p.output) == (5, 6.25, 10, 0.5, 25)
    usd = p.usd({"input_tokens": 1_000_000, "cache_creation_input_tokens": 1_000_000,
                 "cache_read_input_tokens": 1_000_000, "output_tokens": 1_000_000})
    assert usd == pytest.approx(5 + 6.25 + 0.5 + 25)
    # the API reports the 1-hour share of the writes separately; it is priced at 2× input
    api = {"cache_creation_input_tokens": 1_000_000,
           "cache_creation": {"ephemeral_5m_input_tokens": 400_000, "ephemeral_1h_input_tokens": 600_000}}
    assert p.usd(api) == pytest.approx(0.4 * 6.25 + 0.6 * 10)


def test_calibration_recovers_offset_and_scale():
    pairs = [(e, int(15_000 + 0.8 * e)) for e in (10_000, 20_000, 35_000, 50_000)]
    c = Calibration.fit(pairs)
    assert c.a == pytest.approx(15_000, abs=2) and c.b == pytest.approx(0.8, abs=1e-3)
    assert Calibration.fit([]).b == 1.0
    assert Calibration.fit([(1000, 1500)]).tokens(1000) == 1500


def test_assumed_breakpoints_follow_claude_code_when_the_input_dropped_them():
    b = body(5, system_bp=False, last_bp=False)
    sb = ShapeBuilder()
    assert sb.shape(b).breakpoints == []
    shape = sb.shape(b, assume_breakpoints=True)
    # system block 0; messages are blocks 1..5: the last block of the 4th and of the 5th message
    assert [i for i, _ in shape.breakpoints] == [0, 4, 5]
    marked = body(5)
    assert sb.shape(marked, assume_breakpoints=True).breakpoints == sb.shape(marked).breakpoints


def test_incremental_shapes_equal_shapes_built_from_scratch():
    """The per-session reuse of shared blocks (by identity) changes nothing: every shape equals a fresh build."""
    from pathlib import Path

    from pichay_tui.core.model.config import PagerConfig
    from pichay_tui.core.recording.replayer import Replayer, load_source

    sample = Path(__file__).resolve().parents[2] / "sample_sessions" / "long_thrash.jsonl.xz"
    rp = Replayer(load_source(sample), PagerConfig(policy="fifo", age_threshold=2), keep_outbound=True,
                  snapshot_every=1 << 30)
    inc = ShapeBuilder()
    for _ in range(60):
        r = rp.step()
        a = inc.shape(r.outbound, key=r.session_id)
        b = ShapeBuilder(inc.counter).shape(r.outbound)
        assert (a.digests, a.cum, a.breakpoints, a.total, a.msg_offsets) == \
            (b.digests, b.cum, b.breakpoints, b.total, b.msg_offsets)
