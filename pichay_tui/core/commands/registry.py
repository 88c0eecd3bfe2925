"""Named operator commands: validated when issued, queued, and applied at the session's next request.

Keys, the command palette, the HTTP control API and tests all go through `COMMANDS`, so they are one code path.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..model.pages import Kind, Page, PageState, PinReason
from ..errors import CommandError
from ..paging.eligibility import would_compact

if TYPE_CHECKING:
    from ..paging.pager import Pager
    from .queue import Applied
    from ..session.session import Session


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    help: str
    args: tuple[str, ...]
    validate: Callable[["Session", dict], None]
    apply: Callable[["Pager", dict, "Applied"], Any]   # may ask the sweep to evict pages or compact
    destructive: bool = False


def _page(s: "Session", args: dict) -> Page:
    pid = args.get("page")
    if not pid:
        raise CommandError("missing argument 'page'", 400)
    page = s.pages.get(str(pid))
    if page is None:
        raise CommandError(f"unknown page {pid!r} in session {s.id}", 404)
    return page


def _pending_for(s: "Session", pid: str) -> str | None:
    return next((c["command"] for c in s.pending if c.get("page") == pid), None)


def _check_evict(s: "Session", args: dict) -> None:
    p = _page(s, args)
    if p.kind is not Kind.TOOL_RESULT:
        raise CommandError(f"page {p.id} is not evictable: only tool results are paged out (it is {p.kind.value})")
    if p.state.is_out:
        raise CommandError(f"page {p.id} is already {p.state.value}")
    if p.pinned:
        raise CommandError(f"page {p.id} is pinned ({p.pin_reason.value}); unpin it first")
    if p.is_error:
        raise CommandError(f"page {p.id} is not evictable: error results stay resident")
    if p.turn >= s.turn and args.get("source") != "model":
        # the model's own release is validated when it asks and applied a turn later, when this no longer holds
        raise CommandError(f"page {p.id} is not evictable: it belongs to the last user turn")


def _apply_evict(pager: "Pager", args: dict, applied: "Applied") -> Any:
    page = pager.s.pages[args["page"]]
    _check_evict(pager.s, args)
    applied.evict(page, "operator")
    return {"page": page.id}


def collapse_of(s: "Session", p: Page) -> dict | None:
    """The L3 collapse whose turn range holds this page, if any. Membership, not state, decides whether the summary
    hides a page: one released or evicted before the collapse keeps that state inside the span."""
    return next((c for c in s.collapses if p.id in c["pages"]), None)


def _refuse_collapsed(s: "Session", p: Page, what: str) -> None:
    """A page inside an L3 collapse stays out until the collapse goes: the summary replaced its whole turn range, so
    no pin or restore can put it back in the model's view; memory_fault serves its content instead."""
    c = collapse_of(s, p)
    if c is not None or p.state is PageState.COLLAPSED:
        turns = f" {c['first']}-{c['last']}" if c is not None else ""
        raise CommandError(f"page {p.id} is folded into the collapsed turns{turns}; {what} cannot bring it back into "
                           f"the context (memory_fault with \"{p.id}\" serves its content)")


def _check_pin(s: "Session", args: dict) -> None:
    p = _page(s, args)
    _refuse_collapsed(s, p, "a pin")
    if p.pinned:
        raise CommandError(f"page {p.id} is already pinned ({p.pin_reason.value})")
    if p.kind is not Kind.TOOL_RESULT:
        raise CommandError(f"page {p.id} is a {p.kind.value}; only tool results can be evicted, so pinning it does nothing")
    if p.state is PageState.CLEARED:
        raise CommandError(f"page {p.id} was cleared by the client; there is nothing resident to pin")


def _apply_pin(pager: "Pager", args: dict, applied: "Applied") -> Any:
    _check_pin(pager.s, args)
    pager.pin(pager.s.pages[args["page"]], PinReason(args.get("reason", "operator")))
    return {"page": args["page"]}


def _check_unpin(s: "Session", args: dict) -> None:
    p = _page(s, args)
    if not p.pinned and _pending_for(s, p.id) != "page.pin":
        raise CommandError(f"page {p.id} is not pinned")


def _apply_unpin(pager: "Pager", args: dict, applied: "Applied") -> Any:
    _check_unpin(pager.s, args)
    page = pager.s.pages[args["page"]]
    pager.unpin(page, "operator")
    # the operator's unpin also lifts fault pinning: without this the next sweep would pin the page again for the
    # fault it already had; a new fault pins it again (and says so: page_pinned with reason "fault")
    kh = pager.s.keys.get(page.key) if page.key else None
    if kh is not None and kh.pin_hash == page.content_hash:
        kh.pin_hash = None
    return {"page": args["page"]}


