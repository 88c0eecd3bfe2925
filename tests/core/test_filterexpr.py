import pytest

from pichay_tui.core.errors import FilterError
from pichay_tui.core.view.filterexpr import compile_filter

ROWS = [
    {"id": "p1", "tool": "Read", "state": "evicted", "tokens": 3000, "address": "/w/src/models.py", "faults": 1,
     "age": 6, "kind": "tool_result", "paged": True},
    {"id": "p2", "tool": "Read", "state": "resident", "tokens": 800, "address": "/w/README.md", "faults": 0,
     "age": 1, "kind": "tool_result", "paged": True},
    {"id": "p3", "tool": "Bash", "state": "evicted", "tokens": 2500, "address": "wc -l src/*.py", "faults": 0,
     "age": 5, "kind": "tool_result", "paged": False},
    {"id": "p4", "tool": "Read", "state": "pinned", "tokens": 4000, "address": "/w/src/report.py", "faults": 2,
     "age": 2, "pin_reason": "fault", "kind": "tool_result", "paged": True},
    {"id": "p5", "tool": None, "state": "resident", "tokens": 12, "address": "", "kind": "text", "is_error": False},
]


def ids(expr: str) -> list[str]:
    f = compile_filter(expr)
    return [r["id"] for r in ROWS if f(r)]


def test_examples_from_the_design():
    assert ids("tool:Read state:evicted tokens>2k path:src/") == ["p1"]
    assert ids("faults>0 age>4") == ["p1"]


@pytest.mark.parametrize("expr,expected", [
    ("", ["p1", "p2", "p3", "p4", "p5"]),
    ("tool:read", ["p1", "p2", "p4"]),
    ("tool:Bash | tool:Read & state:pinned", ["p3", "p4"]),
    ("(tool:Bash | tool:Read) & state:pinned", ["p4"]),
    ("!tool:Read", ["p3", "p5"]),
    ("!(tokens<1k)", ["p1", "p3", "p4"]),
    ("tokens>=2.5k tokens<=3000", ["p1", "p3"]),
    ("faults=2", ["p4"]),
    ("faults!=0", ["p1", "p4"]),
    ("is:pinned", ["p4"]),
    ("is:out", ["p1", "p3"]),
    ("!is:paged kind:tool", ["p3"]),
    ("pin:fault", ["p4"]),
    ("README", ["p2"]),
    ('path:"src/" tool:Read', ["p1", "p4"]),
    ("state:ev | state:pin", ["p1", "p3", "p4"]),
    ("tokens>1m", []),
])
def test_expressions(expr, expected):
    assert ids(expr) == expected


@pytest.mark.parametrize("expr", ["tool:", "(tool:Read", "tool:Read)", "&", "bogus:1", "size>3", "is:weird",
                                  "tokens>", "tool:Read |", "!"])
def test_errors_carry_a_message(expr):
    with pytest.raises(FilterError) as e:
        compile_filter(expr)
    assert str(e.value)
    assert 0 <= e.value.pos <= len(expr)
