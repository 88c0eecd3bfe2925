"""A long text is token-counted piece by piece (no GIL hold for a whole 50 MB tool result); cut after a newline or
at a space between letters, the pieces count exactly what the whole text counts."""
from __future__ import annotations

import random

from pichay_tui.core.model import tokens
from pichay_tui.core.model.tokens import _count, count_tokens

WORDS = ["def", "Hello", "WORLD", "don't", "x1", "ünïcødé", "日本語", "42", "3.14", "a/b", "--flag", "é", "ABCdef",
         "!!", "foo_bar", "😀", "'s", "path/to"]
SEPS = [" ", " ", " ", "\n", "\n\n", "\t", "  ", ", ", ".\n", "\r\n", " /"]


def _clean(text: str, cut: int) -> bool:
    return text[cut - 1] == "\n" or text[cut] == " "


def test_pieces_count_the_same_as_the_whole(monkeypatch):
    rng = random.Random(11)
    monkeypatch.setattr(tokens, "COUNT_PIECE", 60)
    checked = 0
    for _ in range(300):
        text = "".join(rng.choice(WORDS) + rng.choice(SEPS) for _ in range(rng.randint(20, 80)))
        cuts = tokens._cuts(text)[:-1]
        for c in cuts:
            if _clean(text, c):                        # each clean cut on its own keeps the count
                assert _count(text[:c]) + _count(text[c:]) == _count(text), (text[:c], text[c:])
                checked += 1
        if all(_clean(text, c) for c in cuts):
            assert count_tokens(text) == _count(text), text
    assert checked > 300                               # the texts were long enough to be cut, mostly cleanly


def test_a_text_without_a_clean_cut_is_still_counted_close(monkeypatch):
    monkeypatch.setattr(tokens, "COUNT_PIECE", 50)
    text = "0123456789" * 100                                  # no letters, no spaces: hard cuts
    cuts = len(tokens._cuts(text))
    assert abs(count_tokens(text) - _count(text)) <= cuts
