"""How a matrix cell is judged: what a user relies on, checked on the client's run, the proxy's state and the
recording (one main session with its subagents as children, faults exactly where the scenario makes them real,
nothing of ours reaching the client)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import recording as rec
from .answers import answer_line
from .claude_cli import ClaudeRun
from .scripts_matrix import SUBAGENT_STEP
from .view import RequestView, block_text, parse_step

if TYPE_CHECKING:
    from .matrix import Scenario

# Strings only the proxy produces (phantom tools, cleanup tags, handles): none may reach the client.
OURS = ("memory_release", "memory_fault", "memory_cleanup", "[Paged out:", "[Released:", "[Cleared stale output:",
        "[Collapsed:", "[Summarised:", "pichay memory manager")

@dataclass
class Cell:
    """What one client × scenario run produced, and every way it fell short (`problems`, empty when it passed)."""

    client: str
    scenario: str
    exit_code: int | None = None
    answer: str | None = None
    expected: str = ""
    faults: list[str] = field(default_factory=list)        # "<session role> <tool> <file or step>"
    sessions: list[str] = field(default_factory=list)      # "<role> <requests> req" per session
    requests: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def first_text(body: dict[str, Any]) -> str:
    """The user's first text, the same whether sent as a string or as blocks (with or without cache markers)."""
    msgs = body.get("messages") or []
    return block_text(msgs[0].get("content")).strip() if msgs and isinstance(msgs[0], dict) else ""


def _role(text: str, scenario: Scenario) -> str:
    if f"[sim-script:{scenario.script}]" in text:
        return "main"
    if "[sim-subagent" in text:
        return "subagent"
    return "warm-up" if text.splitlines()[-1:] == ["Warmup"] else "other"


def judge(cell: Cell, scenario: Scenario, run: ClaudeRun, state: dict, record: Path, serve_code: int,
          serve_err: str, home: Path | None = None) -> None:
    """Fill in the cell's findings and problems (`home`: the client's HOME, whose transcripts are searched too)."""
    p = cell.problems
    cell.exit_code, cell.answer = run.exit_code, answer_line(run.result_text)
    if run.timed_out or run.exit_code != 0 or run.is_error:
        p.append(f"client exit={run.exit_code} timed_out={run.timed_out} is_error={run.is_error}: "
                 f"{run.result_text[-300:]!r} stderr={run.stderr[-600:]!r}")
    if serve_code != 0 or "Traceback" in serve_err:
        p.append(f"pichay-tui serve exit={serve_code}: {serve_err[-800:]}")
    if cell.answer != cell.expected:
        p.append(f"final answer {cell.answer!r}, expected {cell.expected!r}")
    leaked = sorted({s for s in OURS if s in run.stdout})
    if leaked:
        p.append(f"client output carries {leaked}")
    for transcript in sorted((home / ".claude").rglob("*.jsonl")) if home and (home / ".claude").is_dir() else []:
        text = transcript.read_text("utf-8", "replace")
        leaked = sorted({s for s in OURS if s in text})
        if leaked:
            p.append(f"the client's transcript {transcript.name} carries {leaked}")
    if state.get("failures"):
        p.append(f"the engine failed open {state['failures']} time(s)")
    roles = _judge_sessions(cell, scenario, state, record)
    _judge_faults(cell, scenario, state, roles)
    _judge_subagents(cell, scenario, run, record)


