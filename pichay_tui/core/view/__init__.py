"""The sans-io view model every screen renders: rows, gauges, turn diffs, the filter language."""
