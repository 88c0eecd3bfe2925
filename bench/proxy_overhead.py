"""Request overhead of the proxy against the floors that matter, all measured in one run.

Targets (issue 11): (pichay − bare hop) ≤ 3× the orjson parse+serialize floor of the body, on 328 KB and 800 KB
request bodies; the first SSE byte reaches the client ≤ 1 ms after the upstream sent it (p50).
The proxy (`pichay-tui serve`, page and observe mode) and the bare hop (bench/bare_hop.py, Starlette + httpx doing
nothing) run as their own processes, as a user runs them; a minimal SSE upstream and the client share this one.
Requests are interleaved across targets so drift (GC, CPU frequency, other load) hits them equally.

Run: python bench/proxy_overhead.py [--kb 328 800] [--n 100] [--baseline OLD_CHECKOUT]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import httpx
import orjson

from pichay_tui.core.lab.synthetic import round_robin_session
from pichay_tui.sim.upstream import run_upstream

HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01", "content-type": "application/json",
           "x-claude-code-session-id": "bench"}
SENT_AT: dict[str, float] = {}      # request id -> perf_counter when the upstream wrote its first SSE byte


def big_body(kb: int) -> bytes:
    """The first request of a synthetic round-robin session that reaches `kb` kilobytes (streaming)."""
    for body in round_robin_session(400, 40):
        raw = orjson.dumps({**body, "stream": True})
        if len(raw) >= kb * 1000:
            return raw
    raise SystemExit("could not build a body that large")


def sse_events() -> list[bytes]:
    msg = {"id": "msg_b", "type": "message", "role": "assistant", "content": [], "model": "m", "stop_reason": None,
           "usage": {"input_tokens": 10, "output_tokens": 1}}
    ev = [("message_start", {"type": "message_start", "message": msg}),
          ("content_block_start", {"type": "content_block_start", "index": 0,
                                   "content_block": {"type": "text", "text": ""}}),
          ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                   "delta": {"type": "text_delta", "text": "ok"}}),
          ("content_block_stop", {"type": "content_block_stop", "index": 0}),
          ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                             "usage": {"output_tokens": 1}}),
          ("message_stop", {"type": "message_stop"})]
    return [f"event: {n}\ndata: ".encode() + orjson.dumps(d) + b"\n\n" for n, d in ev]


async def upstream_app(scope, receive, send):
    """Reads the body, streams a short SSE answer; stamps when its first byte leaves."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    rid = dict(scope["headers"]).get(b"x-bench-id", b"").decode()
    events = sse_events()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    SENT_AT[rid] = time.perf_counter()
    await send({"type": "http.response.body", "body": events[0], "more_body": True})
    await asyncio.sleep(0.002)
    await send({"type": "http.response.body", "body": b"".join(events[1:]), "more_body": False})


def start(args: list[str], pythonpath: str | None = None) -> tuple[subprocess.Popen, str]:
    """Start a server process; its first stdout line is `... listening on URL` (`pythonpath`: run another
    checkout's pichay_tui)."""
    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None
    # run in that checkout: `python -c` puts the working directory first on sys.path, ahead of PYTHONPATH
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
                            cwd=pythonpath or None)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit(f"{args[0]} did not start: {line!r}")
    return proc, line.split("listening on", 1)[1].split()[0]


def server_stack() -> str:
    """What both servers run on: uvicorn picks httptools as its HTTP parser when it is installed, else h11."""
    from importlib.metadata import version

    try:
        import httptools  # noqa: F401
        parser = f"httptools {version('httptools')}"
    except ImportError:
        parser = f"h11 {version('h11')}"
    return (f"uvicorn {version('uvicorn')} (HTTP parser {parser}), starlette {version('starlette')}, "
            f"httpx {version('httpx')} to the upstream")


def pichay(upstream: str, mode: str) -> list[str]:
    """`pichay-tui serve` from the pichay_tui this Python imports (PYTHONPATH=an older checkout measures it)."""
    return [sys.executable, "-c", "from pichay_tui.cli.main import main; main()", "serve", "--port", "0",
            "--upstream", upstream, "--mode", mode]


async def one(client: httpx.AsyncClient, url: str, raw: bytes, rid: str) -> tuple[float, float]:
    """Total ms for the request, and ms from the upstream's first SSE byte to ours."""
    t0 = time.perf_counter()
    first = None
    async with client.stream("POST", f"{url}/v1/messages?beta=true", content=raw,
                             headers={**HEADERS, "x-bench-id": rid}) as r:
        async for _ in r.aiter_raw():
            if first is None:
                first = time.perf_counter()
        assert r.status_code == 200, r.status_code
    return (time.perf_counter() - t0) * 1000, (first - SENT_AT.pop(rid)) * 1000