def _check_restore(s: "Session", args: dict) -> None:
    p = _page(s, args)
    if p.state is PageState.CLEARED:
        raise CommandError(f"page {p.id} was cleared by the client; its content is not held", 409)
    _refuse_collapsed(s, p, "a restore")
    if not p.state.is_out and _pending_for(s, p.id) != "page.evict":
        raise CommandError(f"page {p.id} is resident; nothing to restore")


def _apply_restore(pager: "Pager", args: dict, applied: "Applied") -> Any:
    _check_restore(pager.s, args)
    pager.restore(pager.s.pages[args["page"]], "operator")
    return {"page": args["page"]}


def _check_compact(s: "Session", args: dict) -> None:
    return None


def _apply_compact(pager: "Pager", args: dict, applied: "Applied") -> Any:
    applied.request_compact()
    return {"session": pager.s.id}


COMMANDS: dict[str, CommandSpec] = {c.name: c for c in (
    CommandSpec("page.evict", "Evict a resident tool result now (replaced by a handle)", ("session", "page"),
                _check_evict, _apply_evict, destructive=True),
    CommandSpec("page.pin", "Pin a page so no policy evicts it", ("session", "page"), _check_pin, _apply_pin),
    CommandSpec("page.unpin", "Remove a page's pin", ("session", "page"), _check_unpin, _apply_unpin),
    CommandSpec("page.restore", "Bring an evicted page back into the context", ("session", "page"),
                _check_restore, _apply_restore),
    CommandSpec("session.compact", "Evict every eligible page now, ignoring age (not pins or the last turn)",
                ("session",), _check_compact, _apply_compact, destructive=True),
)}


def pending_by_page(s: "Session") -> dict[str, str]:
    """Each page's queued operator command, as the page table shows it. Page commands mark their page; a queued
    session.compact marks the pages it is expected to evict (`eligibility.would_compact`); a queued session.collapse
    marks the turns' results."""
    out: dict[str, str] = {}
    for c in s.pending:
        name = c.get("command")
        if c.get("page"):
            out.setdefault(c["page"], name)
        elif name == "session.compact":
            for p in s.resident_results.values():
                if would_compact(s, p):
                    out.setdefault(p.id, name)
        elif name == "session.collapse":
            try:
                first, last = int(c.get("first")), int(c.get("last"))
            except (TypeError, ValueError):
                continue
            for p in s.resident_results.values():
                if first <= p.turn <= last:
                    out.setdefault(p.id, name)
    return out


def register_command(spec: CommandSpec) -> None:
    COMMANDS[spec.name] = spec


# ---- cooperative commands (issued by the model through phantom tools or cleanup tags; also usable by operators) ----
def _apply_release(pager: "Pager", args: dict, applied: "Applied") -> Any:
    s = pager.s
    _check_evict(s, {**args, "source": None})
    page = s.pages[args["page"]]
    if args.get("summary"):
        page.summary = str(args["summary"])
    pager.evict(page, pager.messages, "summarize" if args.get("summary") else "release", pager.now,
                s.request_no, state=PageState.RELEASED)
    return {"page": page.id}


def _check_fault_in(s: "Session", args: dict) -> None:
    p = _page(s, args)
    if not p.state.is_out or p.state is PageState.CLEARED:
        raise CommandError(f"page {p.id} is not evicted by pichay ({p.state.value})")


def _apply_fault_in(pager: "Pager", args: dict, applied: "Applied") -> Any:
    s = pager.s
    _check_fault_in(s, args)
    page = s.pages[args["page"]]
    if args.get("source") != "model" and page.paged:   # the model's memory_fault was counted when answered
        pager.minor_fault(page)
    # collapsed content came back in the tool result only: the summary still hides the page's place
    if page.state is not PageState.COLLAPSED and collapse_of(s, page) is None:
        pager.restore(page, "memory_fault")
    return {"page": page.id}


def _check_collapse(s: "Session", args: dict) -> None:
    from ..paging import collapse

    collapse.validate(s, args)


def _apply_collapse(pager: "Pager", args: dict, applied: "Applied") -> Any:
    from ..paging import collapse

    return collapse.apply(pager, args)


for _spec in (
    CommandSpec("page.release", "Release a page now, bypassing age (the model's memory_release / drop)",
                ("session", "page", "summary"), _check_evict, _apply_release, destructive=True),
    CommandSpec("page.fault_in", "Restore an evicted page from the backing store (the model's memory_fault)",
                ("session", "page"), _check_fault_in, _apply_fault_in),
    CommandSpec("session.collapse", "Replace user turns FIRST..LAST by one summary (L3 collapse)",
                ("session", "first", "last", "summary"), _check_collapse, _apply_collapse, destructive=True),
):
    register_command(_spec)
