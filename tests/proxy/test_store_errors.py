"""A broken --state-dir through the installed `pichay-tui serve`: one clear line, a non-zero exit, no traceback, and
`--reset-state` as the way out (the old store is moved aside with a timestamp, never deleted)."""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

import httpx
import orjson
import pytest

from pichay_tui.core.lab.synthetic import Conversation
from serve_cmd import pichay_command, run_to_exit, start_serve


async def _store_with_a_session(upstream, state: Path) -> None:
    serve = await start_serve("--upstream", upstream.url, "--state-dir", str(state))
    conv = Conversation("store")
    async with httpx.AsyncClient(timeout=30) as c:
        for i in range(4):
            conv.read(f"/src/t{i}.py", lines=400)
            r = await c.post(f"{serve.url}/v1/messages", content=orjson.dumps({**conv.body(), "stream": False}),
                             headers={"x-api-key": "dummy", "content-type": "application/json"})
            assert r.status_code == 200
    assert (await serve.stop())[0] == 0


def _one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 1, (code, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)


def _corrupt(db: Path) -> None:
    db.write_bytes(b"this is not a database, it was overwritten\n" * 200)


def _truncate(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


def _directory_in_its_place(db: Path) -> None:
    db.unlink()
    db.mkdir()


@pytest.mark.parametrize("damage", [_corrupt, _truncate, _directory_in_its_place])
async def test_broken_store_gives_one_line_and_reset_state_is_the_way_out(upstream, tmp_path, damage):
    state = tmp_path / "state"
    await _store_with_a_session(upstream, state)
    db = state / "pichay.sqlite3"
    with sqlite3.connect(db) as conn:                 # fold the WAL in so the damage hits the real data
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for side in ("-wal", "-shm"):
        (state / ("pichay.sqlite3" + side)).unlink(missing_ok=True)
    damage(db)
    code, out, err = await run_to_exit("serve", "--port", "0", "--upstream", upstream.url, "--state-dir", str(state))
    _one_line_error(code, err, str(db), "--reset-state")
    assert out == ""
    code, out, err = await run_to_exit("--port", "0", "--state-dir", str(state), timeout=20)   # the TUI, too
    _one_line_error(code, err, str(db), "--reset-state")
    kept = db.read_bytes() if db.is_file() else None
    serve = await start_serve("--upstream", upstream.url, "--state-dir", str(state), "--reset-state")
    try:
        async with httpx.AsyncClient() as c:
            assert (await c.get(f"{serve.url}/_pichay/state")).json()["sessions"] == []
    finally:
        code, err = await serve.stop()
    assert code == 0 and re.search(r"previous store is kept as .*pichay\.sqlite3\.reset-\d{8}T\d{6}Z", err), err
    [aside] = [p for p in state.iterdir() if re.fullmatch(r"pichay\.sqlite3\.reset-\d{8}T\d{6}Z", p.name)]
    if kept is not None:
        assert aside.read_bytes() == kept                 # moved, byte for byte, not deleted
    # the fresh store works across a restart
    serve = await start_serve("--upstream", upstream.url, "--state-dir", str(state))
    assert (await serve.stop())[0] == 0


def _without_dac_override() -> list[str]:
    """Run without root's power over mode bits: root writes anywhere, whatever the mode bits say.

    We stay uid 0 (so the interpreter under /root stays reachable) but drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    from the bounding set, which makes the kernel apply the mode bits to us like to any user."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop root's DAC capabilities for this test"
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


async def _run_without_dac_override(*args: str) -> tuple[int, str, str]:
    import asyncio

    proc = await asyncio.create_subprocess_exec(
        *_without_dac_override(), pichay_command(), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "HOME": "/tmp"}, cwd="/")
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
def shared_dir():
    """A directory outside pytest's root-only tmp_path, so only the mode bits under test decide access."""
    d = Path(tempfile.mkdtemp(prefix="pichay-i11-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


async def test_read_only_state_dir_is_refused_at_startup(upstream, shared_dir):
    state = shared_dir / "state"
    state.mkdir(mode=0o555)
    state.chmod(0o555)                                  # read-only once DAC override is dropped
    code, out, err = await _run_without_dac_override("serve", "--port", "0", "--upstream", upstream.url,
                                          "--state-dir", str(state))
    _one_line_error(code, err, str(state), "not writable")
    assert list(state.iterdir()) == []


async def test_unreadable_store_file_is_one_line(upstream, shared_dir):
    state = shared_dir / "state"
    await _store_with_a_session(upstream, state)
    os.chmod(state, 0o777)
    for p in state.iterdir():
        p.chmod(0o000)                                 # unreadable once DAC override is dropped
    code, out, err = await _run_without_dac_override("serve", "--port", "0", "--upstream", upstream.url,
                                          "--state-dir", str(state))
    _one_line_error(code, err, "pichay.sqlite3")
