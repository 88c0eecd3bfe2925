"""The built-in scripts: coding (default), long (thrashing), subagents (+ worker) and cooperative (phantom tools)."""
from __future__ import annotations

import re

from ..core.cooperative.phantom import PHANTOM_NAMES
from . import answers as a
from .sample_project import MARKERS, PLUGIN_MARKERS, PY_FILES
from .steps import Final, Parallel, Script, ToolCall, bash, edit, glob, grep, read
from .view import RequestView

SUMMARY = "python3 -m inventory.cli summary"


def coding(w: str) -> Script:
    """12 tool turns over 6 files; step 10 re-reads models.py first read at step 2 (8 user turns earlier)."""
    def answer(v: RequestView) -> str:
        reread, ed = a.read_marker(v, 10), a.tool_status(v, 8)
        verify = a.find_in_result(v, 9, r"report marker: ([\w-]+)")
        return (f"I reviewed the inventory project and changed the report marker.\n\n"
                f"- inventory/models.py (re-read): PICHAY_MARKER {reread}\n"
                f"- Edit of inventory/report.py: {ed}\n- summary after the edit: report marker {verify}\n"
                f"- markers visible in the tool results I still have: {', '.join(a.visible_markers(v)) or 'none'}\n\n"
                f"SIM-ANSWER: reread={reread} edit={ed} verify={verify}")

    steps = [
        glob("**/*.py", w, note="Let me look at the project layout first."),
        read(f"{w}/README.md", note="I'll start with the README."),
        read(f"{w}/inventory/models.py", note="Now the domain model."),
        read(f"{w}/inventory/pricing.py", note="Next, pricing."),
        Parallel((read(f"{w}/inventory/storage.py"),
                  grep(r"^(def|class) ", f"{w}/inventory", glob="*.py")), note="Storage, and an outline of defs."),
        bash(f"wc -l {w}/inventory/*.py {w}/tests/*.py", "Count lines per module", note="How big is it?"),
        read(f"{w}/inventory/report.py", note="The report module prints the marker."),
        bash(SUMMARY, "Run the summary report", note="Let me run the summary."),
        edit(f"{w}/inventory/report.py", 'PICHAY_MARKER = "ember"', 'PICHAY_MARKER = "ember-2"',
             note="Changing the report marker as asked."),
        bash(f"{SUMMARY} | tail -n 3", "Re-run the summary after the edit", note="Checking the edit took effect."),
        read(f"{w}/inventory/models.py", note="Let me look at models.py again to confirm its marker."),
        grep('PICHAY_MARKER = ', w, note="Finally, every marker in the project."),
        Final(answer),
    ]
    prompt = ("[sim-script:coding] Review the inventory project in this directory: read the main modules, run the "
              "summary report, change the report marker in inventory/report.py from ember to ember-2, re-check "
              "models.py, and tell me which PICHAY_MARKER values you saw.")
    return Script("coding", prompt, steps, expected="reread=amber edit=ok verify=ember-2")


LONG_FILES = PY_FILES + list(PLUGIN_MARKERS)  # 12 files: a working set far bigger than 4 user turns
LONG_STEPS = 150


def long(w: str) -> Script:
    """150 tool turns reading 12 files round-robin (FIFO age-4 eviction thrashes); every 10th step edits REVISION."""
    def step(s: int) -> ToolCall:
        if s % 10 == 9:
            j = s // 10
            rel = LONG_FILES[j % len(LONG_FILES)]
            rev = j // len(LONG_FILES)
            return edit(f"{w}/{rel}", f"REVISION = {rev}", f"REVISION = {rev + 1}", note=f"Bumping {rel}.")
        rel = LONG_FILES[s % len(LONG_FILES)]
        return read(f"{w}/{rel}", note=f"Reading {rel} (pass {s // len(LONG_FILES) + 1}).")

    last_read = max(s for s in range(LONG_STEPS) if s % 10 != 9)
    last_rel = LONG_FILES[last_read % len(LONG_FILES)]

    def answer(v: RequestView) -> str:
        edits = [a.tool_status(v, s) for s in range(9, LONG_STEPS, 10)]
        last = a.read_marker(v, last_read)
        return (f"Finished {LONG_STEPS} steps over {len(LONG_FILES)} files; {edits.count('ok')} of {len(edits)} "
                f"edit results still visible and ok.\n\nSIM-ANSWER: long steps={LONG_STEPS} last={last}")

    all_markers = {**MARKERS, **PLUGIN_MARKERS}
    return Script("long", "[sim-script:long] Walk every module of the inventory project repeatedly and bump "
                  "each REVISION as you go.", [step(s) for s in range(LONG_STEPS)] + [Final(answer)],
                  expected=f"long steps={LONG_STEPS} last={all_markers[last_rel]}")


