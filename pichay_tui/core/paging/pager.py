"""Paging decisions on one session: fault detection, fault-driven pinning, eviction sweeps, restores.

All state changes go through Session.set_state so counters never drift; every change emits one event.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from .. import events as ev
from ..model.blocks import content_hash, strip_cache_control
from ..model.handles import handle_text
from ..model.pages import Page, PageState, PinReason
from .eligibility import evictable
from .policy import Policy, PolicyContext
from ..session.session import Fault, KeyHistory, Session
from ..model.backing_store import BackingStore
from ..ingest.messages import block_at, unchanged_notice

if TYPE_CHECKING:
    from ..commands.queue import ForcedEviction

OUT_BY_US = (PageState.EVICTED, PageState.RELEASED, PageState.COLLAPSED)


class Pager:
    """Applies faults, pins, sweeps and operator commands to a session; holds no state of its own."""

    def __init__(self, session: Session, store: BackingStore, counter, messages: list[dict] | None = None,
                 now: float = 0.0) -> None:
        self.s, self.store, self.counter = session, store, counter
        self.messages, self.now = messages or [], now

    def minor_fault(self, page: Page) -> None:
        """The model asked for an evicted page through memory_fault: served from the backing store."""
        if page.evicted_at_req is None:        # collapsed without an eviction: a restore, not a fault
            return
        s = self.s
        kh = s.keys.setdefault(page.key, KeyHistory()) if page.key else KeyHistory()
        self._record_fault(page, page, kh, False, self.now)

    # ---- faults ----
    def detect_faults(self, new_results: list[Page], messages: list[dict], request_no: int, now: float) -> None:
        """A new result whose key's newest page is evicted by us (before this request) is a fault."""
        s = self.s
        for r in new_results:
            if r.key is None or r.state is PageState.CLEARED:
                continue
            kh = s.keys.setdefault(r.key, KeyHistory())
            prev = s.pages.get(kh.latest) if kh.latest else None
            blk = block_at(messages, r)
            notice = blk is not None and unchanged_notice(blk)
            out_by_us = prev is not None and prev.state in OUT_BY_US
            # a fault undoes an eviction made before this request; pages only folded into a collapse were never
            # evicted, so asking for them again is not counted (faults never exceed paged evictions)
            if out_by_us and prev.evicted_at_req is not None and prev.evicted_at_req < request_no:
                major = True
                if notice:
                    major = not self._serve_unchanged(r, prev, blk)
                self._record_fault(prev, r, kh, major, now)
            elif notice and prev is not None:
                if out_by_us:                        # folded into a collapse: the notice still needs the content
                    self._serve_unchanged(r, prev, blk)
                else:                                # resident: keep a copy so a later eviction can serve it
                    self.keep_original(prev, messages)
                r.content_hash = prev.content_hash   # the client says: same content as before
            elif prev is not None and prev.pin_reason is PinReason.FAULT:
                if r.content_hash != prev.content_hash:
                    self.unpin(prev, "content changed")      # the file changed: a fresh cycle starts
                    kh.pin_hash = None
                else:
                    self.unpin(prev, "superseded")           # the newer copy inherits the pin when it ages
            if notice and prev is not None and r.content_hash != prev.content_hash:
                r.content_hash = prev.content_hash
            kh.latest = r.id

    def keep_original(self, page: Page, messages: list[dict]) -> None:
        """Store a resident page's content now (a notice refers to it; a notice itself is never stored)."""
        if page.state.is_out:                # evicted pages are stored already; a client-cleared one is gone
            return
        blk = self.s.out.overrides.get(page.id) or block_at(messages, page)
        if blk is not None and (page.id in self.s.out.overrides or not unchanged_notice(blk)):
            self.store.put(page.content_hash, strip_cache_control(blk))

    def serve_notices_of(self, page: Page, messages: list[dict]) -> None:
        """Resident "unchanged" notices that refer to a page just taken out get its content in their place."""
        s = self.s
        if page.key is None:
            return
        for q in list(s.resident_results.values()):
            if q is page or q.key != page.key or q.content_hash != page.content_hash or q.id in s.out.overrides:
                continue
            blk = block_at(messages, q)
            if blk is not None and unchanged_notice(blk):
                self._serve_unchanged(q, page, blk)

    def _serve_unchanged(self, r: Page, prev: Page, blk: dict) -> bool:
        """Answer a 'file unchanged' notice with the evicted content from the backing store; True if served."""
        original = self.store.get(prev.content_hash)
        if original is None:
            return False
        s = self.s
        r.content_hash = prev.content_hash
        s.out.overrides[r.id] = {"type": "tool_result", "tool_use_id": blk.get("tool_use_id"),
                             "content": original.get("content", "")}
        self._retoken(r, prev.tokens, prev.bytes, prev.lines)
        s.set_sub(r, True)
        s.stats.substitutions += 1
        return True

    def _retoken(self, page: Page, tokens: int, nbytes: int, lines: int) -> None:
        s = self.s
        if not page.state.is_out:
            s.tokens.resident_tokens += tokens - page.tokens
        page.tokens, page.bytes, page.lines = tokens, nbytes, lines
        if page.pos >= 0:
            s.tokens.fen.set(page.pos, tokens)

    def _record_fault(self, prev: Page, new: Page, kh: KeyHistory, major: bool, now: float) -> None:
        s = self.s
        prev.faults += 1
        new.faults = prev.faults
        kh.faults += 1
        if s.config.fault_pinning:
            kh.pin_hash = prev.content_hash
        f = Fault(page=prev.id, new_page=new.id, key=new.key or "", turn=s.turn, ts=now,
                  eviction_turn=prev.evicted_at_turn or 0, turns_since=s.turn - (prev.evicted_at_turn or 0),
                  seconds_since=round(now - (prev.evicted_at_ts or now), 3), major=major, tokens=prev.tokens)
        s.faults.append(f)
        s.stats.faults += 1
        if major:
            s.stats.major_faults += 1
        else:
            s.stats.minor_faults += 1
        s.emit(ev.PageFaulted(**f.to_dict()))

    # ---- transitions ----
    def evict(self, page: Page, messages: list[dict], reason: str, now: float, request_no: int,
              state: PageState = PageState.EVICTED) -> None:
        s = self.s
        blk = s.out.overrides.get(page.id) or block_at(messages, page)
        if blk is not None:
            if page.id not in s.out.overrides and unchanged_notice(blk) and not self.store.has(page.content_hash):
                # a notice whose earlier read we never held: keep the notice itself, under its own hash
                page.content_hash = content_hash([blk.get("content"), bool(blk.get("is_error"))])
            if page.id in s.out.overrides or not unchanged_notice(blk) or not self.store.has(page.content_hash):
                self.store.put(page.content_hash, strip_cache_control(blk))
        s.set_state(page, state)
        page.pin_reason = None
        page.evicted_at_turn, page.evicted_at_ts, page.evicted_at_req = s.turn, now, request_no
        page.evict_reason = reason
        s.set_sub(page, True)
        if page.pos >= 0:
            s.tokens.fen.set(page.pos, self.counter.count(handle_text(page)))
        self.serve_notices_of(page, messages)
        if page.paged:
            s.stats.evictions += 1
            if page.key:
                s.keys.setdefault(page.key, KeyHistory()).evictions += 1
        else:
            s.stats.gc += 1
        if state is PageState.RELEASED:
            s.stats.releases += 1
        s.emit(ev.PageEvicted(page=page.id, tool=page.tool, key=page.key, tokens=page.tokens,
                              bytes=page.bytes, reason=reason, paged=page.paged))

    def pin(self, page: Page, reason: PinReason) -> None:
        s = self.s
        if page.state.is_out:
            self.restore(page, f"pin ({reason.value})")
        s.set_state(page, PageState.PINNED)
        page.pin_reason, page.pinned_at_turn = reason, s.turn
        s.emit(ev.PagePinned(page=page.id, reason=reason.value, tool=page.tool, key=page.key))

    def unpin(self, page: Page, why: str) -> None:
        s = self.s
        old = page.pin_reason
        page.pin_reason, page.pinned_at_turn = None, None
        if page.state is PageState.PINNED:
            s.set_state(page, PageState.RESIDENT)
        s.emit(ev.PageUnpinned(page=page.id, reason=why, was=old.value if old else None))

    def restore(self, page: Page, why: str) -> None:
        s = self.s
        s.set_sub(page, page.id in s.out.overrides)
        s.set_state(page, PageState.RESIDENT)
        page.restored_at_turn = page.last_access = s.turn
        page.summary = None
        if page.pos >= 0:
            s.tokens.fen.set(page.pos, page.tokens)
        s.emit(ev.PageRestored(page=page.id, reason=why, tokens=page.tokens))

    # ---- sweeps ----
    def candidates(self) -> list[Page]:
        """The tool results the policy may choose from (see eligibility.evictable)."""
        return [p for p in self.s.resident_results.values() if evictable(self.s, p)]

    def sweep(self, policy: Policy, ctx: PolicyContext, messages: list[dict], now: float, request_no: int,
              forced: Iterable[ForcedEviction] = ()) -> dict[str, Any] | None:
        """One batch of evictions for this request; reports the predicted cache invalidation."""
        s = self.s
        changed: list[Page] = []
        first_pos = None
        for f in forced:
            self.evict(f.page, messages, f.reason, now, request_no)
            changed.append(f.page)
        for page in policy.select(ctx, self.candidates()):
            kh = s.keys.get(page.key) if page.key else None
            if kh is not None and kh.pin_hash == page.content_hash and kh.latest == page.id and s.config.fault_pinning:
                self.pin(page, PinReason.FAULT)
                continue
            self.evict(page, messages, "compact" if ctx.force else "age", now, request_no)
            changed.append(page)
        if not changed:
            return None
        first_pos = min(p.pos for p in changed if p.pos >= 0) if any(p.pos >= 0 for p in changed) else 0
        predicted = s.tokens.fen.from_(first_pos)
        saved = sum(p.tokens for p in changed) - sum(self.counter.count(handle_text(p)) for p in changed)
        entry = {"request": request_no, "turn": s.turn, "pages": [p.id for p in changed],
                 "first_changed_pos": first_pos, "predicted_invalidated_tokens": predicted,
                 "tokens_saved": saved, "observed": None}
        prev = s.sweeps[-1] if s.sweeps else None
        if prev is not None and prev["request"] == request_no:
            # a collapse already changed this request: one batch, one cache miss from the earliest change
            first_pos = min(first_pos, prev["first_changed_pos"])
            s.stats.predicted_invalidated_tokens -= prev["predicted_invalidated_tokens"]
            predicted = s.tokens.fen.from_(first_pos)
            prev.update(pages=prev["pages"] + entry["pages"], first_changed_pos=first_pos,
                        predicted_invalidated_tokens=predicted, tokens_saved=prev["tokens_saved"] + saved)
            entry = prev
        else:
            s.sweeps.append(entry)
            s.stats.sweeps += 1
        s.stats.predicted_invalidated_tokens += predicted
        s.emit(ev.SweepApplied(changed_pages=entry["pages"], first_changed_index=first_pos,
                               predicted_invalidated_tokens=predicted, tokens_saved=saved,
                               blocks_after=len(s.tokens.fen) - first_pos, messages_tokens=s.tokens.fen.total))
        return entry