def cpu_ms(pid: int) -> float:
    """CPU time a process's threads have run (ns-exact /proc/PID/task/*/schedstat; /proc/PID/stat counts 10 ms
    ticks, a 0.25 ms resolution over 40 requests): robust to other load on the machine, unlike wall time."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):     # a thread that just ended
            pass
    return total / 1e6


def orjson_floor(raw: bytes, n: int = 50) -> float:
    """Median ms of orjson.loads + orjson.dumps of the body (what any parsing proxy must pay at least)."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        orjson.dumps(orjson.loads(raw))
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


async def measure(urls: dict[str, str], raw: bytes, n: int,
                  warmed: Callable[[], None] = lambda: None) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """`warmed` is called once the warm-up rounds are done (the CPU counters start there)."""
    total: dict[str, list[float]] = {k: [] for k in urls}
    lag: dict[str, list[float]] = {k: [] for k in urls}
    k = 0
    order = list(urls.items())
    shuffle = random.Random(11).shuffle        # a new order each round: no target always follows the same one
    async with httpx.AsyncClient(timeout=60) as client:
        for rnd in range(n + 3):
            if rnd == 3:
                warmed()
            shuffle(order)
            for name, url in order:
                k += 1
                t, l = await one(client, url, raw, str(k))
                if rnd >= 3:                     # warm-up rounds: connections, caches, the engine's session
                    total[name].append(t)
                    lag[name].append(l)
    return total, lag


async def main(kbs: list[int], n: int, baseline: str | None) -> None:
    async with run_upstream(upstream_app) as upstream:
        procs = {"bare-hop": start([sys.executable, str(Path(__file__).with_name("bare_hop.py")), upstream]),
                 "pichay-page": start(pichay(upstream, "page")),
                 "pichay-observe": start(pichay(upstream, "observe"))}
        if baseline:       # the same measurements for an older checkout, in the same run (before/after)
            procs["pichay-page@base"] = start(pichay(upstream, "page"), baseline)
            procs["pichay-observe@base"] = start(pichay(upstream, "observe"), baseline)
        urls = {"direct": upstream, **{k: u for k, (_, u) in procs.items()}}
        try:
            print(f"cpu count {os.cpu_count()}, median of {n} interleaved requests per target, streaming")
            print(f"server stack (proxy and bare hop alike): {server_stack()}")
            for kb in kbs:
                raw = big_body(kb)
                floor = orjson_floor(raw)
                cpu0: dict[str, float] = {}       # after the warm-up rounds: a body's first sight (token counting
                # every block once, lazy imports) is not a per-request cost and would be spread over the n requests
                total, lag = await measure(urls, raw, n,
                                           lambda: cpu0.update({k: cpu_ms(p.pid) for k, (p, _) in procs.items()}))
                cpu = {k: (cpu_ms(p.pid) - cpu0[k]) / n for k, (p, _) in procs.items()}
                med = {k: statistics.median(v) for k, v in total.items()}
                print(f"\nrequest body {len(raw) / 1000:.0f} KB; orjson parse+serialize floor {floor:.2f} ms")
                for name in urls:
                    extra = ""
                    if name.startswith("pichay"):
                        over = med[name] - med["bare-hop"]
                        extra = f"   pichay − hop {over:+.2f} ms = {over / floor:.2f}x floor (target ≤ 3x)"
                    print(f"  {name:20s} {med[name]:7.2f} ms{extra}")
                print("  server CPU per request (user+sys; insensitive to other load on the machine):")
                for name in procs:
                    extra = ""
                    if name.startswith("pichay"):
                        over = cpu[name] - cpu["bare-hop"]
                        extra = f"   pichay − hop {over:+.2f} ms = {over / floor:.2f}x floor"
                    print(f"  {name:20s} {cpu[name]:7.2f} ms{extra}")
                print("  first SSE byte: ms after the upstream wrote it, p50 (target: pichay ≤ 1 ms behind; the "
                      "direct row is the measuring floor)")
                d50 = statistics.median(lag["direct"])
                for name in urls:
                    p50 = statistics.median(lag[name])
                    extra = f"   {p50 - d50:+.2f} ms over direct = {(p50 - d50) / 1.0:.2f}x the 1 ms budget" \
                        if name != "direct" else ""
                    print(f"  {name:20s} {p50:7.2f} ms{extra}")
        finally:
            for proc, _ in procs.values():
                proc.terminate()
                proc.wait(10)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=int, nargs="+", default=[328, 800])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--baseline", metavar="CHECKOUT", help="also measure the pichay_tui of another checkout "
                    "(e.g. a `git worktree add` of an older commit), in the same run")
    args = ap.parse_args()
    asyncio.run(main(args.kb, args.n, args.baseline))
