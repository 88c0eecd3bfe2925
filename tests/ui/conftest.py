import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _hermetic_config(tmp_path, monkeypatch):
    """No user config.toml leaks into tests; text cursors do not blink."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "cursor_blink", False, raising=False)
    monkeypatch.setattr(TextArea, "cursor_blink", False, raising=False)
