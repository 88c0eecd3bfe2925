"""FIFO τ=4 / 500 B over the paper authors' captures, counting bytes two ways: compact JSON (orjson) and the
reference's way (json.dumps, whose totals equal the log's messages_total_bytes). Reference: -24.8 % / -30.8 %.
Run: python bench/legacy_replay.py
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import orjson

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine


def main() -> None:
    root = Path(os.environ.get("PICHAY_CAPTURES") or Path(__file__).resolve().parents[2] / "shared" / "captures")
    for run in ("test_author_run1", "test_author_run2"):
        eng = Engine(PagerConfig(cooperative=False))
        sizes = {"orjson": [0, 0], "json.dumps": [0, 0]}
        for line in (root / "pichay-legacy" / run / "proxy.jsonl").read_text().splitlines():
            rec = json.loads(line)
            if rec.get("type") != "request":
                continue
            body = {"model": rec["model"], "system": rec.get("system_prompt_full"), "messages": rec["messages_full"]}
            out = eng.handle_request(body, {}, side=False).outbound
            for name, dump in (("orjson", orjson.dumps), ("json.dumps", lambda x: json.dumps(x).encode())):
                sizes[name][0] += len(dump(body["messages"]))
                sizes[name][1] += len(dump(out["messages"]))
        s = next(iter(eng.sessions.values()))
        line = ", ".join(f"{k}: {b:,} -> {a:,} B (-{100 * (1 - a / b):.1f} %)" for k, (b, a) in sizes.items())
        print(f"{run}: {line}; evictions {s.stats.evictions}, faults {s.stats.faults}")


if __name__ == "__main__":
    main()
