"""How long the per-request checkpoint of `--state-dir` holds the engine's thread (the proxy's event loop).

With a state dir, every request and every response ends in a checkpoint (`engine.on_change`). This times those calls,
in process, on a real SQLite store:
- a long session (40 files read round-robin, up to 700 turns: ~1,400 pages), checkpoint time per request by turn;
- many sessions (1,000 sessions of 12 turns, one after the other): per request, at the end;
- a request that evicts a ~50 MB tool result (its content is written to the store at the same time).
Compare two checkouts with PYTHONPATH=/path/to/other/checkout.

Run: python bench/checkpoint_cost.py [--turns 700] [--sessions 1000] [--mb 50]
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.lab.synthetic import round_robin_session
from pichay_tui.core.model.blocks import short_id
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.store.opening import open_persistent

DONE = ResponseSummary(status=200, usage={"input_tokens": 10, "output_tokens": 5})


def persistent() -> tuple[object, Engine, list[float]]:
    """An engine on a fresh --state-dir store, with its on_change timed."""
    store, engine, _ = open_persistent(tempfile.mkdtemp(prefix="pichay-ckpt-"), lambda st: Engine(store=st))
    times: list[float] = []
    real = engine.on_change

    def timed() -> None:
        t0 = time.perf_counter()
        real()
        times.append(time.perf_counter() - t0)

    engine.on_change = timed
    return store, engine, times


def long_session(turns: int) -> None:
    store, engine, times = persistent()
    marks = {t for t in (100, 400, turns - 1) if t < turns}
    for t, body in enumerate(round_robin_session(turns, 40)):
        n = len(times)
        r = engine.handle_request(body, {"x-claude-code-session-id": "long"})
        engine.handle_response(r.session_id, DONE)
        if t in marks:
            s = engine.sessions[r.session_id]
            window = times[max(0, n - 40):]
            print(f"  turn {t:4d} ({len(s.pages):5d} pages): checkpoints of the last 20 requests: "
                  f"p50 {statistics.median(window) * 1e3:6.2f} ms, max {max(window) * 1e3:6.2f} ms "
                  f"(two per request)")
    store.close()


def many_sessions(n: int) -> None:
    store, engine, times = persistent()
    for i in range(n):
        for body in round_robin_session(12, 4, session=f"sess-{i}"):
            r = engine.handle_request(body, {"x-claude-code-session-id": f"sess-{i}"})
            engine.handle_response(r.session_id, DONE)
    window = times[-200:]
    print(f"  {n} sessions × 12 turns: last 100 requests: p50 {statistics.median(window) * 1e3:6.2f} ms, "
          f"max {max(window) * 1e3:6.2f} ms per checkpoint")
    store.close()


def big_eviction(mb: int) -> None:
    store, engine, times = persistent()
    rng = random.Random(3)
    words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 9))) for _ in range(2000)]
    big = " ".join(rng.choice(words) for _ in range(mb * 1_000_000 // 6))
    msgs = [{"role": "user", "content": "start"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_big", "name": "Read",
                                               "input": {"file_path": "/big"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_big", "content": big}]},
            {"role": "assistant", "content": "ok"}, {"role": "user", "content": "go on"}]
    tools = [{"name": "Read", "description": "read", "input_schema": {"type": "object"}}]
    h = {"x-claude-code-session-id": "big"}
    r = engine.handle_request({"model": "m", "tools": tools, "messages": msgs}, h)
    engine.handle_response(r.session_id, DONE)
    engine.command("page.evict", page=short_id("tr:tu_big"))
    n = len(times)
    msgs += [{"role": "assistant", "content": "ok"}, {"role": "user", "content": "next"}]
    engine.handle_request({"model": "m", "tools": tools, "messages": msgs}, h)
    print(f"  the request that evicts a {len(big) / 1e6:.0f} MB result: its checkpoint took "
          f"{times[n] * 1e3:7.1f} ms on the engine's thread")
    store.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=700)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--mb", type=int, default=50)
    a = ap.parse_args()
    print("long session:")
    long_session(a.turns)
    print("many sessions:")
    many_sessions(a.sessions)
    print("big eviction:")
    big_eviction(a.mb)
