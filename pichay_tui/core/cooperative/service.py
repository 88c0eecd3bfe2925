"""The cooperative protocol and outbound trimming, as one collaborator of the Engine (kept out of the request path)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import events as ev
from .phantom import PHANTOM_TOOL_DEFS, answer_phantom, cleanup_to_commands
from ..errors import CommandError
from ..paging.pager import Pager
from ..model.pages import PageState
from ..session.session import Session
from ..paging.trimming import decide_stubbing, dedup_reminders, trim_tools
from ..model.backing_store import BackingStore
from ..model.blocks import MEMO
from ..model.config import PagerConfig
from ..model.tokens import TokenCounter

if TYPE_CHECKING:
    from ..commands.queue import CommandQueue
    from ..engine.bus import EventBus
    from ..session.spill import SessionTable


def has_handles(s: Session) -> bool:
    """True once pichay has put a handle in this session's context (an eviction, GC, release or collapse)."""
    return bool(s.stats.evictions or s.stats.gc or s.collapses)


MODEL_OPERATIONS = ("model.phantom", "model.cleanup", "model.splice")   # recorded command names of the model's calls


class Cooperation:
    """Phantom tool answers, cleanup operations, splices, recorded model operations, tool stubs, reminder dedup."""

    def __init__(self, config: PagerConfig, store: BackingStore, counter: TokenCounter, bus: "EventBus",
                 sessions: "SessionTable", commands: "CommandQueue") -> None:
        self.config, self.store, self.counter, self.bus = config, store, counter, bus
        self.sessions, self.commands = sessions, commands

    def queue(self, s: Session, name: str, **args: Any) -> dict[str, Any]:
        """Queue one of the model's commands (validated now, applied at the session's next request)."""
        return self.commands.queue(s, name, **args)

    def outbound_tools(self, s: Session, body: dict[str, Any]) -> list[dict] | None:
        """The client's tools (unused ones stubbed when trimming pays) plus our phantom tools, appended last."""
        tools = body.get("tools")
        if not tools:
            return None
        changed = False
        if self.config.trim_tools and decide_stubbing(s, tools, self.counter,
                                                      int(self.config.policy_args.get("trim_expected_turns", 30))):
            tools, stubbed = trim_tools(s, tools)
            if stubbed != s.trim.stubbed_tools:
                restored = sorted(set(s.trim.stubbed_tools) - set(stubbed))
                self.bus.emit(ev.ToolsStubbed(changed_pages=[], tools_stubbed=stubbed,
                                              tools_restored=restored, first_changed_index=-1,
                                              predicted_invalidated_tokens=s.tokens.header_tokens + s.tokens.fen.total,
                                              tokens_saved=s.trim.estimate.get("tokens_saved_per_request", 0)), s)
                s.trim.stubbed_tools = stubbed
            changed = bool(stubbed)
        # every handle names memory_fault as its way back, so without cooperative mode memory_fault alone is still
        # offered from the first handle on (never removed again: the tools prefix stays cache-stable)
        offer = PHANTOM_TOOL_DEFS if self.config.cooperative else \
            [d for d in PHANTOM_TOOL_DEFS if d["name"] == "memory_fault"] if has_handles(s) else []
        if offer:
            names = {t.get("name") for t in tools}
            extra = [d for d in offer if d["name"] not in names]
            if extra:
                if changed:
                    return list(tools) + extra
                # the client's own list (the parsed object, the same every request) gives the same list back, so
                # the splice finds its rendering again (core/wire/splice.py Memo)
                key = tuple(map(id, extra))
                seen = MEMO.get(tools, "with_phantom_tools")
                if seen is not None and seen[0] == key:
                    return seen[1]
                return MEMO.put(tools, "with_phantom_tools", (key, list(tools) + extra), 64 * len(tools))[1]
        return list(tools) if changed else None

    def offers_phantom_tools(self, body: dict[str, Any]) -> bool:
        """True when this request will carry our memory_release tool (cooperative on, the client sends tools and has
        no tool of that name itself), so the pressure note may name it."""
        tools = body.get("tools")
        return bool(self.config.cooperative and tools
                    and "memory_release" not in {t.get("name") for t in tools if isinstance(t, dict)})

    def dedup_reminders(self, s: Session, messages: list[dict]) -> None:
        """Repeated system reminders are stubbed in the outbound view (the first copy stays)."""
        for (mi, bi), block in dedup_reminders(s, messages).items():
            ids = s.index.msg_pages[mi] if mi < len(s.index.msg_pages) else []
            page = s.pages.get(ids[bi]) if bi < len(ids) else None
            if page is None or page.id in s.out.overrides:
                continue
            s.out.overrides[page.id] = block
            s.set_state(page, PageState.STUBBED)
            s.set_sub(page, True)
            if page.pos >= 0:
                s.tokens.fen.set(page.pos, self.counter.count(block["text"]))

    # ---- cooperative protocol ----
    def answer_phantom_calls(self, session_id: str, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Answer the model's memory_release / memory_fault calls; effects apply from the next request."""
        s = self.sessions.get(session_id)
        if s is None:
            return [{"type": "tool_result", "tool_use_id": c.get("id"), "is_error": True,
                     "content": "pichay: unknown session"} for c in calls]
        self.bus.tick()
        return [answer_phantom(self, s, c) for c in calls]

    def minor_fault(self, s: Session, page) -> None:
        """Count a fault served from the backing store (memory_fault) and link it to its eviction."""
        Pager(s, self.store, self.counter, None, self.bus.now).minor_fault(page)

    def apply_cleanup(self, session_id: str, ops: list[Any]) -> list[dict[str, Any]]:
        """Queue the model's <memory_cleanup> operations; returns one result per operation (never raises)."""
        s = self.sessions.get(session_id)
        out: list[dict[str, Any]] = []
        if s is None:
            return out
        self.bus.tick()
        for op in ops:
            try:
                for name, args in cleanup_to_commands(s, op):
                    out.append(self.commands.queue(s, name, **args))
            except CommandError as e:
                out.append({"ok": False, "op": op.op, "error": str(e)})
                self.bus.emit(ev.CommandApplied(command=f"cleanup.{op.op}", ok=False, error=str(e)), s)
        return out

    def apply_recorded(self, name: str, args: dict[str, Any]) -> Any:
        """Re-apply one of the model's recorded operations (a name in MODEL_OPERATIONS)."""
        if name == "model.phantom":
            return self.answer_phantom_calls(args["session"], args.get("calls") or [])
        if name == "model.cleanup":
            from .cleanup_tags import CleanupOp

            ops = [CleanupOp(o["op"], list(o.get("targets") or []), o.get("text"),
                             tuple(o["turn_range"]) if o.get("turn_range") else None) for o in args.get("ops") or []]
            return self.apply_cleanup(args["session"], ops)
        return self.stage_splice(args["session"], args.get("real_ids") or [], args.get("uses") or [],
                                 args.get("results") or [])

    def stage_splice(self, session_id: str, real_ids: list[str], uses: list[dict], results: list[dict]) -> None:
        """Mixed phantom + real tool calls: the phantom exchange is spliced into the next request's history."""
        s = self.sessions.get(session_id)
        if s is not None and uses:
            s.out.pending_splice = {"real_ids": list(real_ids), "uses": uses, "results": results}
