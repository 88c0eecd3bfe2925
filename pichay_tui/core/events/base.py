"""The base of typed event payloads: one frozen dataclass per event kind, registered by kind."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


class _Unset:
    """A key the emitter did not send (None is a value some events carry, so it cannot mean 'absent')."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()
def given(value: Any, default: Any = None) -> Any:
    """A payload field, or `default` when the event did not send it (what `data.get(key, default)` gave)."""
    return default if value is UNSET else value


PAYLOADS: dict[str, list[type["EventPayload"]]] = {}    # kind -> payload classes; see payload_of


def register(cls: type["EventPayload"]) -> type["EventPayload"]:
    """Class decorator: make `cls` the payload of its KIND (a MARKER class goes first: it fits only some shapes)."""
    shapes = PAYLOADS.setdefault(cls.KIND, [])
    shapes.insert(0 if cls.MARKER else len(shapes), cls)
    return cls


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPayload:
    """Base of the per-kind payloads; `to_dict()` gives the emitter's keys in its order, without UNSET ones."""

    KIND: ClassVar[str] = ""
    MARKER: ClassVar[str] = ""             # a key only this shape of a shared KIND sends
    RENAMED: ClassVar[Mapping[str, str]] = {}   # field name -> JSON key, for keys that are Python keywords
    extra: Mapping[str, Any] = field(default_factory=dict)   # keys this class does not know (newer recordings)

    def to_dict(self) -> dict[str, Any]:
        out = {self.RENAMED.get(f.name, f.name): getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out = {k: v for k, v in out.items() if v is not UNSET}
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EventPayload":
        """Tolerant: a missing key becomes UNSET, an unknown key is kept in `extra`."""
        keys = _KEYS.get(cls)
        if keys is None:
            keys = _KEYS[cls] = {cls.RENAMED.get(f.name, f.name): f.name for f in fields(cls) if f.name != "extra"}
        args = dict.fromkeys(keys.values(), UNSET)
        extra = {}
        for k, v in d.items():
            if k in keys:
                args[keys[k]] = v
            else:
                extra[k] = v
        return cls(**args, extra=extra)


_KEYS: dict[type, dict[str, str]] = {}       # payload class -> {JSON key: field name}, built on first use


@dataclass(frozen=True, slots=True, kw_only=True)
class Unknown(EventPayload):
    """The payload of a kind no registered class knows; keeps the data as it came."""

    kind: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.data)


def payload_of(kind: str, data: Mapping[str, Any]) -> EventPayload:
    """The typed payload of one event's data."""
    for cls in PAYLOADS.get(kind, ()):
        if not cls.MARKER or cls.MARKER in data:
            return cls.from_dict(data)
    return Unknown(kind=kind, data=dict(data))


