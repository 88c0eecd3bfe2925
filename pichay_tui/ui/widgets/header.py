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
        t = Text()
        t.append(" ◧ pichay", style="bold #f0c674")
        t.append("-tui ", style="bold")
        t.append(" demand paging for your agent's context ", style="grey58")
        if self.mode != "page":
            t.append(f" {self.mode} mode ", style="black on yellow")
        if self.policy:
            t.append(" ")
            t.append(self.policy, style="#b294bb")
        if self.intercept:
            t.append(" ")
            held = "held" in self.intercept
            t.append(f" {self.intercept} ", style="bold white on red" if held else "bold black on yellow")
        t.append("\n")
        if self.url:
            t.append(" proxy ", style="grey58")
            t.append(self.url, style="bold green")
            t.append("   export ANTHROPIC_BASE_URL=", style="grey58")
            t.append(self.url, style="bold")
        elif self.offline:
            t.append(f" {self.offline}", style="grey50 italic")
        if self.status:
            t.append("   ")
            t.append(self.status, style="#81a2be")
        if self.url and self.token:
            # the whole token when it fits, else where to find it (the agent log pane, L, shows the serve banner)
            room = self.size.width - (len(t.plain) - t.plain.rfind("\n") - 1)
            if room >= len(self.token) + 9:
                t.append("   token ", style="grey58")
                t.append(self.token)
            elif room >= 17:
                t.append("   token: press L", style="grey58")
        return t


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
