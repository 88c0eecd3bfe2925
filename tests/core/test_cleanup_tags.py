"""Tests for the `<memory_cleanup>` grammar, the block stripper and the streaming text filter."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from pichay_tui.core.cooperative.cleanup_tags import (CleanupOp, CleanupTextFilter, parse_cleanup_body,
                                                      strip_cleanup_blocks)


def one(line: str) -> CleanupOp:
    ops, errors = parse_cleanup_body(line)
    assert errors == [] and len(ops) == 1, (ops, errors)
    return ops[0]


@pytest.mark.parametrize("line,expected", [
    ("drop: b12", CleanupOp("drop", ["b12"])),
    ("DROP:block:b12", CleanupOp("drop", ["b12"])),
    ("  Drop :  Block:b12 , b13  ", CleanupOp("drop", ["b12", "b13"])),
    ("- drop: b7 (stale ls output)", CleanupOp("drop", ["b7"])),
    ("anchor: block:p3", CleanupOp("anchor", ["p3"])),
    ("pin: p3", CleanupOp("anchor", ["p3"])),
    ('summarize: block:b4 "Ran tests: 3 failed"', CleanupOp("summarize", ["b4"], "Ran tests: 3 failed")),
    ("Summarise: b4: 'don't retry'", CleanupOp("summarize", ["b4"], "don't retry")),
    ("summarize: b4 \u201ccurly quoted\u201d", CleanupOp("summarize", ["b4"], "curly quoted")),
    ("summarize: b4 unquoted text", CleanupOp("summarize", ["b4"], "unquoted text")),
    ('summarize: b4 "say \\"hi\\""', CleanupOp("summarize", ["b4"], 'say "hi"')),
    ("release: /src/a.py, block:b9,  'docs/my file.md'", CleanupOp("release", ["/src/a.py", "b9", "docs/my file.md"])),
    ("release: a.py b.py", CleanupOp("release", ["a.py", "b.py"])),
    ('collapse: turns 3-7 "Explored the parser"', CleanupOp("collapse", [], "Explored the parser", (3, 7))),
    ("1. COLLAPSE: Turns 4 \u2013 4: \u2018one turn\u2019", CleanupOp("collapse", [], "one turn", (4, 4))),
    ('collapse: 2..5 "x"', CleanupOp("collapse", [], "x", (2, 5))),
])
def test_operations(line, expected):
    assert one(line) == expected


@pytest.mark.parametrize("line,reason", [
    ("delete: b1", "unknown operation"),
    ("drop:", "needs one or more"),
    ('summarize: b1 "never closed', "non-empty summary"),
    ("summarize: b1", "non-empty summary"),
    ('collapse: turns 7-3 "x"', "reversed"),
    ("collapse: turns 3-7", "non-empty summary"),
    ('collapse: turns a-b "x"', "collapse needs"),
    ("release: ,", "release needs"),
    ("just some prose", "unknown operation"),
])
def test_ill_formed_lines_are_reported_not_applied(line, reason):
    ops, errors = parse_cleanup_body(line)
    assert ops == [] and len(errors) == 1 and reason in errors[0].reason and errors[0].line == line.strip()


def test_semicolons_split_outside_quotes_only_and_comments_skipped():
    ops, errors = parse_cleanup_body('drop: b1; summarize: b2 "a; b"; anchor: b3\n# note\n\n  // also a note\n')
    assert [o.op for o in ops] == ["drop", "summarize", "anchor"] and ops[1].text == "a; b" and errors == []


def test_strip_blocks_keeps_text_and_eats_one_newline():
    text = "Done.\n<memory_cleanup>\ndrop: b1\n</memory_cleanup>\nNext <MEMORY_CLEANUP>anchor: b2</Memory_Cleanup> end"
    clean, ops, errors = strip_cleanup_blocks(text)
    assert clean == "Done.\nNext  end"
    assert [(o.op, o.targets) for o in ops] == [("drop", ["b1"]), ("anchor", ["b2"])] and errors == []


def test_unclosed_block_applies_only_complete_lines():
    clean, ops, errors = strip_cleanup_blocks("Hi <memory_cleanup>\ndrop: b1\ndrop: b2")
    assert clean == "Hi " and [o.targets for o in ops] == [["b1"]]
    assert len(errors) == 1 and "never closed" in errors[0].reason and "drop: b2" in errors[0].reason


def test_near_misses_are_left_alone():
    for text in ["a <memory_c b", "x < memory_cleanup>", "<memory_cleanu", "</memory_cleanup> stray", "<<memory"]:
        assert strip_cleanup_blocks(text) == (text, [], [])


SAMPLE = ("Plan: <memory_cl is not a tag.\n<memory_cleanup>\ndrop: block:b1\nsummarize: b2 \"short; sweet\"\n"
          "bogus line\n</memory_cleanup>\nAfter \u00e9\u2603 <memory_cleanup>collapse: turns 1-2 'x'</memory_cleanup>"
          "<")


@settings(max_examples=300, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(SAMPLE)), max_size=12))
def test_streaming_filter_matches_whole_text_for_any_split(cuts):
    points = [0, *sorted(set(cuts)), len(SAMPLE)]
    f = CleanupTextFilter()
    visible = "".join(f.feed(SAMPLE[a:b]) for a, b in zip(points, points[1:])) + f.finish()
    assert (visible, f.ops, f.errors) == strip_cleanup_blocks(SAMPLE)
    assert visible == "Plan: <memory_cl is not a tag.\nAfter \u00e9\u2603 <"


def test_filter_holds_only_a_possible_tag_prefix():
    f = CleanupTextFilter()
    assert f.feed("abc <memory_cl") == "abc "
    assert f.feed("ock") == "<memory_clock"
    assert f.feed("x <") == "x " and f.finish() == "<"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text):
    parse_cleanup_body(text)
    clean, _, _ = strip_cleanup_blocks(text)
    wrapped = strip_cleanup_blocks(f"<memory_cleanup>{text}</memory_cleanup>")
    assert isinstance(clean, str) and isinstance(wrapped[0], str)