def subagents(w: str) -> Script:
    """Like coding, but step 2 delegates an audit to a sub-conversation through the Task (or Agent) tool."""
    sub_input = {"description": "Audit storage and pricing",
                 "prompt": f"[sim-subagent] Read {w}/inventory/storage.py and {w}/inventory/pricing.py and report "
                           "their PICHAY_MARKER values.", "subagent_type": "general-purpose"}

    def answer(v: RequestView) -> str:
        rx = r"SUBAGENT-REPORT: storage=([\w-]+ pricing=[\w-]+)"
        sub = a.find_in_result(v, 2, rx)
        if sub == "MISSING":  # e.g. Claude Code delivering a background agent's report as a notification
            m = re.search(rx, v.all_text())
            sub = m.group(1) if m else sub
        sub = sub.replace(" pricing=", ",")
        return f"The sub-agent audited storage and pricing.\n\nSIM-ANSWER: subagent={sub} reread={a.read_marker(v, 7)}"

    steps = [
        read(f"{w}/README.md", note="Reading the README."),
        read(f"{w}/inventory/models.py", note="Now the model."),
        ToolCall("Task", sub_input, alternatives=(("Agent", {**sub_input, "run_in_background": False}),),
                 note="I'll delegate the audit."),
        bash(f"wc -l {w}/inventory/*.py", "Count lines per module"),
        read(f"{w}/inventory/report.py"),
        bash(f"ls -la {w}/inventory", "List the package"),
        bash(SUMMARY, "Run the summary report"),
        read(f"{w}/inventory/models.py", note="Re-checking models.py."),
        Final(answer),
    ]
    return Script("subagents", "[sim-script:subagents] Audit the inventory project, delegating storage and pricing "
                  "to a sub-agent.", steps, expected="subagent=basalt,cobalt reread=amber")


def subagent_worker(w: str) -> Script:
    """The sub-conversation of `subagents` (selected by a `[sim-subagent]` tag in its first user message)."""
    def answer(v: RequestView) -> str:
        return f"SUBAGENT-REPORT: storage={a.read_marker(v, 0)} pricing={a.read_marker(v, 1)}"

    steps = [read(f"{w}/inventory/storage.py"), read(f"{w}/inventory/pricing.py"),
             grep("PICHAY_MARKER = ", f"{w}/inventory", glob="*.py"), Final(answer)]
    return Script("subagent-worker", "[sim-subagent] Audit storage and pricing.", steps,
                  expected="storage=basalt pricing=cobalt")


PHANTOM = PHANTOM_NAMES                   # the tools the proxy offers the model (core/cooperative/phantom.py)
BLOCK_ID_RE = re.compile(r"\bblock:([\w.:-]+)")


def cooperative(w: str) -> Script:
    """Uses the proxy's phantom tools when offered: release models.py at step 2, fault it back at step 5."""
    models = f"{w}/inventory/models.py"

    def cleanup(v: RequestView) -> str:
        ids = BLOCK_ID_RE.findall(a.block_text_of_step(v, 1)) or BLOCK_ID_RE.findall(v.all_text())
        tag = f"\n<memory_cleanup>\ndrop: block:{ids[0]}\n</memory_cleanup>" if ids else ""
        return "I no longer need models.py resident; releasing it." + tag

    def release(v: RequestView) -> ToolCall:
        if PHANTOM <= v.tool_names:
            return ToolCall("memory_release", {"paths": [models]}, note=cleanup)
        return read(f"{w}/inventory/storage.py", note="Reading storage.py.")

    def fault(v: RequestView) -> ToolCall:
        if PHANTOM <= v.tool_names:
            return ToolCall("memory_fault", {"paths": [models]}, note="I need models.py back.")
        return read(models, note="Re-reading models.py.")

    def answer(v: RequestView) -> str:
        mode = "phantom" if PHANTOM <= v.tool_names else "plain"
        return f"Done.\nmode: {mode}\n\nSIM-ANSWER: cooperative fault={a.read_marker(v, 5)}"

    steps = [read(models), read(f"{w}/inventory/pricing.py"), release,
             bash(f"wc -l {w}/inventory/*.py", "Count lines per module"), bash(SUMMARY, "Run the summary report"),
             fault, Final(answer)]
    return Script("cooperative", "[sim-script:cooperative] Inspect models.py and pricing.py, keeping your context "
                  "tidy with the memory tools if you have them.", steps, expected="cooperative fault=amber")
