"""Memory per session: RSS of `pichay-tui serve` after 50 sessions × 12 turns and after 1,000 sessions × 12 turns.

Target (issue 11): RSS after 1,000 stays within 2× of RSS after 50 (idle sessions are spilled to the store and come
back on their next request; without --state-dir the store is a temporary SQLite file). Every session's tool
results are distinct (its id is written into each), so nothing is shared between sessions by content.

Run: python bench/memory.py [--sessions 1000] [--state-dir DIR]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from proxy_overhead import pichay, start  # noqa: E402

from pichay_tui.core.lab.synthetic import Conversation  # noqa: E402

TURNS = 12
LINES = 200          # per Read result (~10 KB): a session carries ~120 KB of tool output
PARALLEL = 4


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def session_bodies(i: int) -> list[bytes]:
    """A Claude-Code-shaped session: TURNS reads of distinct files; its id in every content string."""
    sid = f"mem{i:05d}"
    conv = Conversation(sid)
    out = []
    for t in range(TURNS + 1):
        if t:
            conv.read(f"/work/project/src/module_{t:02d}.py", lines=LINES)
        raw = orjson.dumps({**conv.body(), "stream": False})
        out.append(raw.replace(b'"content":"', b'"content":"[' + sid.encode() + b'] '))
    return out


async def run_session(client: httpx.AsyncClient, url: str, i: int) -> None:
    for raw in session_bodies(i):
        r = await client.post(f"{url}/v1/messages", content=raw,
                              headers={"x-claude-code-session-id": f"mem{i:05d}", "content-type": "application/json",
                                       "x-bench-id": f"m{i}"})
        assert r.status_code == 200, r.status_code


async def run_range(url: str, lo: int, hi: int) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        for k in range(lo, hi, PARALLEL):
            await asyncio.gather(*(run_session(client, url, i) for i in range(k, min(hi, k + PARALLEL))))


async def main(n: int, state_dir: str | None) -> None:
    up_proc, upstream = start([sys.executable, str(Path(__file__).with_name("loop_latency.py")), "--serve-upstream"])
    args = pichay(upstream, "page") + (["--state-dir", state_dir] if state_dir else [])
    proc, url = start(args)
    try:
        base = rss_mb(proc.pid)
        await run_range(url, 0, 50)
        at50 = rss_mb(proc.pid)
        await run_range(url, 50, n)
        atn = rss_mb(proc.pid)
        async with httpx.AsyncClient(timeout=60) as client:
            state = (await client.get(f"{url}/_pichay/state?pages=0")).json()
            await run_session(client, url, 0)                       # the first session comes back
        resident = sum(1 for s in state["sessions"] if s.get("resident") is not False)
        print(f"RSS at start {base:.0f} MB; after 50 sessions × {TURNS} turns {at50:.0f} MB; after {n} sessions "
              f"{atn:.0f} MB")
        print(f"ratio RSS({n}) / RSS(50) = {atn / at50:.2f} (target ≤ 2); sessions known {len(state['sessions'])}, "
              f"resident {resident}; per extra session {(atn - at50) * 1024 / max(1, n - 50):.1f} KB")
    finally:
        for p in (proc, up_proc):
            p.terminate()
            p.wait(10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--state-dir")
    a = ap.parse_args()
    asyncio.run(main(a.sessions, a.state_dir))
