"""The top bar: product name, where the proxy listens, the line to paste into the agent's shell, the control token,
host status."""
from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class HeaderBar(Widget):
    url: reactive[str] = reactive("")
    status: reactive[str] = reactive("")
    mode: reactive[str] = reactive("page")
    offline: reactive[str] = reactive("proxy not listening")     # shown when there is no URL ("" in replay)
    policy: reactive[str] = reactive("")                          # the policy and switches in force
    intercept: reactive[str] = reactive("")                       # "⏸ INTERCEPT · 1 held" while intercept is on
    token: reactive[str] = reactive("")                           # what POST /_pichay/commands needs

    def render(self) -> Text:
        """Two lines, each cut to the width (never wrapped): the proxy URL keeps the second line's start, and the
        tagline and the `export …` hint are the first to go on a narrow terminal."""
        width = self.size.width or 160
        t = Text()
        t.append(" ◧ pichay", style="bold #f0c674")
        t.append("-tui ", style="bold")
        tagline = " demand paging for your agent's context "
        if width >= 14 + len(tagline) + len(self.policy) + len(self.intercept) + 16:
            t.append(tagline, style="grey58")
        if self.mode != "page":
            t.append(f" {self.mode} mode ", style="black on yellow")
        if self.policy:
            t.append(" ")
            t.append(self.policy, style="#b294bb")
        if self.intercept:
            t.append(" ")
            held = "held" in self.intercept
            t.append(f" {self.intercept} ", style="bold white on red" if held else "bold black on yellow")
        line2 = Text()
        if self.url:
            line2.append(" proxy ", style="grey58")
            line2.append(self.url, style="bold green")
            export = "   export ANTHROPIC_BASE_URL="
            if width >= len(line2) + len(export) + len(self.url) + 3 + len(self.status):
                line2.append(export, style="grey58")
                line2.append(self.url, style="bold")
        elif self.offline:
            line2.append(f" {self.offline}", style="grey50 italic")
        if self.status:
            line2.append("   ")
            line2.append(self.status, style="#81a2be")
        if self.url and self.token:
            # the whole token when it fits, else where to find it (the agent log pane, L, shows the serve banner)
            room = width - len(line2)
            if room >= len(self.token) + 9:
                line2.append("   token ", style="grey58")
                line2.append(self.token)
            elif room >= 17:
                line2.append("   token: press L", style="grey58")
        for line in (t, line2):
            line.truncate(width, overflow="ellipsis")
        return Text("\n").join([t, line2])


def policy_label(config) -> str:
    """`fifo τ4 ≥500B · cooperative on · trim off`: what is paging this context, at a glance."""
    on = {True: "on", False: "off"}
    return (f"{config.policy} τ{config.age_threshold} ≥{config.min_size}B · cooperative {on[bool(config.cooperative)]}"
            f" · trim {on[bool(config.trim_tools)]}")


def intercept_label(snapshot: dict | None) -> str:
    """The header badge: "" when intercept is off, else `⏸ INTERCEPT` and how many requests wait."""
    if not snapshot or not snapshot.get("enabled"):
        return ""
    n = len(snapshot.get("held") or [])
    return f"⏸ INTERCEPT · {n} held" if n else "⏸ INTERCEPT on"
