"""Replay mode: the live app and screens, driven by a core ReplayController instead of a proxy.

Modules: `app` (ReplayApp and its policy comparison), `host` (ReplayHost), `screen` (ReplayScreen: the live screen
plus a timeline bar) and `tap` (ReplayBodies: page content). The controller is wrapped as a `Host` (the app's
existing infrastructure slot), so the live key bindings for pause/step/speed drive playback; the timeline marks evictions (e), faults (F) and zone changes (z). Jumping back
restores an engine snapshot: the view model is pointed at the restored engine and rebuilt.

Keys: space play/pause · n or → one frame · ← one frame back · ] / [ next / previous marker · home / end · + / − speed
· P policy comparison for this recording (worker thread). Operator commands (evict, pin, …) are recorded into the
replay at the current frame, so going back and forward recomputes them exactly. The turn diff follows the current frame.
"""
from __future__ import annotations

from .app import REPLAY_BINDINGS, ReplayApp
from .host import ReplayHost
from .screen import ReplayScreen
from .tap import ReplayBodies

__all__ = ["REPLAY_BINDINGS", "ReplayApp", "ReplayBodies", "ReplayHost", "ReplayScreen"]
