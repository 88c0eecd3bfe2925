"""Every key binding, with a stable id users can remap in config.toml's [keymap] table.

Operator keys run `op('<core command>')`; the others run App actions. `tests/ui/test_bindings.py` checks that each one
resolves to an existing core command or action method.
"""
from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS: list[Binding] = [
    Binding("question_mark", "help", "Help", id="app.help", tooltip="this screen", key_display="?"),
    Binding("q", "quit_app", "Quit", id="app.quit", tooltip="quit (asks first while sessions are live)"),
    Binding("slash", "filter", "Filter", id="view.filter", tooltip="filter pages with an expression (see below)", key_display="/"),
    Binding("escape", "clear_filter", "Clear filter", show=False, id="view.clear-filter", tooltip="clear the filter"),
    Binding("s", "sort", "Sort", id="view.sort", tooltip="cycle the sort column"),
    Binding("S", "reverse_sort", "Reverse sort", show=False, id="view.reverse-sort", tooltip="reverse the sort order"),
    Binding("F", "follow", "Follow", id="view.follow", tooltip="follow mode: keep the newest page selected"),
    Binding("a", "show_all", "All blocks", show=False, id="view.show-all", tooltip="show every block (calls, text, tool definitions)"),
    Binding("d", "turn_diff", "Turn diff", id="view.turn-diff", tooltip="turn diff: client request vs what went upstream"),
    Binding("L", "toggle_log", "Agent log", show=False, id="view.agent-log", tooltip="show/hide the agent output pane"),
    Binding("1", "focus('sessions')", "Sessions", show=False, id="focus.sessions", tooltip="focus the sessions list"),
    Binding("2", "focus('pages')", "Pages", show=False, id="focus.pages", tooltip="focus the page table"),
    Binding("3", "focus('faults')", "Faults", show=False, id="focus.faults", tooltip="focus the fault timeline"),
    Binding("e", "op('page.evict')", "Evict", id="page.evict", tooltip="evict the selected page now (confirm)"),
    Binding("p", "op('page.pin')", "Pin", id="page.pin", tooltip="pin the selected page"),
    Binding("u", "op('page.unpin')", "Unpin", id="page.unpin", tooltip="unpin the selected page"),
    Binding("r", "op('page.restore')", "Restore", id="page.restore", tooltip="restore an evicted page"),
    Binding("C", "op('session.compact')", "Compact", id="session.compact", tooltip="evict every eligible page now (confirm)"),
    Binding("c", "op('session.collapse')", "Collapse", show=False, id="session.collapse", tooltip="collapse a turn range into a summary (prompt)"),
    Binding("i", "intercept_toggle", "Intercept", show=False, id="intercept.toggle",
            tooltip="intercept on/off: hold each request until released (off releases all)"),
    Binding("R", "intercept_release", "Release", id="intercept.release",
            tooltip="release the oldest held request (queued commands apply to it)"),
    Binding("ctrl+r", "intercept_release_all", "Release all", show=False, id="intercept.release_all",
            tooltip="release every held request"),
    Binding("space", "pause", "Pause", show=False, id="demo.pause", tooltip="pause / resume the simulated agent"),
    Binding("n", "step", "Next step", show=False, id="demo.step", tooltip="while paused: one more agent request"),
    Binding("plus,equals_sign", "speed(2.0)", "Faster", show=False, id="demo.faster", tooltip="faster demo", key_display="+"),
    Binding("minus", "speed(0.5)", "Slower", show=False, id="demo.slower", tooltip="slower demo", key_display="-"),
]

# vim-style motion on every table
TABLE_BINDINGS: list[Binding] = [
    Binding("j", "cursor_down", "Down", show=False, id="nav.down"),
    Binding("k", "cursor_up", "Up", show=False, id="nav.up"),
    Binding("g", "scroll_top", "Top", show=False, id="nav.top"),
    Binding("G", "scroll_bottom", "Bottom", show=False, id="nav.bottom"),
    Binding("ctrl+f", "page_down", "Page down", show=False, id="nav.page-down"),
    Binding("ctrl+b", "page_up", "Page up", show=False, id="nav.page-up"),
]

# on the page table only
PAGE_TABLE_BINDINGS: list[Binding] = [
    Binding("enter", "open_detail", "Detail", id="page.detail", tooltip="page detail: original, model view, history"),
]

HELP_SECTIONS = [
    ("Operator (queued; applies at the session's next request)", ("page.", "session.")),
    ("Intercept (hold requests, queue commands, then release)", ("intercept.",)),
    ("View", ("view.", "focus.", "page.detail")),
    ("Navigation", ("nav.",)),
    ("Demo", ("demo.",)),
    ("Replay", ("replay.",)),
    ("App", ("app.",)),
]


def all_bindings() -> list[Binding]:
    return APP_BINDINGS + TABLE_BINDINGS + PAGE_TABLE_BINDINGS
