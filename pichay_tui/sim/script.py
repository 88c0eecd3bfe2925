"""The script registry: the built-in scripts by name, their prompts and expected answers. Scripts are built from
steps.py; this module only names them, so steps and scripts never import it back."""
from __future__ import annotations

from . import scripts_builtin as b
from . import scripts_matrix as m
from .steps import Script

SCRIPT_NAMES = ("coding", "long", "subagents", "subagent-worker", "cooperative", "matrix-files", "matrix-subagent",
                "matrix-subagent-worker")


def get_script(name: str, workdir: str) -> Script:
    """The built-in script `name` with paths under `workdir` (absolute)."""
    builders = {"coding": b.coding, "long": b.long, "subagents": b.subagents,
                "subagent-worker": b.subagent_worker, "cooperative": b.cooperative,
                "matrix-files": m.matrix_files, "matrix-subagent": m.matrix_subagent,
                "matrix-subagent-worker": m.matrix_subagent_worker}
    if name not in builders:
        raise KeyError(f"unknown sim script {name!r}; known: {', '.join(SCRIPT_NAMES)}")
    return builders[name](str(workdir).rstrip("/") or "/")


def script_prompt(name: str, workdir: str = "/w") -> str:
    """The first user prompt for `name`, carrying the `[sim-script:NAME]` tag the model looks for."""
    return get_script(name, workdir).prompt


def expected_answer(name: str) -> str:
    """The `SIM-ANSWER:` payload a correct run of `name` ends with."""
    return get_script(name, "/w").expected


def answer_ok(final_text: str, name: str) -> bool:
    """True when `final_text` carries exactly the expected `SIM-ANSWER:` payload of script `name`."""
    from .answers import answer_line

    return answer_line(final_text) == expected_answer(name)
