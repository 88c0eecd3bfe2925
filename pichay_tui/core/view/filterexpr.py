"""The page filter language: `tool:Read state:evicted tokens>2k path:src/ faults>0 age>4` with `!`, `&`, `|`, `()`.

Terms next to each other are ANDed; `|` has the lowest precedence, then `&`/juxtaposition, then `!`.
A term is `field:value` (text match), `field OP number` (OP one of `> >= < <= = !=`, numbers take k/m suffixes),
or a bare word matched against the page's id, tool and address. Sans-io: a compiled filter is a predicate on a row dict.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable
from ..errors import FilterError

Predicate = Callable[[dict[str, Any]], bool]

# field name (and aliases) -> row key
TEXT_FIELDS = {"tool": "tool", "state": "state", "kind": "kind", "path": "address", "addr": "address",
               "address": "address", "id": "id", "pin": "pin_reason", "reason": "pin_reason", "zone": "zone",
               "pending": "pending", "key": "key"}
NUM_FIELDS = {"tokens": "tokens", "bytes": "bytes", "age": "age", "faults": "faults", "turn": "turn",
              "lines": "lines"}
IS_FLAGS = {"pinned": lambda r: bool(r.get("pin_reason")), "error": lambda r: bool(r.get("is_error")),
            "paged": lambda r: bool(r.get("paged")), "pending": lambda r: bool(r.get("pending")),
            "out": lambda r: r.get("state") in ("evicted", "released", "collapsed", "stubbed", "cleared-by-client"),
            "resident": lambda r: r.get("state") in ("resident", "pinned")}
# fields whose value must equal (case-insensitively, prefix allowed) rather than be contained
EXACT = {"tool", "state", "kind", "pin_reason", "zone", "pending"}
_TOKEN = re.compile(r"\s*(?:(?P<op>[()!&|])|(?P<term>(?:\"[^\"]*\"|[^\s()&|\"])+))")
_NUM = re.compile(r"^(?P<field>[a-z_]+)(?P<op>>=|<=|!=|>|<|=)(?P<val>[\d.]+)(?P<suf>[kKmM]?)$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b}


@dataclass(frozen=True, slots=True)
class Filter:
    text: str
    predicate: Predicate

    def __call__(self, row: dict[str, Any]) -> bool:
        return self.predicate(row)


def _number(val: str, suf: str) -> float:
    return float(val) * {"": 1, "k": 1_000, "m": 1_000_000}[suf.lower()]


def _term(text: str, pos: int) -> Predicate:
    m = _NUM.match(text)
    if m:
        field = NUM_FIELDS.get(m["field"])
        if field is None:
            raise FilterError(f"unknown numeric field {m['field']!r} (try {', '.join(NUM_FIELDS)})", pos)
        op, ref = _OPS[m["op"]], _number(m["val"], m["suf"])
        return lambda r: op(float(r.get(field) or 0), ref)
    if ":" in text:
        name, _, value = text.partition(":")
        value = value.strip('"').lower()
        if name == "is":
            flag = IS_FLAGS.get(value)
            if flag is None:
                raise FilterError(f"unknown flag is:{value} (try {', '.join(IS_FLAGS)})", pos)
            return flag
        field = TEXT_FIELDS.get(name.lower())
        if field is None:
            raise FilterError(f"unknown field {name!r} (try {', '.join(TEXT_FIELDS)})", pos)
        if not value:
            raise FilterError(f"empty value for {name}:", pos)
        if field in EXACT:
            return lambda r: str(r.get(field) or "").lower().startswith(value)
        return lambda r: value in str(r.get(field) or "").lower()
    if any(c in text for c in "<>="):
        raise FilterError(f"cannot read comparison {text!r}: use field>number, e.g. tokens>2k", pos)
    word = text.strip('"').lower()
    return lambda r: any(word in str(r.get(k) or "").lower() for k in ("id", "tool", "address"))


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks: list[tuple[str, str, int]] = []
        i = 0
        while i < len(text):
            m = _TOKEN.match(text, i)
            if not m or m.end() == i:
                if text[i:].strip() == "":
                    break
                raise FilterError(f"unexpected {text[i:].strip()[:1]!r}", i)
            kind = "op" if m["op"] else "term"
            self.toks.append((kind, m[kind], m.start(kind)))
            i = m.end()
        self.i = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def parse(self) -> Predicate:
        p = self.or_()
        tok = self.peek()
        if tok is not None:
            raise FilterError(f"unexpected {tok[1]!r}", tok[2])
        return p

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while (tok := self.peek()) and tok[1] == "|":
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.not_()]
        while (tok := self.peek()) and tok[1] not in ("|", ")"):
            if tok[1] == "&":
                self.i += 1
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def not_(self) -> Predicate:
        tok = self.peek()
        if tok is None:
            raise FilterError("expression ends too early", self.toks[-1][2] if self.toks else 0)
        if tok[1] == "!":
            self.i += 1
            inner = self.not_()
            return lambda r: not inner(r)
        if tok[1] == "(":
            self.i += 1
            inner = self.or_()
            close = self.peek()
            if close is None or close[1] != ")":
                raise FilterError("missing ')'", tok[2])
            self.i += 1
            return inner
        if tok[0] == "op":
            raise FilterError(f"unexpected {tok[1]!r}", tok[2])
        self.i += 1
        return _term(tok[1], tok[2])


def compile_filter(text: str) -> Filter:
    """Parse `text`; an empty expression matches everything. Raises FilterError with a position."""
    if not text.strip():
        return Filter(text, lambda r: True)
    return Filter(text, _Parser(text).parse())
