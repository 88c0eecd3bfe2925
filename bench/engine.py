"""Per-request engine cost on a generated 700-turn session (40 files read round-robin).

Prints cost(turn 700) / cost(turn 10): the reference implementation rescans the whole history per request and grows
about 10x; ours ingests only new blocks, so the ratio should stay near 1 (target <= 2).
Run: python bench/engine.py [--turns 700] [--files 40] [--repeat 5]
"""
from __future__ import annotations

import argparse
import statistics
import time

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.lab.synthetic import round_robin_session
from pichay_tui.core.model.tokens import TokenCounter


def run_once(turns: int, files: int, fresh: bool = False) -> dict[int, float]:
    """Time handle_request for every request; return per-turn seconds (bodies are built outside the timer)."""
    bodies = list(round_robin_session(turns, files, fresh=fresh))
    engine = Engine(PagerConfig(), counter=TokenCounter())
    costs: dict[int, float] = {}
    for turn, body in enumerate(bodies):
        t0 = time.perf_counter()
        engine.handle_request(body, {})
        costs[turn] = time.perf_counter() - t0
    return costs


def window_median(costs: dict[int, float], center: int, width: int = 5) -> float:
    lo, hi = max(1, center - width), min(max(costs), center + width)
    return statistics.median(costs[t] for t in range(lo, hi + 1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=700)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    for fresh in (False, True):
        early, late = [], []
        for _ in range(a.repeat):
            costs = run_once(a.turns, a.files, fresh)
            early.append(window_median(costs, 10))
            late.append(window_median(costs, a.turns - 5))
        e, l = statistics.median(early), statistics.median(late)
        label = "every read new content" if fresh else "files re-read unchanged"
        print(f"[{label}] engine cost per request: turn 10 = {e * 1e3:.3f} ms, turn {a.turns} = {l * 1e3:.3f} ms")
        print(f"[{label}] ratio cost(turn {a.turns}) / cost(turn 10) = {l / e:.2f}  (target <= 2; reference ~10)")


if __name__ == "__main__":
    main()
