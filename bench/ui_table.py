"""Page table refresh cost at 3,000 and 10,000 pages against 30 pages, measured in the same run (headless Textual).

For each size: an engine is fed one request holding N Read results (N user turns, so most pages are paged out and the
table shows mixed states), the app is started headless at 160x48, and we time
  * first fill  — `refresh_view(force=True)` on the freshly mounted screen plus the repaint that follows it;
  * new turn    — one more request reaches the engine (not timed), then `refresh_view()` + repaint: every row's age
                  changes, one row is added and the sweep may evict a page;
  * j key       — moving the cursor one row down (the `j` action) and repainting; mean of 40.
The engine's own request handling is not included; the 30-page case is the baseline.

A last case, "3,000+F", is a thrashing session: 3,000 results read over 40 requests, ~1,000 of them re-reads of evicted
files (major faults; fault pinning off) and 200 operator pins; each timed new turn re-reads an evicted file, so the
fault timeline gains a row every turn. As `timeit` does, the garbage
collector is run before each sample and paused during it (a gen-2 pass over the engine's request bodies costs tens of
ms wherever it happens to land); `--gc` leaves it running.

Targets (2-core machine): new turn at 3,000 rows < 50 ms, first fill < 200 ms. Run: python3 bench/ui_table.py [--repeat N]
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pichay_tui.core.model.config import PagerConfig  # noqa: E402
from pichay_tui.core.engine.facade import Engine  # noqa: E402
from pichay_tui.core.model.exchange import ResponseSummary  # noqa: E402
from pichay_tui.core.lab.synthetic import Conversation  # noqa: E402
from pichay_tui.ui.app import PichayApp  # noqa: E402
from pichay_tui.ui.config import UIConfig  # noqa: E402
from pichay_tui.ui.widgets.page_table import PageTable  # noqa: E402

SIZES = (30, 3_000, 10_000)
TARGET_TURN_MS, TARGET_FILL_MS = 50.0, 200.0


def build(n: int) -> tuple[Engine, Conversation, list[float]]:
    t = [1_700_000_000.0]
    eng = Engine(PagerConfig(age_threshold=8), clock=lambda: t[0])
    conv = Conversation("bench", prompt="Work through the repository.")
    for i in range(n):
        if i % 7 == 3:
            conv.bash(f"pytest -q tests/test_{i % 50}.py", lines=4)
        else:
            conv.read(f"/work/project/src/pkg{i % 37}/module_{i % 211}.py", lines=4)
    send(eng, conv, t)
    return eng, conv, t


def build_thrashing(n: int = 3_000, faults: int = 1_000, pins: int = 200, batches: int = 40
                    ) -> tuple[Engine, Conversation, list[float]]:
    t = [1_700_000_000.0]
    eng = Engine(PagerConfig(age_threshold=8, fault_pinning=False), clock=lambda: t[0])
    conv = Conversation("bench", prompt="Work through the repository.")
    per, refs = n // batches, -(-faults * 11 // 10 // (batches - 2))   # ~10% of re-reads hit a resident copy
    tries, read = 0, []
    for b in range(batches):
        for k in range(per):
            if b > 1 and k < refs and tries < faults * 11 // 10:
                path = read[(tries * 7) % (len(read) - per)]      # read at least one request ago: evicted by now
                tries += 1
            else:
                path = f"/work/project/src/pkg{len(read) % 37}/module_{len(read)}.py"
            conv.read(path, lines=20)                             # > min_size, so results are evictable
            read.append(path)
        if b:                                                     # pin a few resident results (applied on send)
            s = next(iter(eng.sessions.values()))
            pinned = sum(p.pinned for p in s.pages.values()) + len(s.pending)
            res = [p.id for p in s.pages.values() if p.kind.value == "tool_result" and p.state.value == "resident"]
            for pid in res[:max(0, min(-(-pins // (batches - 1)), pins - pinned))]:
                eng.command("page.pin", page=pid)
        send(eng, conv, t)
    conv.read_again = read                                        # type: ignore[attr-defined]
    return eng, conv, t


def send(eng: Engine, conv: Conversation, t: list[float]) -> None:
    t[0] += 5.0
    r = eng.handle_request(conv.body(), {"user-agent": "claude-cli/2.0 (external, cli)"})
    eng.handle_response(r.session_id, ResponseSummary(status=200, usage={"input_tokens": 10}))


async def settle(pilot) -> None:
    """Process every message the refresh queued (twice: idle handlers queue more) and paint the screen now.

    `pilot.pause()` also sleeps until the process looks idle (tens of ms of noise), so it is not used in timings."""
    await pilot._wait_for_screen()
    await pilot._wait_for_screen()
    pilot.app.screen._on_timer_update()


KEEP_GC = False


def begin() -> float:
    if not KEEP_GC:
        gc.collect()
        gc.disable()
    return time.perf_counter()


def end(start: float) -> float:
    ms = (time.perf_counter() - start) * 1e3
    gc.enable()
    return ms


async def measure(n: int, turns: int, thrash: bool = False) -> dict[str, float]:
    eng, conv, t = build_thrashing(n) if thrash else build(n)
    app = PichayApp(eng, config=UIConfig(), root="/work/project", clock=lambda: t[0], auto_refresh=False)
    out: dict[str, float] = {}
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        # the screen's on_mount already did one refresh; a cold fill is a new view model (e.g. after a replay jump)
        from pichay_tui.core.view.model import ViewModel

        app.vm = ViewModel(eng)
        app.vm.selected = next(iter(eng.sessions))
        table = app.screen.query_one(PageTable)
        start = begin()
        app.refresh_view(force=True)
        sync_done = time.perf_counter()
        await settle(pilot)
        out["fill_sync"] = (sync_done - start) * 1e3
        out["fill"] = end(start)
        assert table.row_count == len(app.vm.rows()) > 0, (table.row_count, len(app.vm.rows()))
        per_turn, per_turn_sync = [], []
        for i in range(turns):
            if thrash:                                   # re-read an evicted file: one more fault
                conv.read(conv.read_again[i * 13], lines=20)
            else:
                conv.read(f"/work/project/src/new_{i}.py", lines=4)
            send(eng, conv, t)                           # the engine's work: not part of the UI figure
            start = begin()
            app.refresh_view()
            sync_done = time.perf_counter()
            await settle(pilot)
            per_turn_sync.append((sync_done - start) * 1e3)
            per_turn.append(end(start))
        out["turn"] = statistics.median(per_turn)
        out["turn_sync"] = statistics.median(per_turn_sync)
        table.focus()
        table.move_cursor(row=0)
        await pilot.pause()
        start = begin()
        for _ in range(40):
            table.action_cursor_down()
            await settle(pilot)
        out["key"] = end(start) / 40
        out["rows"] = table.row_count
        out["faults"], out["pins"] = len(app.vm.faults()), len(app.vm.pins())
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=7, help="new turns timed per size (median reported)")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--gc", action="store_true", help="leave the garbage collector running during samples")
    ap.add_argument("--no-thrash", action="store_true", help="skip the 3,000 pages + 1,000 faults + 200 pins case")
    args = ap.parse_args()
    global KEEP_GC
    KEEP_GC = args.gc
    sizes = [int(s) for s in args.sizes.split(",")]
    res: dict = {n: asyncio.run(measure(n, args.turns)) for n in sizes}
    cases: list = list(sizes)
    if not args.no_thrash:
        res["3,000+F"] = asyncio.run(measure(3_000, args.turns, thrash=True))
        cases.append("3,000+F")
    base = res[sizes[0]]
    print(f"page table refresh, 160x48 headless, median of {args.turns} new turns; ratios against {sizes[0]} pages; "
          f"gc {'running' if KEEP_GC else 'collected before and paused during each sample'}")
    print(f"{'pages':>7} {'rows':>7} {'first fill':>12} {'(sync)':>9} {'new turn':>10} {'(sync)':>9} {'j key':>8}"
          f" {'fill ×':>7} {'turn ×':>7}")
    for n in cases:
        r = res[n]
        print(f"{n if isinstance(n, str) else format(n, ','):>7} {int(r['rows']):>7,} {r['fill']:>10.1f}ms {r['fill_sync']:>7.1f}ms {r['turn']:>8.1f}ms"
              f" {r['turn_sync']:>7.1f}ms {r['key']:>6.1f}ms {r['fill'] / base['fill']:>7.2f} "
              f"{r['turn'] / base['turn']:>7.2f}")
    if "3,000+F" in res:
        r = res["3,000+F"]
        print(f"3,000+F: {int(r['faults']):,} faults, {int(r['pins']):,} pins in the panes; new turn {r['turn']:.1f} ms "
              f"(target < {TARGET_TURN_MS:.0f})")
    if 3_000 in res:
        r = res[3_000]
        ok = r["turn"] < TARGET_TURN_MS and r["fill"] < TARGET_FILL_MS
        print(f"3,000 rows: new turn {r['turn']:.1f} ms (target < {TARGET_TURN_MS:.0f}), first fill {r['fill']:.1f} ms "
              f"(target < {TARGET_FILL_MS:.0f}) — {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
