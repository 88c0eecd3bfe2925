"""Bytes saved per request by tool-definition stubbing on a real Claude Code capture (read-loop-2.1.332).

Prints, per request, the body and tools sizes without and with stubbing, and the gate's decision at the default
30 expected turns vs. forced on. Reads the captures from PICHAY_CAPTURES (default ../shared/captures).
Run: python bench/trimming.py
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
    bodies = sorted((root / "claude-code" / "read-loop-2.1.332" / "bodies").glob("*_v1_messages.json"))
    for turns in (30, 1000):
        eng = Engine(PagerConfig(trim_tools=True, cooperative=False, policy_args={"trim_expected_turns": turns}))
        print(f"expected turns {turns}:")
        for f in bodies:
            body = json.loads(f.read_text())
            out = eng.handle_request(body, {"x-claude-code-session-id": "bench"}).outbound
            print(f"  {f.name}: body {len(orjson.dumps(body)):,} -> {len(orjson.dumps(out)):,} B, "
                  f"tools {len(orjson.dumps(body['tools'])):,} -> {len(orjson.dumps(out['tools'])):,} B")
        s = next(iter(eng.sessions.values()))
        print(f"  gate: {s.trim_estimate} -> stub {s.trim_on}")


if __name__ == "__main__":
    main()
