"""The cooperative protocol: phantom tools and cleanup operations the model issues, turned into queued commands.

The model names pages by the ids we printed in handles or by file path. Only the assistant's own output reaches
this module (the proxy parses the stream); ids we never issued are refused. Effects apply from the next request on.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..model.blocks import block_text, result_text
from ..errors import CommandError
from ..model.pages import Kind, Page, PageState

if TYPE_CHECKING:
    from .service import Cooperation
    from ..session.session import Session

PHANTOM_TOOL_DEFS: list[dict[str, Any]] = [
    {"name": "memory_release",
     "description": "Release tool results you no longer need from your context (pichay memory manager). Pass page ids "
                    "shown in [Paged out ...] handles or the memory status note, or file paths. Released content "
                    "is kept and can be brought back with memory_fault. Takes effect from your next turn.",
     "input_schema": {"type": "object", "properties": {"paths": {"type": "array", "items": {"type": "string"},
                                                                 "description": "Page ids or file paths"}},
                      "required": ["paths"]}},
    {"name": "memory_fault",
     "description": "Bring evicted or released content back (pichay memory manager). Pass page ids from [Paged out "
                    "...] handles, or file paths. Returns the stored content now, cheaper than re-running the tool.",
     "input_schema": {"type": "object", "properties": {"paths": {"type": "array", "items": {"type": "string"},
                                                                 "description": "Page ids or file paths"}},
                      "required": ["paths"]}},
]
PHANTOM_NAMES = frozenset(d["name"] for d in PHANTOM_TOOL_DEFS)
_OURS = frozenset(id(d) for d in PHANTOM_TOOL_DEFS)


def injected(tools: list | None) -> list[dict[str, Any]]:
    """Our tool definitions in an outbound tool list: the very objects the engine appended (a client's own tool of
    the same name and schema is the client's). Identity, not equality: comparing schemas cost a deep compare each."""
    return [t for t in tools or () if id(t) in _OURS]


def resolve(s: "Session", entry: str, want_out: bool) -> list[Page]:
    """Pages named by an id we issued or by a file path (for a path: the newest matching tool results)."""
    entry = entry.strip().removeprefix("block:")
    page = s.pages.get(entry)
    if page is not None:
        return [page]
    # a path: the display address of a Read is its file_path (plus " [offset:limit]" for partial reads)
    hits = [p for p in s.pages.values() if p.kind is Kind.TOOL_RESULT and p.address.split(" [")[0] == entry
            and p.epoch == s.epoch]
    if want_out:
        out = [p for p in hits if p.state.is_out and p.state is not PageState.CLEARED]
        return out[-1:]
    return [p for p in hits if not p.state.is_out]


def answer_phantom(coop: "Cooperation", s: "Session", call: dict[str, Any]) -> dict[str, Any]:
    """Execute one phantom call; returns the tool_result block the proxy sends back upstream.

    `coop` queues the model's commands, reads the backing store and counts a memory_fault as a minor fault."""
    name, tid = call.get("name"), call.get("id")
    entries = (call.get("input") or {}).get("paths") or []
    if isinstance(entries, str):
        entries = [entries]
    lines, parts, err = [], [], False
    originals: list = []
    for entry in entries:
        entry = str(entry)
        pages = resolve(s, entry, want_out=(name == "memory_fault"))
        if not pages:
            lines.append(f"{entry}: no matching {'evicted' if name == 'memory_fault' else 'resident'} page")
            err = True
            continue
        for page in pages:
            try:
                if name == "memory_release":
                    coop.queue(s, "page.release", page=page.id, source="model")
                    lines.append(f"{page.id} ({page.tool} {page.address}): released from your next turn "
                                 f"({page.tokens:,} tokens)")
                else:
                    block = coop.store.get(page.content_hash)
                    if block is None:
                        lines.append(f"{page.id}: content not held; re-run {page.tool} {page.address}")
                        err = True
                        continue
                    coop.queue(s, "page.fault_in", page=page.id, source="model")
                    if page.paged:                    # served now from the store; the in-place restore waits
                        coop.minor_fault(s, page)      # (GC'd output coming back is a restore, not a fault)
                    if block.get("type", "tool_result") == "tool_result":
                        originals.append(block.get("content") or "")
                    else:                             # a text / tool_use block folded into a collapse
                        originals.append(block_text(block))
                    label = f"{page.tool} {page.address}".strip() if page.tool else page.kind.value
                    parts.append(f"[page {page.id}: {label}]\n")     # + its text, joined only when needed
            except CommandError as e:
                lines.append(f"{page.id}: {e}")
                err = True
    if not entries:
        lines.append("no paths given")
        err = True
    if len(parts) == 1 and not lines:          # one page: exactly what the original tool call returned
        body: Any = originals[0]               # (no copy: a 50 MB result is not joined on the event loop)
    else:
        texts = [h + (o if isinstance(o, str) else result_text(o)) for h, o in zip(parts, originals)]
        body = "\n\n".join(texts + (["\n".join(lines)] if lines else []))
    out = {"type": "tool_result", "tool_use_id": tid, "content": body or "done"}
    if err and not parts and name == "memory_fault":
        out["is_error"] = True
    return out


def cleanup_to_commands(s: "Session", op) -> list[tuple[str, dict[str, Any]]]:
    """Map one parsed cleanup operation to named commands; unknown ids raise CommandError."""
    if op.op == "collapse":
        lo, hi = op.turn_range
        return [("session.collapse", {"first": lo, "last": hi, "summary": op.text or "", "source": "model"})]
    cmds = []
    for target in op.targets:
        pages = resolve(s, target, want_out=False) if op.op != "anchor" else resolve(s, target, want_out=False) or \
            resolve(s, target, want_out=True)
        if not pages:
            raise CommandError(f"{op.op}: {target!r} is not a page id we issued (or a resident file path)", 404)
        for p in pages:
            if op.op in ("drop", "release"):
                cmds.append(("page.release", {"page": p.id, "source": "model"}))
            elif op.op == "summarize":
                cmds.append(("page.release", {"page": p.id, "summary": op.text or "", "source": "model"}))
            elif op.op == "anchor":
                cmds.append(("page.pin", {"page": p.id, "reason": "anchor", "source": "model"}))
    return cmds


def place_splice(s: "Session", messages: list[dict]) -> None:
    """Attach a staged phantom exchange to the assistant message that carried the real calls of that turn."""
    sp, s.out.pending_splice = s.out.pending_splice, None
    want = set(sp["real_ids"])
    for mi in range(len(messages) - 1, 0, -1):
        m = messages[mi]
        if m.get("role") != "assistant" or not isinstance(m.get("content"), list):
            continue
        ids = {b.get("id") for b in m["content"] if b.get("type") == "tool_use"}
        if want <= ids and mi + 1 < len(messages) and messages[mi + 1].get("role") == "user":
            s.out.splices[mi] = list(sp["uses"])
            s.out.splices[mi + 1] = list(sp["results"])
            s.out.out_cache.pop(mi, None)
            s.out.out_cache.pop(mi + 1, None)
            return
