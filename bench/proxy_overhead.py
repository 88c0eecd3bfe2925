"""Request overhead of the proxy: the same ~800 KB streaming request sent straight to the scripted upstream and
through the proxy (page mode and observe mode), measured in the same run; prints medians, ratios and added ms.

Run: python bench/proxy_overhead.py [--kb 800] [--n 30]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time

import httpx
import orjson

from pichay_tui.cli_options import ProxyOptions
from pichay_tui.core.synthetic import round_robin_session
from pichay_tui.proxy.server import ProxyServer
from pichay_tui.sim.sample_project import create_sample_project
from pichay_tui.sim.upstream import create_upstream_app, run_upstream

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json",
           "x-claude-code-session-id": "bench"}


def big_body(kb: int) -> bytes:
    """The first request of a synthetic round-robin session that reaches `kb` kilobytes (streaming)."""
    for body in round_robin_session(400, 40):
        raw = orjson.dumps({**body, "stream": True})
        if len(raw) >= kb * 1000:
            return raw
    raise SystemExit("could not build a body that large")


async def one(client: httpx.AsyncClient, url: str, raw: bytes) -> float:
    t0 = time.perf_counter()
    async with client.stream("POST", f"{url}/v1/messages?beta=true", content=raw, headers=HEADERS) as r:
        async for _ in r.aiter_raw():
            pass
        assert r.status_code == 200, r.status_code
    return (time.perf_counter() - t0) * 1000


async def measure(urls: dict[str, str], raw: bytes, n: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Interleave the targets so drift (GC, CPU frequency) hits them equally; also return the cold first request
    (for the proxy that includes the engine ingesting the whole history it has never seen)."""
    out: dict[str, list[float]] = {k: [] for k in urls}
    cold: dict[str, float] = {}
    async with httpx.AsyncClient(timeout=60) as client:
        for name, url in urls.items():      # warm up connections, caches, the engine's session
            cold[name] = await one(client, url, raw)
            for _ in range(2):
                await one(client, url, raw)
        for _ in range(n):
            for name, url in urls.items():
                out[name].append(await one(client, url, raw))
    return out, cold


async def main(kb: int, n: int) -> None:
    raw = big_body(kb)
    with tempfile.TemporaryDirectory() as tmp:
        work = create_sample_project(f"{tmp}/w")
        async with run_upstream(create_upstream_app(script="coding", workdir=work)) as upstream:
            page = ProxyServer(ProxyOptions(port=0, upstream=upstream, mode="page"))
            observe = ProxyServer(ProxyOptions(port=0, upstream=upstream, mode="observe"))
            urls = {"direct": upstream, "proxy-page": await page.start(), "proxy-observe": await observe.start()}
            try:
                times, cold = await measure(urls, raw, n)
            finally:
                await page.stop()
                await observe.stop()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"request body: {len(raw) / 1000:.0f} KB, streaming, median of {n} (same run, interleaved)")
    for name, m in med.items():
        extra = "" if name == "direct" else \
            f"   ratio {m / med['direct']:.2f}x   +{m - med['direct']:.1f} ms"
        print(f"  {name:14s} {m:8.1f} ms{extra}   (cold first request {cold[name]:.0f} ms)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=int, default=800)
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    asyncio.run(main(args.kb, args.n))
