"""Typed intercept payloads give the same dicts the hold queue pushed before (key order included)."""
from pichay_tui.core import events as ev
from pichay_tui.proxy.intercept import Held
from pichay_tui.proxy.intercept_events import InterceptChanged, RequestDropped, RequestHeld, RequestReleased


def test_held_request_shapes():
    h = Held("h1", "s1", "/v1/messages", 3, 10.0)
    held = h.as_event(RequestHeld, 10.5).to_dict()
    assert list(held.items()) == [("id", "h1"), ("session", "s1"), ("path", "/v1/messages"), ("messages", 3),
                                  ("waiting_s", 0.5)]
    released = h.as_event(RequestReleased, 12.25, "operator", done=True).to_dict()
    assert list(released) == ["id", "session", "path", "messages", "waited_s", "reason"]
    assert released["waited_s"] == 2.25 and released["reason"] == "operator"
    cancelled = h.as_event(RequestDropped, 11.0, "cancelled").to_dict()
    assert list(cancelled) == ["id", "session", "path", "messages", "waiting_s", "reason"]


def test_intercept_kinds_are_typed_through_the_core_table():
    for cls in (RequestHeld, RequestReleased, RequestDropped, InterceptChanged):
        assert cls.KIND in ev.PAYLOADS
    d = {"id": "h2", "session": "new session", "path": "/v1/messages", "messages": 1, "waited_s": 0.1,
         "reason": "timeout"}
    p = ev.Event(RequestReleased.KIND, "", 0, 0.0, d).payload
    assert isinstance(p, RequestReleased) and p.reason == "timeout" and p.to_dict() == d
    assert InterceptChanged(enabled=True).to_dict() == {"enabled": True}
