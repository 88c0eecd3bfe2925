"""FieldDecoder (the side parser's fast SSE path) gives exactly SSEDecoder's (event, data) pairs, however the
bytes are split, whatever the line endings, comments, BOM or unterminated tail."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from pichay_tui.core.wire.sse import FieldDecoder, SSEDecoder

LINES = st.sampled_from([
    b"event: message_start", b"event: ping", b"event:x", b"data: {\"a\": 1}", b"data:{}", b"data", b"data: ",
    b"data: \xc3\xa9\xe2\x98\x83 caf\xc3\xa9", b"data: \xff broken utf8", b": comment", b":", b"id: 7",
    b"retry: 10", b"", b"", b"", b"event", b"  data: leading space", b"data: two: colons",
])


def _slow(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    dec = SSEDecoder()
    out = [(e.event, e.data) for c in chunks for e in dec.feed(c)]
    return out + [(e.event, e.data) for e in dec.flush()]


def _fast(chunks: list[bytes]) -> list[tuple[str | None, str]]:
    dec = FieldDecoder()
    out = [p for c in chunks for p in dec.feed(c)]
    return out + dec.flush()


def _split(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(stream)) for c in cuts})
    return [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)])]


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(LINES, max_size=30), eol=st.sampled_from([b"\n", b"\n", b"\r\n", b"\r"]),
       bom=st.booleans(), tail=st.booleans(), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_same_pairs_as_sse_decoder(lines, eol, bom, tail, cuts):
    stream = (b"\xef\xbb\xbf" if bom else b"") + eol.join(lines) + (b"" if tail else eol)
    chunks = _split(stream, cuts)
    assert _fast(chunks) == _slow(chunks)


def test_byte_by_byte_and_cr_appearing_late():
    stream = b"event: a\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\r\n\r\ndata: \xef\xbb\xbf4\n\n"
    assert _fast([stream[i:i + 1] for i in range(len(stream))]) == _slow([stream]) == [
        ("a", "1"), ("b", "2"), (None, "3"), (None, "\ufeff4")]


def test_unterminated_last_event_is_dispatched_at_flush():
    assert _fast([b"event: a\ndata: x"]) == [("a", "x")]
    assert _fast([b"event: a\ndata: x\n"]) == [("a", "x")]
    assert _fast([b"event: a\n"]) == []


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINES, max_size=30), bom=st.booleans(), tail=st.booleans(),
       cuts=st.lists(st.integers(0, 400), max_size=12))
def test_sse_decoder_lf_fast_path_matches_its_cr_path_and_keeps_raw_exact(lines, bom, tail, cuts):
    """An LF stream (split path) and the same stream with CRLF (regex path) give the same pairs; the raw bytes of
    the LF stream's events are the stream itself, in order."""
    lf = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + (b"" if tail else b"\n")
    crlf = lf.replace(b"\n", b"\r\n")
    dec = SSEDecoder()
    events = [e for c in _split(lf, cuts) for e in dec.feed(c)] + dec.flush()
    assert [(e.event, e.data) for e in events] == _slow(_split(crlf, cuts))
    raw = b"".join(e.raw for e in events)
    assert lf.startswith(raw)
