"""Every key binding, with a stable id users can remap in config.toml's [keymap] table.

Operator keys run `op('<core command>')`; the others run App actions. `tests/ui/test_bindings.py` checks that each one
resolves to an existing core command or action method.
"""
from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS: list[Binding] = [
    Binding("question_mark", "help", "Help", id="app.help", key_display="?"),
    Binding("q", "quit_app", "Quit", id="app.quit"),
    Binding("slash", "filter", "Filter", id="view.filter", key_display="/"),
    Binding("escape", "clear_filter", "Clear filter", show=False, id="view.clear-filter"),
    Binding("s", "sort", "Sort", id="view.sort"),
    Binding("S", "reverse_sort", "Reverse sort", show=False, id="view.reverse-sort"),
    Binding("F", "follow", "Follow", id="view.follow"),
    Binding("a", "show_all", "All blocks", show=False, id="view.show-all"),
    Binding("d", "turn_diff", "Turn diff", id="view.turn-diff"),
    Binding("L", "toggle_log", "Agent log", show=False, id="view.agent-log"),
    Binding("1", "focus('sessions')", "Sessions", show=False, id="focus.sessions"),
    Binding("2", "focus('pages')", "Pages", show=False, id="focus.pages"),
    Binding("3", "focus('faults')", "Faults", show=False, id="focus.faults"),
    Binding("e", "op('page.evict')", "Evict", id="page.evict"),
    Binding("p", "op('page.pin')", "Pin", id="page.pin"),
    Binding("u", "op('page.unpin')", "Unpin", id="page.unpin"),
    Binding("r", "op('page.restore')", "Restore", id="page.restore"),
    Binding("C", "op('session.compact')", "Compact", id="session.compact"),
    Binding("c", "op('session.collapse')", "Collapse", show=False, id="session.collapse"),
    Binding("space", "pause", "Pause", show=False, id="demo.pause"),
    Binding("plus,equals_sign", "speed(2.0)", "Faster", show=False, id="demo.faster", key_display="+"),
    Binding("minus", "speed(0.5)", "Slower", show=False, id="demo.slower", key_display="-"),
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
    Binding("enter", "open_detail", "Detail", id="page.detail"),
]

HELP_SECTIONS = [
    ("Operator (queued; applies at the session's next request)", ("page.", "session.")),
    ("View", ("view.", "focus.", "page.detail")),
    ("Navigation", ("nav.",)),
    ("Demo", ("demo.",)),
    ("App", ("app.",)),
]


def all_bindings() -> list[Binding]:
    return APP_BINDINGS + TABLE_BINDINGS + PAGE_TABLE_BINDINGS
