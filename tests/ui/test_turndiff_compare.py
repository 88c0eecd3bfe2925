"""The turn diff shows what each request changed (a small evicted page: its lines against the handle, never the same
text on both sides), and the policy comparison never calls a thrashing policy "best"."""
from __future__ import annotations

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.model.exchange import ResponseSummary
from pichay_tui.core.lab.synthetic import Conversation
from pichay_tui.core.lab.compare import COMPARE_HEADERS
from pichay_tui.ui.app import PichayApp
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.screens.compare import CompareReady, CompareState, best_policy, compare_table
from pichay_tui.ui.screens.turndiff import TurnDiffScreen


def _sides(text: str) -> tuple[list[str], list[str]]:
    """The diff's "-" and "+" lines, whitespace collapsed (a tab and two spaces read the same on screen)."""
    lines = [" ".join(x.split()) for x in text.splitlines()]
    return [x[2:] for x in lines if x.startswith("- ")], [x[2:] for x in lines if x.startswith("+ ")]


def _same_line(minus: list[str], plus: list[str]) -> bool:
    return any(m[:60] == p[:60] for m in minus for p in plus)


async def test_turn_diff_of_a_small_page_evicted_then_restored_shows_content_against_the_handle():
    t = [1_700_000_000.0]
    eng = Engine(PagerConfig(age_threshold=2, min_size=0), clock=lambda: t[0])
    app = PichayApp(eng, config=UIConfig(), root="/w", clock=lambda: t[0], auto_refresh=False)
    conv = Conversation("small")

    def send():
        t[0] += 5
        r = eng.handle_request(conv.body(), {"user-agent": "claude-cli/2.0 (external, cli)"})
        eng.handle_response(r.session_id, ResponseSummary(status=200, usage={"input_tokens": 100}))

    conv.read("/w/tiny.txt", lines=2)                  # a two-line file: every line of it shows in the diff
    send()
    for i in range(3):
        conv.bash(f"step {i}", lines=1)
        send()
    s = next(iter(eng.sessions.values()))
    tiny = next(p for p in s.pages.values() if p.address == "/w/tiny.txt" and p.kind.value == "tool_result")
    assert tiny.state.value == "evicted"
    eng.command("page.restore", page=tiny.id)
    conv.bash("after", lines=1)
    send()
    assert tiny.state.value == "resident"               # restored since: the newest request carries its content
    async with app.run_test(size=(160, 48)) as pilot:
        app.refresh_view(force=True)
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TurnDiffScreen)
        out = next(r for r in screen.records if any(p == tiny.id for p, _ in r.evicted))
        back = next(r for r in screen.records if any(p == tiny.id for p, _ in r.restored))
        minus, plus = _sides(screen._mini_diff(tiny.id, True).plain)
        assert len(minus) == 2 and plus and plus[0].startswith("[Paged out: Read /w/tiny.txt")
        assert not _same_line(minus, plus)
        minus, plus = _sides(screen._mini_diff(tiny.id, False).plain)
        assert minus[0].startswith("[Paged out") and len(plus) == 2 and not _same_line(minus, plus)
        from rich.console import Console

        for record in (out, back):                      # what the screen renders for those requests
            console = Console(width=160, record=True)
            console.print(screen.render_record(record))
            minus, plus = _sides(console.export_text())
            assert minus and plus and not _same_line(minus, plus)


def _row(name: str, cost: int, thrash: bool) -> list[str]:
    row = [name] + [""] * (len(COMPARE_HEADERS) - 1)
    row[COMPARE_HEADERS.index("cost")] = f"{cost:,}"
    row[COMPARE_HEADERS.index("thrash")] = "yes" if thrash else ""
    return row


def test_best_is_the_cheapest_policy_that_does_not_thrash():
    rows = [_row("fifo", 9_000, True), _row("lru", 12_000, False), _row("pin_decay", 11_000, False),
            _row("clairvoyant", 5_000, False)]
    assert best_policy(COMPARE_HEADERS, rows) == ("pin_decay", False)
    text = compare_table(CompareState("x.jsonl", 10, ["fifo", "lru", "pin_decay"],
                                      ready=CompareReady(COMPARE_HEADERS, rows, "fifo")))
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(text)
    out = console.export_text()
    assert "pin_decay  ◀ best" in out and "fifo  ◀" not in out
    assert "lowest cost among the policies that do not thrash" in out


def test_when_every_policy_thrashes_the_cheapest_is_marked_as_such():
    rows = [_row("fifo", 9_000, True), _row("lru", 12_000, True)]
    assert best_policy(COMPARE_HEADERS, rows) == ("fifo", True)
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(compare_table(CompareState("x.jsonl", 10, ["fifo", "lru"],
                                             ready=CompareReady(COMPARE_HEADERS, rows, "fifo"))))
    out = console.export_text()
    assert "fifo  ◀ lowest" in out and "◀ best" not in out and "every policy thrashes" in out


def test_a_narrow_comparison_drops_whole_columns_instead_of_cutting_them():
    from rich.console import Console

    rows = [["fifo", "151", "124", "0", "25", "0.20", "71.4", "72.7", "1,456,095", "2,025,344", "2.21×", "$8.43",
             "30,093", "5.41×", "yes"],
            ["anthropic_clear", "151", "86", "9", "9", "0.10", "37.0", "37.7", "5,412,430", "5,731,193", "6.25×",
             "$2.67", "62,821", "1.72×", ""],
            ["clairvoyant", "", "", "", "123", "", "", "", "150,438", "917,073", "1.00×", "$1.56", "", "1.00×", ""]]
    for width in (72, 114, 154, 200):
        console = Console(width=width, record=True)
        console.print(compare_table(CompareState("x", 10, ["fifo"], ready=CompareReady(COMPARE_HEADERS, rows, "fifo")),
                                    width))
        out = console.export_text()
        assert "…" not in out.split("\n\n")[0], (width, out)          # no header, number or name is cut
        assert "anthropic_clear  ◀ best" in out and "5,731,193" in out
        assert ("not shown at this width" in out) == (width < 180), width
