"""`pichay-tui screenshots`: drive the real demo and a replay headless and save SVGs of the main screen, page detail,
turn diff, help, replay and the replay's policy comparison."""
from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import click

from ..settings import ProxyOptions


async def _until(pilot, cond, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError("the demo did not reach the expected state in time")
        await pilot.pause(0.05)


async def generate(out: Path, size: tuple[int, int] = (160, 48)) -> list[Path]:
    from .tui import build_app
    from ..ui.config import UIConfig
    from ..ui.widgets.page_table import PageTable

    out.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="pichay-demo-")
    app = build_app(ProxyOptions(port=0), demo_dir=workdir, pace=0.0, scripts=("coding",), cfg=UIConfig())
    written: list[Path] = []
    async with app.run_test(size=size) as pilot:
        await _until(pilot, lambda: app.host.script == "finished")
        app.refresh_view(force=True)
        await pilot.pause()
        table = app.screen.query_one(PageTable)
        rows = app.vm.rows()
        # an operator action in flight: pin a resident Bash result (shows as pending until the next request)
        target = next((r for r in rows if r.kind == "tool_result" and r.state == "resident" and r.tool == "Bash"), None)
        if target:
            app.issue("page.pin", page=target.id)
        faulted = next(r for r in rows if r.faults and r.state == "evicted")
        table.move_cursor(row=[r.id for r in app.vm.rows()].index(faulted.id))
        app.refresh_view(force=True)
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("main.svg", str(out))))
        await pilot.press("enter")
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("page-detail.svg", str(out))))
        await pilot.press("escape")
        await pilot.press("d")
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("turn-diff.svg", str(out))))
        await pilot.press("escape", "question_mark")
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("help.svg", str(out))))
    written += await replay_screens(out, size)
    return written


async def replay_screens(out: Path, size: tuple[int, int]) -> list[Path]:
    """The replay screen mid-session on the long thrashing sample (timeline with evictions and faults), and the
    policy comparison for it."""
    from .replay import build_replay_app
    from ..core.model.config import PagerConfig
    from ..core.recording.replayer import load_source
    from ..ui.widgets.page_table import PageTable

    sample = Path(__file__).resolve().parents[2] / "sample_sessions" / "long_thrash.jsonl.xz"
    if not sample.exists():
        return []
    source = load_source(sample)
    source.path = f"sample_sessions/{sample.name}"            # as a user in the repo would name it
    app = build_replay_app(source.path, PagerConfig(), source=source)
    controller = app.controller
    written: list[Path] = []
    async with app.run_test(size=size) as pilot:
        faults = [m.frame for m in controller.markers if m.kind == "fault"]
        mid = faults[len(faults) // 2] + 1 if faults else controller.total // 2
        controller.jump(mid)
        app.moved()
        await pilot.pause(0.2)
        table = app.screen.query_one(PageTable)
        faulted = [i for i, r in enumerate(table.rows) if r.faults]
        if faulted:
            table.move_cursor(faulted[-1])
        app.moved()
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("replay.svg", str(out))))
        await pilot.press("P")
        await _until(pilot, lambda: app.compare is not None and app.compare.ready is not None, timeout=300)
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("replay-compare.svg", str(out))))
    return written


@click.command("screenshots")
@click.option("--out", type=click.Path(file_okay=False), default="screenshots", show_default=True)
@click.option("--size", default="160x48", show_default=True, help="Terminal size COLSxROWS.")
def screenshots_command(out: str, size: str) -> None:
    """Run the demo and a replay headless; write SVGs of the main screen, page detail, turn diff, help, replay and
    the replay's policy comparison into --out."""
    cols, rows = (int(x) for x in size.lower().split("x"))
    for path in asyncio.run(generate(Path(out), (cols, rows))):
        click.echo(path)


COMMANDS = [screenshots_command]


if __name__ == "__main__":  # pragma: no cover
    print(asyncio.run(generate(Path("screenshots"))))
