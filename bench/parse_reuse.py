"""What the incremental parse (core/wire/incremental.py) saves per request, A/B inside one proxy process.

Why in one process: across processes (bench/proxy_overhead.py) two runs of the same code differ by up to ~1 ms of
server CPU on a loaded machine, more than this saving. Here one in-process proxy (page mode unless told) serves the
bench's streaming body; blocks of 20 requests alternate between the ParseCache and a full `splice.loads`; the CPU
time of the whole process (client, upstream, proxy) per request is compared, first 3 of each block left out.
`--cold` evicts the CPU caches between requests (48 MB written), as the other processes of a busy machine do.

Run: python bench/parse_reuse.py [--kb 328 800] [--n 400] [--mode page|observe] [--cold]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from proxy_overhead import big_body, one, upstream_app  # noqa: E402

from pichay_tui.core.model.config import PagerConfig  # noqa: E402
from pichay_tui.core.wire import splice  # noqa: E402
from pichay_tui.proxy.server import ProxyServer  # noqa: E402
from pichay_tui.sim.upstream import run_upstream  # noqa: E402


async def measure(kb: int, n: int, mode: str, cold: bool) -> None:
    raw = big_body(kb)
    junk = bytearray(48_000_000) if cold else None
    async with run_upstream(upstream_app) as up:
        srv = ProxyServer(PagerConfig(mode=mode), upstream=up, port=0)
        url = await srv.start()
        cache = srv.proxy._parses
        incremental = cache.loads
        res: dict[str, list[float]] = {"full": [], "incremental": []}
        try:
            async with httpx.AsyncClient(timeout=60) as client:
                for k in range(n):
                    variant = "incremental" if (k // 20) % 2 else "full"
                    cache.loads = incremental if variant == "incremental" else splice.loads
                    t = time.process_time()
                    await one(client, url, raw, f"r{k}")
                    if k % 20 >= 3:
                        res[variant].append(time.process_time() - t)
                    if junk is not None:
                        junk[:] = bytes(len(junk))
        finally:
            await srv.stop()
    full, inc = (statistics.mean(res[v]) * 1000 for v in ("full", "incremental"))
    print(f"{len(raw) / 1000:.0f} KB, {mode} mode{', cold caches' if cold else ''}: process CPU per request "
          f"full parse {full:.2f} ms, incremental {inc:.2f} ms, saved {full - inc:.2f} ms")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=int, nargs="+", default=[328, 800])
    ap.add_argument("--n", type=int, default=400)
    ap.add_argument("--mode", default="page", choices=["page", "observe"])
    ap.add_argument("--cold", action="store_true")
    args = ap.parse_args()
    for kb in args.kb:
        asyncio.run(measure(kb, args.n, args.mode, args.cold))
