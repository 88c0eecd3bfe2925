"""Replay throughput: frames (API calls) per second of `analyze` on the long sample, against a baseline measured in
the same run — parsing the same recording's JSON lines with orjson and nothing else.

Target: ≥ 1,000 frames/s for a single-policy analyze pass. Run: python3 bench/replay.py [FILE] [--repeat N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pichay_tui.core.lab.analysis import analyze, run_policy  # noqa: E402
from pichay_tui.core.model.config import PagerConfig  # noqa: E402
from pichay_tui.core.recording.replayer import load_source, materialize  # noqa: E402
from pichay_tui.core.model.tokens import TokenCounter  # noqa: E402

TARGET = 1_000


def best_of(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", default=str(ROOT / "sample_sessions" / "long_thrash.jsonl.xz"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    path = materialize(args.file)
    src = load_source(args.file)
    frames = len(src.frames)
    counter = TokenCounter()
    run_policy(src, PagerConfig(), counter=counter)          # warm the tokenizer cache, as a long-lived process is

    def parse_only():
        with open(path, "rb") as f:
            for line in f:
                orjson.loads(line)

    t_parse = best_of(parse_only, args.repeat)
    t_load = best_of(lambda: load_source(args.file), args.repeat)
    t_pass = best_of(lambda: run_policy(src, PagerConfig(), counter=counter), args.repeat)
    t_full = best_of(lambda: analyze([args.file], ["fifo"], counter=counter, sources={args.file: src}), args.repeat)
    fps_pass, fps_full = frames / t_pass, frames / t_full
    print(f"input: {args.file} ({frames} frames, {path.stat().st_size / 1e6:.1f} MB of JSON lines)")
    print(f"baseline  orjson parse of the file          {t_parse * 1e3:8.1f} ms  {frames / t_parse:9,.0f} frames/s")
    print(f"load      recording -> frames               {t_load * 1e3:8.1f} ms  {frames / t_load:9,.0f} frames/s")
    print(f"analyze   one policy pass (fifo)            {t_pass * 1e3:8.1f} ms  {fps_pass:9,.0f} frames/s  "
          f"({t_pass / t_parse:.2f}× the parse time)")
    print(f"analyze   fifo + clairvoyant bound (2 pass) {t_full * 1e3:8.1f} ms  {fps_full:9,.0f} frames/s  "
          f"({t_full / t_parse:.2f}× the parse time)")
    verdict = "meets" if fps_pass >= TARGET else "MISSES"
    print(f"target ≥ {TARGET:,} frames/s per policy pass: {verdict}")


if __name__ == "__main__":
    main()
