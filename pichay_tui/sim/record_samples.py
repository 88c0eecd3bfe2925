"""Regenerate sample_sessions/: each sample is the scripted upstream + the simulated agent through the real proxy,
recorded with the proxy's own recorder (`--record`), so the files are exactly what `pichay-tui serve --record` writes.
The long sample is stored xz-compressed (analyze/replay open .xz and .gz transparently).

Samples: coding (short), long (150 tool turns over 12 files: thrashes under FIFO τ=4), subagents (a Task
sub-conversation: two sessions), cooperative (the agent calls the proxy's phantom memory tools when offered).
The sample project lives in a fixed folder under the system temp dir so paths in the recordings are stable.
"""
from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

SAMPLES = {
    "coding": "coding.jsonl",
    "long": "long_thrash.jsonl.xz",          # ~44 MB raw (full bodies every call), ~60 KB xz
    "subagents": "subagents.jsonl",
    "cooperative": "cooperative.jsonl",
}


async def record_sample(script: str, out: Path, workroot: Path) -> dict:
    """Run one scripted session through a recording proxy; returns a small summary."""
    from ..core.model.config import PagerConfig
    from ..proxy.server import ProxyServer
    from .agent import SimulatedAgent
    from .sample_project import create_sample_project
    from .script import answer_ok
    from .upstream import create_upstream_app, run_upstream

    final = out
    if out.suffix == ".xz":
        out = workroot / out.stem
    work = workroot / script
    if work.exists():
        shutil.rmtree(work)
    create_sample_project(work, script)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    app = create_upstream_app(script=script, workdir=work)
    async with run_upstream(app) as upstream_url:
        server = ProxyServer(PagerConfig(), host="127.0.0.1", port=0, upstream=upstream_url, record=str(out))
        async with server:
            agent = SimulatedAgent(server.url, work, script=script)
            result = await agent.run()
        sessions = len(server.engine.sessions)
    if final is not out:
        import lzma

        final.write_bytes(lzma.compress(out.read_bytes(), preset=9))
        out.unlink()
    return {"script": script, "file": str(final), "turns": result.turns, "sessions": sessions,
            "answer_ok": answer_ok(result.final_text, script), "bytes": final.stat().st_size}


def record_all(out_dir: str | Path, names: list[str] | None = None) -> Iterator[str]:
    out_dir = Path(out_dir)
    import fcntl

    workroot = Path(tempfile.gettempdir()) / "pichay-samples"
    workroot.mkdir(parents=True, exist_ok=True)
    with open(workroot / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)        # the folder is fixed (stable paths): concurrent runs take turns
        for name in names or list(SAMPLES):
            info = asyncio.run(record_sample(name, out_dir / SAMPLES[name], workroot))
            yield (f"{name:12} {info['file']}: {info['turns']} model turns, {info['sessions']} session(s), "
                   f"{info['bytes']:,} bytes, answer {'ok' if info['answer_ok'] else 'UNEXPECTED'}")
