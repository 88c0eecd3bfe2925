"""The live TUI shows what the session has cost so far: the demo's scripted upstream reports usage, so the gauge's
spend is the observed bill (no "est."), beside the estimated saving against no pager; the same figure the core
SpendMeter computes."""
from helpers import wait_until

from pichay_tui.cli.options import ProxyOptions
from pichay_tui.cli.tui import build_app
from pichay_tui.core.lab.prices import PRICES
from pichay_tui.ui.config import UIConfig
from pichay_tui.ui.widgets.gauge import MemoryGauge


async def test_live_gauge_shows_observed_spend_and_saving(tmp_path):
    app = build_app(ProxyOptions(port=0), demo_dir=str(tmp_path / "work"), pace=0.0, scripts=("coding",),
                    cfg=UIConfig())
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.host.script == "finished", app=app, timeout=120)
        await pilot.pause()
        sid = app.vm.selected
        s = app.vm.spend.sessions[sid]
        assert s.observed_requests == s.requests > 0
        # spend so far is the reported usage priced by the table (the scripted model uses the default row)
        assert s.usd_observed > 0 and abs(s.spend - s.usd_observed) < 1e-12
        assert PRICES["default"].input == 3
        g = app.vm.gauge()
        assert g.spend_observed and g.spend_usd == s.spend and g.saving_usd == s.saving
        app.refresh_view(force=True)
        await pilot.pause()
        text = app.screen.query_one(MemoryGauge).render().plain
        assert f"spend ${s.spend:,.2f}" in text and "vs no pager" in text
        assert "est." in text                         # the saving is a model estimate, and says so