def _judge_sessions(cell: Cell, scenario: Scenario, state: dict, record: Path) -> dict[str, str]:
    """Sessions by role (from their first user text); one main, subagents and warm-ups its children, none merged."""
    p = cell.problems
    texts: dict[str, set[str]] = {}
    systems: dict[str, set[str]] = {}
    per_session: dict[str, int] = {}
    leaks: set[str] = set()
    for step in rec.read_recording(record):
        if isinstance(step, rec.RecordedResponse) and (step.response.status >= 400 or step.response.error):
            p.append(f"response {step.id}: status {step.response.status} {step.response.error or ''}".strip())
        if isinstance(step, rec.RecordedRequest) and step.failure:
            p.append(f"request {step.id}: the engine failed open ({step.failure[:200]})")
        if not isinstance(step, rec.RecordedRequest) or not step.engine or step.side:
            continue
        body = step.exchange.body
        cell.requests += 1
        per_session[step.session] = per_session.get(step.session, 0) + 1
        texts.setdefault(step.session, set()).add(first_text(body))
        systems.setdefault(step.session, set()).add(block_text(body.get("system")))
        leaks.update(s for s in OURS[:3] if s in rec.dumps(body).decode())
    if leaks:
        p.append(f"the client sent back {sorted(leaks)} (it saw them in a response)")
    sessions = {s["id"]: s for s in state["sessions"]}
    roles: dict[str, str] = {}
    for sid, firsts in texts.items():
        roles[sid] = "+".join(sorted({_role(t, scenario) for t in firsts}))
        if len(firsts) > 1 or len(systems[sid]) > 1:
            p.append(f"session {sid} ({roles[sid]}) mixes {len(firsts)} first messages and "
                     f"{len(systems[sid])} system prompts: conversations merged")
        if roles[sid] == "warm-up" and per_session[sid] > 1:
            p.append(f"warm-up session {sid} ran {per_session[sid]} requests (a warm-up gets one short answer)")
    counts: dict[str, int] = {}
    for sid, r in roles.items():
        counts[r] = counts.get(r, 0) + 1
    mains = [sid for sid, r in roles.items() if r == "main"]
    reqs = ",".join(str(sessions.get(m, {}).get("stats", {}).get("requests", "?")) for m in mains)
    cell.sessions = [f"{len(mains)} main ({reqs} req)"] + [f"{n} {r}" for r, n in sorted(counts.items())
                                                           if r != "main"]
    if len(mains) != 1:
        p.append(f"expected one main session, got {len(mains)}: {roles}")
        return roles
    main = mains[0]
    if sessions.get(main, {}).get("parent"):
        p.append(f"the main session {main} is labelled a child of {sessions[main]['parent']}")
    subs = [sid for sid, r in roles.items() if r == "subagent"]
    if len(subs) != scenario.subagents:
        p.append(f"expected {scenario.subagents} subagent session(s), got {len(subs)}")
    for sid, role in roles.items():
        if sid != main and sessions.get(sid, {}).get("parent") != main:
            p.append(f"{role} session {sid} is not a child of the main session {main}")
    return roles


def _judge_faults(cell: Cell, scenario: Scenario, state: dict, roles: dict[str, str]) -> None:
    """Each page the scenario needs back faults exactly once, in the main session; nothing else faults."""
    want = {step: 0 for step in scenario.fault_steps}
    for s in state["sessions"]:
        pages = {pg["id"]: pg for pg in s.get("pages") or []}
        for f in s.get("faults") or []:
            pg = pages.get(f["page"], {})
            step = parse_step(str(pg.get("tool_use_id") or ""))
            role = roles.get(s["id"], "?")
            where = Path(str(pg.get("address") or "")).name or f"step {step}"
            cell.faults.append(f"{role} {pg.get('tool', '?')} {where}")
            if role == "main" and step in want:
                want[step] += 1
            else:
                cell.problems.append(f"fault on a page the scenario never needs back: {role} session, "
                                     f"{pg.get('tool')} {pg.get('address')} (step {step}, state {pg.get('state')})")
    for step, n in want.items():
        if n != 1:
            cell.problems.append(f"the page of step {step} faulted {n} times, expected once")


def _judge_subagents(cell: Cell, scenario: Scenario, run: ClaudeRun, record: Path) -> None:
    """The subagent ran once (never re-run for lost findings) and the client handed back a report over 500 B."""
    calls = [u for u in run.tool_uses() if u.get("name") in ("Task", "Agent")]
    if len(calls) != scenario.subagents:
        cell.problems.append(f"{len(calls)} Task/Agent calls, expected {scenario.subagents}")
    if not scenario.subagents:
        return
    last = None
    for step in rec.read_recording(record):
        if isinstance(step, rec.RecordedRequest) and _role(first_text(step.exchange.body), scenario) == "main":
            last = step.exchange.body
    text = RequestView(last).result_text_at(SUBAGENT_STEP)[0] if last else None
    if text is None or len(text.encode()) <= 500:
        cell.problems.append(f"the client's subagent result is {len((text or '').encode())} B, not over 500 B")
