"""Cell formatting shared by the tables: state glyphs and colours, token counts, shortened addresses."""
from __future__ import annotations

from rich.text import Text

STATE_STYLE = {
    "resident": ("●", "resident", "green"),
    "pinned": ("◆", "pinned", "bold cyan"),
    "evicted": ("○", "evicted", "dark_orange"),
    "released": ("◌", "released", "magenta"),
    "collapsed": ("▤", "collapsed", "medium_purple"),
    "stubbed": ("▫", "stubbed", "grey50"),
    "cleared-by-client": ("✕", "cleared", "grey42"),
}
ZONE_STYLE = {"normal": "green", "advisory": "yellow", "involuntary": "dark_orange", "aggressive": "bold red"}
KIND_LABEL = {"tool_result": "result", "tool_use": "call", "tool_def": "tooldef", "system": "system",
              "system_msg": "sysmsg", "text": "text", "thinking": "think", "image": "image", "other": "other"}
PENDING_LABEL = {"page.evict": "evict", "page.pin": "pin", "page.unpin": "unpin", "page.restore": "restore",
                 "session.compact": "compact", "session.collapse": "collapse"}


def state_cell(state: str, pending: str = "") -> Text:
    glyph, label, style = STATE_STYLE.get(state, ("?", state, ""))
    t = Text.assemble((f"{glyph} ", style), (label, style))
    if pending:
        t.append(f" →{PENDING_LABEL.get(pending, pending)}", style="bold yellow")
    return t


def tokens(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}K"
    if n >= 1000:
        return f"{n / 1000:.1f}K"
    return str(n)


def num(n: int, zero: str = "·") -> Text:
    return Text(f"{n:,}" if n else zero, justify="right", style="" if n else "grey42")


def short_addr(addr: str, root: str = "", width: int = 44) -> str:
    if root and addr.startswith(root):
        addr = "./" + addr[len(root):].lstrip("/")
    addr = addr.replace(root, ".") if root else addr
    addr = " ".join(addr.split())
    return addr if len(addr) <= width else "…" + addr[-(width - 1):]
