"""Scripts of the real-client matrix: many files with re-reads, a subagent whose long report is needed at the end.

Both are written for τ = 4 (the default age threshold): what they re-read or need again is far enough back to be
evicted, and what they re-read early is still resident. The third scenario is the built-in `cooperative` script.
"""
from __future__ import annotations

import re
from typing import Callable

from . import answers as a
from .sample_project import MARKERS
from .steps import Final, Script, ToolCall, bash, grep, read
from .scripts_builtin import SUMMARY
from .view import RequestView

FILES_REREAD_STEP, FILES_RESIDENT_STEP, FILES_LAST_READ = 10, 3, 8
NOTE_RE = re.compile(r"Noted: (\S+) shows PICHAY_MARKER ([\w-]+)")   # the model's own notes outlive the results


def matrix_files(w: str) -> Script:
    """12 tool turns over 6 files: pricing.py re-read while resident (step 3), models.py once evicted (step 10)."""
    def noted(step: int, what: str) -> Callable[[RequestView], str]:
        return lambda v: f"Noted: {what} shows PICHAY_MARKER {a.read_marker(v, step)}."

    def answer(v: RequestView) -> str:
        notes = dict(NOTE_RE.findall(v.all_text()))
        early = a.read_marker(v, FILES_REREAD_STEP)
        resident, last = notes.get("pricing.py", "MISSING"), notes.get("cli/main.py", "MISSING")
        return (f"Reviewed six files of the inventory project.\n\n- models.py (re-read late): {early}\n"
                f"- pricing.py (re-read early): {resident}\n- cli/main.py: {last}\n\n"
                f"SIM-ANSWER: files reread={early} resident={resident} last={last}")

    steps = [
        read(f"{w}/README.md", note="Starting with the README."),
        read(f"{w}/inventory/models.py", note="The domain model."),
        read(f"{w}/inventory/pricing.py", note="Pricing."),
        read(f"{w}/inventory/pricing.py", note="Checking pricing.py once more before moving on."),
        read(f"{w}/inventory/storage.py", note=noted(FILES_RESIDENT_STEP, "pricing.py")),
        grep(r"^(def|class) ", f"{w}/inventory", glob="*.py", note="An outline of the definitions."),
        read(f"{w}/inventory/report.py", note="The report module."),
        bash(SUMMARY, "Run the summary report", note="Running the summary."),
        read(f"{w}/inventory/cli.py", note="The command line."),
        bash(f"wc -l {w}/inventory/*.py", "Count lines per module", note=noted(FILES_LAST_READ, "cli/main.py")),
        read(f"{w}/inventory/models.py", note="Back to models.py to confirm its marker."),
        grep("PICHAY_MARKER = ", f"{w}/inventory", glob="*.py", note="Every marker, for the summary."),
        Final(answer),
    ]
    prompt = ("[sim-script:matrix-files] Review the inventory project: read its main modules, run the summary, and "
              "report the PICHAY_MARKER of models.py, pricing.py and cli/main.py.")
    exp = MARKERS
    return Script("matrix-files", prompt, steps, expected=f"files reread={exp['inventory/models.py']} "
                  f"resident={exp['inventory/pricing.py']} last={exp['inventory/cli.py']}")


REPORT_RE = re.compile(r"SUBAGENT-REPORT: storage=([\w-]+) pricing=([\w-]+)")
REPORT_END_RE = re.compile(r"END-OF-REPORT (\w+)")
FAULT_RE = re.compile(r'memory_fault with "([^"]+)"')
SUBAGENT_STEP, SUBAGENT_FAULT_STEP = 2, 8
REPORT_SEAL = "quartz"   # the report's last word: the final answer needs the whole report, not a prefix


def _report(text: str) -> str | None:
    """'storage,pricing,seal' when `text` carries the whole report, else None."""
    m, end = REPORT_RE.search(text or ""), REPORT_END_RE.search(text or "")
    return f"{m.group(1)},{m.group(2)},{end.group(1)}" if m and end else None


