"""A flag typed on the command line wins over config.toml even when its value equals the default (click's parameter
source, not a value comparison); flags not typed take config.toml's [policy] values."""
from __future__ import annotations

import pytest

from pichay_tui.cli import tui as cli_tui
from pichay_tui.cli.main import cli


@pytest.fixture
def config(tmp_path, monkeypatch):
    d = tmp_path / "pichay-tui"
    d.mkdir()
    (d / "config.toml").write_text("[policy]\nage_threshold = 9\nmin_size = 2000\nzones = \"paper\"\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))


def _options(monkeypatch, args):
    seen = {}
    monkeypatch.setattr(cli_tui, "run_tui", lambda opts, agent: seen.setdefault("opts", opts))
    result = cli.main(args=args, prog_name="pichay-tui", obj={"agent": []}, standalone_mode=False)
    assert result is None
    opts = seen["opts"]
    cli_tui._configured(opts)
    return opts


def test_explicit_default_valued_flags_beat_config_toml(config, monkeypatch):
    opts = _options(monkeypatch, ["--age-threshold", "4", "--zones", "default"])
    assert (opts.age_threshold, opts.zones, opts.min_size) == (4, "default", 2000)


def test_untyped_flags_take_config_toml(config, monkeypatch):
    opts = _options(monkeypatch, [])
    assert (opts.age_threshold, opts.zones, opts.min_size) == (9, "paper", 2000)


def test_demo_keeps_an_explicit_port_even_the_default(monkeypatch, tmp_path):
    seen = []
    monkeypatch.setattr(cli_tui, "run_app", lambda app: seen.append(app.host.server.port))
    for args in (["demo", "--port", "8787", "--workdir", str(tmp_path / "w")], ["demo", "--workdir", str(tmp_path / "w")]):
        cli.main(args=args, prog_name="pichay-tui", obj={"agent": []}, standalone_mode=False)
    assert seen == [8787, 0]
