"""settings.resolve, one test per precedence pair: typed (command line / environment) > config.toml [policy] > default,
for options parsed from a command line and for options built in code."""
from __future__ import annotations

from pichay_tui.settings import ProxyOptions, from_flags, resolve, source_of

POLICY = {"age_threshold": 9, "min_size": 2000, "zones": "paper"}


def _parsed(values: dict, typed: set[str]) -> ProxyOptions:
    """Options as `build_options` makes them: every flag has a value, `typed` were given by the user."""
    flags = {"age_threshold": 4, "min_size": 500, "zones": "default", "port": 8787, "host": None, **values}
    sources = {k: ("COMMANDLINE" if k in typed else "DEFAULT") for k in flags}
    return from_flags(flags, sources)


def test_typed_beats_config_even_at_the_default_value():
    opts = resolve(_parsed({"age_threshold": 4}, {"age_threshold"}), POLICY)
    assert opts.age_threshold == 4 and opts.min_size == 2000


def test_environment_counts_as_typed():
    flags = {"age_threshold": 6, "zones": "default"}
    opts = resolve(from_flags(flags, {"age_threshold": "ENVIRONMENT", "zones": "DEFAULT"}), POLICY)
    assert (opts.age_threshold, opts.zones) == (6, "paper")


def test_typed_beats_default():
    opts = resolve(_parsed({"min_size": 800}, {"min_size"}), {})
    assert opts.min_size == 800 and source_of(opts, "min_size", {}) == "typed"


def test_config_beats_default():
    opts = _parsed({}, set())
    assert source_of(opts, "zones", POLICY) == "config.toml"
    assert resolve(opts, POLICY).zones == "paper"


def test_default_when_neither_typed_nor_configured():
    opts = resolve(_parsed({}, set()), POLICY)
    assert (opts.policy, source_of(opts, "policy", POLICY)) == ("fifo", "default")


def test_built_in_code_a_changed_value_beats_config_and_a_default_one_does_not():
    opts = resolve(ProxyOptions(age_threshold=7, min_size=500), POLICY)
    assert (opts.age_threshold, opts.min_size) == (7, 2000)


def test_host_flag_sets_host_explicit():
    assert from_flags({"host": "0.0.0.0"}, None).host_explicit
    opts = from_flags({"host": None}, None)
    assert (opts.host, opts.host_explicit) == ("127.0.0.1", False)


def test_keys_outside_policy_are_ignored():
    opts = resolve(_parsed({}, set()), {"port": 1, "upstream": "http://x"})
    assert (opts.port, opts.upstream) == (8787, "https://api.anthropic.com")
