"""Turning client request bodies into pages: identity, incremental ingest, off-loop precompute."""
