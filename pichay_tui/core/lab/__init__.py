"""Offline analysis: cache cost model, prices, bounds, policy comparison, synthetic sessions."""
