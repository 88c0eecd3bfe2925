"""Command palette provider: the operator commands that apply to the selected page, plus view actions."""
from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from . import operator as ops

VIEW = [("Filter pages…", "filter", "expression: tool:Read state:evicted tokens>2k path:src/"),
        ("Turn diff", "turn_diff", "client request vs what was sent upstream, per turn"),
        ("Cycle sort column", "sort", ""), ("Toggle follow mode", "follow", "keep the newest page selected"),
        ("Toggle all blocks", "show_all", "also show tool calls"), ("Toggle agent output", "toggle_log", ""),
        ("Key bindings", "help", "every binding and its id")]


class OperatorCommands(Provider):
    """Context-aware: unpin is only offered for a pinned page, restore for an evicted one, and so on."""

    def _items(self) -> list[tuple[str, object, str]]:
        app = self.app
        row = app.selected_row()
        items = []
        for name, act in ops.ACTIONS.items():
            ok, why = ops.applicable(app.vm, name, row)
            if name == ops.COLLAPSE and not ok:
                items.append((f"{act.label} (not available)", partial(app.action_op, name), why))
                continue
            if not ok:
                continue
            target = f" {row.id} · {row.tool} {row.address}" if act.needs_page and row else ""
            items.append((f"{act.label}{target}", partial(app.action_op, name), f"{name} — applies at next request"))
        icpt = getattr(app, "intercept", None)
        if icpt is not None:
            items.append(("Intercept: turn off (releases held requests)" if icpt.enabled else
                          "Intercept: hold each request until released", partial(app.run_action, "intercept_toggle"),
                          "intercept.toggle"))
            if icpt.held:
                items.append((f"Release held request {next(iter(icpt.held))}",
                              partial(app.run_action, "intercept_release"), "intercept.release — the oldest"))
                items.append((f"Release all {len(icpt.held)} held requests",
                              partial(app.run_action, "intercept_release_all"), "intercept.release_all"))
        for label, action, help_text in VIEW:
            items.append((label, partial(app.run_action, action), help_text))
        return items

    async def discover(self) -> Hits:
        for label, cb, help_text in self._items():
            yield DiscoveryHit(label, cb, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, cb, help_text in self._items():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), cb, help=help_text)
