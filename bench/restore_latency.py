"""Does bringing a big evicted block back stall everyone else? Control API and another session's requests, timed while
a ~50 MB tool result that was evicted to the store (`--state-dir`) comes back, after a restart (so it is read from
SQLite, not from RAM), against the same probes with nothing else going on.

Target (issue 11): every probe answers within 50 ms of normal (the median idle latency). Scenarios, each on a fresh
start of `pichay-tui serve` on the same state dir:
- fault: the model calls memory_fault for the evicted page (the proxy answers it from the store and continues);
- notice: the client answers a re-read with a "file unchanged" notice (the pager serves the stored content instead);
- evict (from an empty store): a request evicts the ~50 MB result, so the store writes it and checkpoints the session
  (the per-request checkpoint of `--state-dir`).
Both trigger requests carry the session's history, itself ~50 MB (the client still holds it), so each line also
prints the same probes around that history resent with nothing to bring back (`resend`): the part of the stall that
is the big body's own, already measured by bench/loop_latency.py.

Run: python bench/restore_latency.py [--mb 50] [--runs 3]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).parent))
from loop_latency import TOOLS, lags, line, probe, probe_until, serve_watched, summarize, text  # noqa: E402
from proxy_overhead import pichay, sse_events, start  # noqa: E402

from pichay_tui.core.model.blocks import short_id  # noqa: E402
from pichay_tui.sim.upstream import run_upstream  # noqa: E402

TOKEN = "restore-latency-bench-token-0123456789abcdef"
SID = {"x-claude-code-session-id": "restore-bench"}
NOTICE = "File unchanged since last read. The content from the earlier Read tool_result is still current."


def fault_events(pid: str) -> list[bytes]:
    """An SSE answer whose only content is a memory_fault call for `pid`."""
    ev = [("message_start", {"type": "message_start", "message": {
              "id": "msg_f", "type": "message", "role": "assistant", "content": [], "model": "m",
              "stop_reason": None, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
          ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
              "type": "tool_use", "id": "toolu_fault", "name": "memory_fault", "input": {}}}),
          ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {
              "type": "input_json_delta", "partial_json": orjson.dumps({"paths": [pid]}).decode()}}),
          ("content_block_stop", {"type": "content_block_stop", "index": 0}),
          ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use"},
                             "usage": {"output_tokens": 5}}),
          ("message_stop", {"type": "message_stop"})]
    return [f"event: {n}\ndata: ".encode() + orjson.dumps(d) + b"\n\n" for n, d in ev]


async def upstream_app(scope, receive, send):
    """A short text answer, or a memory_fault call when the last user message says `FAULT <page id>`."""
    if scope["type"] != "http":
        return
    chunks = []
    while True:
        m = await receive()
        chunks.append(m.get("body", b""))
        if not m.get("more_body"):
            break
    tail = b"".join(chunks[-2:])[-300:]
    at = tail.find(b"FAULT ")
    events = fault_events(tail[at + 6:].split(b'"')[0].decode()) if at >= 0 else sse_events()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
    await send({"type": "http.response.body", "body": b"".join(events), "more_body": False})


def history(mb: int) -> list[dict]:
    """A Read of /big (one ~`mb` MB result), then two short turns."""
    big = text(mb * 1_000_000, random.Random(7))
    return [{"role": "user", "content": "start"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_big", "name": "Read",
                                               "input": {"file_path": "/big"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_big", "content": big}]},
            {"role": "assistant", "content": "read it"}, {"role": "user", "content": "go on"}]


def body(msgs: list[dict]) -> bytes:
    return orjson.dumps({"model": "m", "max_tokens": 5, "stream": True, "tools": TOOLS, "messages": msgs})


def later(msgs: list[dict], how: str) -> list[dict]:
    """The next request: `FAULT` asks the upstream for a memory_fault; `notice` re-reads /big unchanged; else a
    plain turn (the history resent, nothing to bring back)."""
    if how == "notice":
        return msgs + [{"role": "assistant", "content": [{"type": "tool_use", "id": "tu_again", "name": "Read",
                                                          "input": {"file_path": "/big"}}]},
                       {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_again",
                                                     "content": NOTICE}]}]
    word = f"FAULT {short_id('tr:tu_big')}" if how == "fault" else "next"
    return msgs + [{"role": "assistant", "content": "ok"}, {"role": "user", "content": word}]


def send(url: str, path: str) -> None:
    """The trigger request, from its own process (as in loop_latency.py): reads the body, says ready, posts on a
    line from stdin, prints the status."""
    raw = Path(path).read_bytes()
    with httpx.Client(timeout=600) as c:
        c.get(f"{url}/_pichay/state?pages=0")
        print("ready", flush=True)
        sys.stdin.readline()
        r = c.post(f"{url}/v1/messages", content=raw, headers=SID)
        r.read()
        print(r.status_code, flush=True)


async def measured(url: str, raw: bytes, lag_file: str) -> tuple[dict, list[float], float]:
    """Idle probes, then probes while `raw` is sent from another process; plus the proxy's own loop lag."""
    with tempfile.NamedTemporaryFile(prefix="pichay-restore-", suffix=".json", delete=False) as f:
        f.write(raw)
    try:
        async with httpx.AsyncClient(timeout=120) as client:
            kinds = ("control", "request")
            idle = {k: [await probe(client, url, k, i) for i in range(20)] for k in kinds}
            proc = await asyncio.create_subprocess_exec(sys.executable, __file__, "--send", url, f.name,
                                                        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
            assert (await proc.stdout.readline()).strip() == b"ready"
            t0 = time.perf_counter()
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
            status = asyncio.ensure_future(proc.stdout.readline())
            during = await probe_until(client, url, kinds, status)
            assert int((await status).strip()) == 200
            await proc.wait()
            t1 = time.perf_counter()
    finally:
        os.unlink(f.name)
    return summarize(idle, during), sorted(lags(lag_file, t0, t1)), t1 - t0


def serve_args(upstream: str, state_dir: str) -> list[str]:
    return [*pichay(upstream, "page")[3:], "--state-dir", state_dir, "--control-token", TOKEN]


async def setup(upstream: str, state_dir: str, msgs: list[dict]) -> None:
    """First start: the session reads /big, the operator evicts it, the next request shows its handle."""
    proc, url = start([*pichay(upstream, "page"), "--state-dir", state_dir, "--control-token", TOKEN])
    try:
        async with httpx.AsyncClient(timeout=600) as c:
            assert (await c.post(f"{url}/v1/messages", content=body(msgs), headers=SID)).status_code == 200
            r = await c.post(f"{url}/_pichay/commands", json={"command": "page.evict", "page": short_id("tr:tu_big")},
                             headers={"authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 200, r.text
            assert (await c.post(f"{url}/v1/messages", content=body(later(msgs, "resend")),
                                 headers=SID)).status_code == 200
            state = (await c.get(f"{url}/_pichay/state")).json()
            pages = [p for s in state["sessions"] for p in s["pages"] if p["id"] == short_id("tr:tu_big")]
            assert pages and pages[0]["state"] == "evicted", pages
    finally:
        proc.terminate()
        proc.wait(30)


async def evict_next(url: str, first: list[dict]) -> None:
    """The session reads /big (it stays resident); the operator asks for its eviction, done by the next request."""
    async with httpx.AsyncClient(timeout=600) as c:
        assert (await c.post(f"{url}/v1/messages", content=body(first), headers=SID)).status_code == 200
        r = await c.post(f"{url}/_pichay/commands", json={"command": "page.evict", "page": short_id("tr:tu_big")},
                         headers={"authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200, r.text


async def main(mb: int, runs: int) -> None:
    up_proc, upstream = start([sys.executable, __file__, "--serve-upstream"])
    state_dir = tempfile.mkdtemp(prefix="pichay-restore-state-")
    lag_file = tempfile.mktemp(prefix="pichay-lag-", suffix=".txt")
    first = history(mb)
    msgs = later(first, "resend")
    try:
        await setup(upstream, state_dir, first)
        print(f"history {len(body(msgs)) / 1e6:.1f} MB; the /big result evicted to {state_dir}")
        for how in [h for _ in range(runs) for h in ("resend", "fault", "notice", "evict")]:
            run_dir = f"{state_dir}-{how}"        # each scenario starts from the state the setup left
            if how == "evict":
                os.mkdir(run_dir)                 # (but this one: from an empty store)
            else:
                shutil.copytree(state_dir, run_dir)
            proc, url = start([sys.executable, str(Path(__file__).parent / "loop_latency.py"), "--serve-watched",
                               lag_file, "--", *serve_args(upstream, run_dir)])
            try:
                if how == "evict":
                    await evict_next(url, first)
                res, lag, took = await measured(url, body(msgs if how == "evict" else later(msgs, how)), lag_file)
            finally:
                proc.terminate()
                proc.wait(30)
                shutil.rmtree(run_dir, ignore_errors=True)
            print(f"\n{how}: the trigger request took {took:.1f} s")
            for k in ("control", "request"):
                line(k, res[k], "(target ≤ 50 ms)" if how != "resend" else "(reference)")
            print(f"  proxy's event loop (5 ms heartbeat): worst lag {max(lag or [0]):6.1f} ms, "
                  f"{sum(x > 20 for x in lag)} wakeups > 20 ms, {sum(x > 50 for x in lag)} > 50 ms")
    finally:
        up_proc.terminate()
        up_proc.wait(10)
        shutil.rmtree(state_dir, ignore_errors=True)
        if os.path.exists(lag_file):
            os.unlink(lag_file)


async def serve_upstream() -> None:
    async with run_upstream(upstream_app) as url:
        print(f"listening on {url}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--runs", type=int, default=3, help="rounds of the four scenarios (the machine is shared)")
    ap.add_argument("--serve-upstream", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--send", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.send:
        send(*args.send)
    else:
        asyncio.run(serve_upstream() if args.serve_upstream else main(args.mb, args.runs))
