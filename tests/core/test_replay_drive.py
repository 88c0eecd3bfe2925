"""Both replay paths (`recording.replay` over records, `Replayer` over frames) drive the engine through one loop;
the events they give on every sample session are byte-identical to those of the two loops they replaced (digests
frozen at 9503f4e, before the loops were merged)."""
from __future__ import annotations

import hashlib
from pathlib import Path

import orjson
import pytest

from pichay_tui.core.engine.facade import Engine
from pichay_tui.core import recording as rec
from pichay_tui.core.recording.replayer import Replayer
from pichay_tui.core.recording.sources import load_source, materialize

SAMPLES = Path(__file__).resolve().parents[2] / "sample_sessions"

# name -> ((sha256, count) of recording.replay's events, (sha256, count) of the Replayer's events)
FROZEN = {
    "coding.jsonl": (('a17491491fe5e707a94504e721661b820a8280fe4609d04e766cae938a33a39e', 93), ('a17491491fe5e707a94504e721661b820a8280fe4609d04e766cae938a33a39e', 93)),
    "cooperative.jsonl": (('9e46c3573ec9965c57648e24b688e102cea93f6e63a1c8d0ca7c727f6773a7c3', 39), ('fc7f4b5c7df1f166bded1f3afa7eec715167d46cb41e4d58ff3f830a4ed035b1', 39)),
    "subagents.jsonl": (('f7e23494fa5e15936cd9df868c22680f54f32a8a5f26745d61333af121fe4929', 87), ('f7e23494fa5e15936cd9df868c22680f54f32a8a5f26745d61333af121fe4929', 87)),
    "long_thrash.jsonl.xz": (('a63b4eb47c1ab21fec0b70006c228918f25e10dab6a9b945290bca879a023b9e', 1234), ('a63b4eb47c1ab21fec0b70006c228918f25e10dab6a9b945290bca879a023b9e', 1234)),
}


def _digest(events: list) -> tuple[str, int]:
    return hashlib.sha256(b"".join(orjson.dumps(e.to_dict()) + b"\n" for e in events)).hexdigest(), len(events)


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_replay_events_unchanged(name: str) -> None:
    path = materialize(SAMPLES / name)
    # a fixed engine clock: replayed commands carry no `now`, so their events would otherwise carry the wall clock
    events = rec.replay(path, Engine(clock=lambda: 0.0))
    replayer = Replayer(load_source(path))
    seen: list = []
    replayer.subscribe(seen.append)
    replayer.run()
    assert (_digest(events), _digest(seen)) == FROZEN[name]
