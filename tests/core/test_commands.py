"""Named operator commands: validated when issued, applied at the next request, clear errors otherwise."""
from __future__ import annotations

import pytest

from pichay_tui.core.commands.registry import COMMANDS
from pichay_tui.core.errors import CommandError

from .helpers import Conversation, engine, tool_result_texts


def setup(n=3):
    eng, conv = engine(), Conversation()
    for i in range(n):
        conv.read(f"/f{i}.py")
        r = eng.handle_request(conv.body(), {})
    return eng, conv, r.session_id


def page_id(eng, sid, address):
    return next(p.id for p in eng.sessions[sid].pages.values() if p.address == address and p.kind.value == "tool_result")


def test_evict_is_pending_until_next_request_then_applied():
    eng, conv, sid = setup()
    pid = page_id(eng, sid, "/f0.py")
    res = eng.command("page.evict", session=sid, page=pid)
    assert res["ok"] and res["queued"]
    assert eng.session_state(eng.sessions[sid])["pages"][[p["id"] for p in
                                                          eng.session_state(eng.sessions[sid])["pages"]].index(pid)]["pending"] == "page.evict"
    assert eng.sessions[sid].pages[pid].state.value == "resident"
    conv.bash("ls", lines=1)
    r = eng.handle_request(conv.body(), {})
    assert eng.sessions[sid].pages[pid].state.value == "evicted"
    assert tool_result_texts(r.outbound)[0].startswith("[Paged out")
    assert any(e.kind == "command_applied" and e.data["ok"] for e in r.events)


def test_pin_protects_from_policy_and_unpin_releases():
    eng, conv, sid = setup()
    pid = page_id(eng, sid, "/f0.py")
    eng.command("page.pin", session=sid, page=pid)
    for i in range(5):
        conv.bash(f"x{i}", lines=1)
        eng.handle_request(conv.body(), {})
    p = eng.sessions[sid].pages[pid]
    assert p.state.value == "pinned" and p.pin_reason.value == "operator"
    with pytest.raises(CommandError, match="already pinned"):
        eng.command("page.pin", session=sid, page=pid)
    eng.command("page.unpin", session=sid, page=pid)
    conv.bash("y", lines=1)
    eng.handle_request(conv.body(), {})
    assert p.state.value == "evicted"


def test_restore_brings_content_back_and_policy_waits_tau_again():
    eng, conv, sid = setup(6)
    pid = page_id(eng, sid, "/f0.py")
    assert eng.sessions[sid].pages[pid].state.value == "evicted"
    eng.command("page.restore", session=sid, page=pid)
    conv.bash("ls", lines=1)
    r = eng.handle_request(conv.body(), {})
    assert tool_result_texts(r.outbound)[0].startswith("1\t")
    for i in range(3):
        conv.bash(f"x{i}", lines=1)
        eng.handle_request(conv.body(), {})
    assert eng.sessions[sid].pages[pid].state.value == "resident"


def test_compact_evicts_everything_eligible_but_last_turn_and_pins():
    eng, conv, sid = setup(3)
    pinned = page_id(eng, sid, "/f1.py")
    eng.command("page.pin", session=sid, page=pinned)
    eng.command("session.compact", session=sid)
    conv.read("/last.py")
    eng.handle_request(conv.body(), {})
    states = {p.address: p.state.value for p in eng.sessions[sid].pages.values() if p.kind.value == "tool_result"}
    assert states == {"/f0.py": "evicted", "/f1.py": "pinned", "/f2.py": "evicted", "/last.py": "resident"}


@pytest.mark.parametrize("name,args,status,match", [
    ("page.evict", {"page": "pnope"}, 404, "unknown page"),
    ("page.bogus", {}, 404, "unknown command"),
    ("page.unpin", {"page": None}, 400, "missing argument"),
])
def test_errors_are_clear(name, args, status, match):
    eng, conv, sid = setup()
    with pytest.raises(CommandError, match=match) as ei:
        eng.command(name, session=sid, **{k: v for k, v in args.items()}) if args.get("page", 1) is not None \
            else eng.command(name, session=sid)
    assert ei.value.status == status


def test_not_evictable_reasons():
    eng, conv, sid = setup()
    last = page_id(eng, sid, "/f2.py")
    with pytest.raises(CommandError, match="last user turn"):
        eng.command("page.evict", session=sid, page=last)
    tool_use = next(p.id for p in eng.sessions[sid].pages.values() if p.kind.value == "tool_use")
    with pytest.raises(CommandError, match="only tool results"):
        eng.command("page.evict", session=sid, page=tool_use)
    with pytest.raises(CommandError, match="unknown session"):
        eng.command("page.evict", session="snope", page=last)


def test_every_command_has_help_and_args():
    for name, spec in COMMANDS.items():
        assert spec.name == name and spec.help and "session" in spec.args