def matrix_subagent(w: str) -> Script:
    """A subagent's > 500 B report (step 2) is needed at the end, after τ turns: fetched back with memory_fault."""
    sub_input = {"description": "Audit storage and pricing",
                 "prompt": f"[sim-subagent:matrix-subagent-worker] Read {w}/inventory/storage.py and "
                           f"{w}/inventory/pricing.py and write a detailed report of both modules.",
                 "subagent_type": "general-purpose"}

    def fetch(v: RequestView) -> ToolCall | Final:
        text, _ = v.result_text_at(SUBAGENT_STEP)
        handle = FAULT_RE.search(text or "")
        if _report(text or "") is None and handle and "memory_fault" in v.tool_names:
            return ToolCall("memory_fault", {"paths": [handle.group(1)]},
                            note="The audit report was paged out; bringing it back.")
        return Final(answer)

    def answer(v: RequestView) -> str:
        got = _report(v.result_text_at(SUBAGENT_STEP)[0] or "") or _report(
            v.result_text_at(SUBAGENT_FAULT_STEP)[0] or "") or "MISSING"
        return (f"The sub-agent audited storage and pricing; its report is summarised below.\n\n"
                f"SIM-ANSWER: subagent={got} reread={a.read_marker(v, 7)}")

    steps = [
        read(f"{w}/README.md", note="Reading the README."),
        read(f"{w}/inventory/models.py", note="Now the model."),
        ToolCall("Task", sub_input, alternatives=(("Agent", {**sub_input, "run_in_background": False}),),
                 note="I'll delegate the storage and pricing audit."),
        bash(f"wc -l {w}/inventory/*.py", "Count lines per module"),
        read(f"{w}/inventory/report.py"),
        bash(f"ls -la {w}/inventory", "List the package"),
        bash(SUMMARY, "Run the summary report"),
        read(f"{w}/inventory/cli.py", note="The command line, last."),
        fetch,
        Final(answer),
    ]
    exp = MARKERS
    return Script("matrix-subagent", "[sim-script:matrix-subagent] Audit the inventory project, delegating storage "
                  "and pricing to a sub-agent, and summarise its report.", steps,
                  expected=f"subagent={exp['inventory/storage.py']},{exp['inventory/pricing.py']},{REPORT_SEAL} "
                           f"reread={exp['inventory/cli.py']}")


def matrix_subagent_worker(w: str) -> Script:
    """The sub-conversation of `matrix-subagent`: reads two files and writes a report of about 1 KB."""
    def answer(v: RequestView) -> str:
        storage, pricing = a.read_marker(v, 0), a.read_marker(v, 1)
        lines = [f"SUBAGENT-REPORT: storage={storage} pricing={pricing}", "",
                 "Findings, module by module:"]
        for rel, step in (("inventory/storage.py", 0), ("inventory/pricing.py", 1)):
            text, _ = v.result_text_at(step)
            defs = re.findall(r"^\s*\d+(?:\t|→)(?:def|class) (\w+)", text or "", re.M)
            lines.append(f"- {rel}: marker {a.read_marker(v, step)}; {len((text or '').splitlines())} lines; "
                         f"defines {', '.join(defs) or 'nothing visible'}.")
        lines += ["", "Every PICHAY_MARKER the search found:", a.block_text_of_step(v, 2).strip()[:400], "",
                  "Recommendations: keep the journal append-only and the atomic replace in storage; move the VAT "
                  "rate and the discount tiers of pricing into configuration; add a test for quotes that cross a "
                  "tier boundary.", "", f"END-OF-REPORT {REPORT_SEAL}"]
        return "\n".join(lines)

    steps = [read(f"{w}/inventory/storage.py"), read(f"{w}/inventory/pricing.py"),
             grep("PICHAY_MARKER = ", f"{w}/inventory", glob="*.py"), Final(answer)]
    return Script("matrix-subagent-worker", "[sim-subagent:matrix-subagent-worker] Audit storage and pricing.",
                  steps, expected=f"storage={MARKERS['inventory/storage.py']} "
                                  f"pricing={MARKERS['inventory/pricing.py']}")

