"""Test helpers for driving the engine with synthetic conversations."""
from __future__ import annotations

from pichay_tui.core.model.config import PagerConfig
from pichay_tui.core.engine.facade import Engine
from pichay_tui.core.lab.synthetic import Conversation

# One client's wording of the unchanged-file notice; the engine recognises the notice by meaning (core/model/unchanged.py).
UNCHANGED_PREFIXES = ("File unchanged since last read",)


class Clock:
    def __init__(self) -> None:
        self.t = 1_000.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


def engine(**kw) -> Engine:
    return Engine(PagerConfig(**kw), clock=Clock())


def pages_by_address(eng: Engine, sid: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for p in eng.state()["sessions"][0]["pages"] if not sid else eng.session_state(eng.sessions[sid])["pages"]:
        if p["kind"] == "tool_result":
            out.setdefault(p["address"], []).append(p)
    return out


def tool_result_texts(body: dict) -> list[str]:
    out = []
    for m in body["messages"]:
        if isinstance(m["content"], list):
            for b in m["content"]:
                if b.get("type") == "tool_result":
                    c = b["content"]
                    out.append(c if isinstance(c, str) else "".join(x.get("text", "") for x in c))
    return out


__all__ = ["Clock", "Conversation", "engine", "pages_by_address", "tool_result_texts"]
