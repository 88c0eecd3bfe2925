"""Persistent storage (I/O lives here, outside the sans-io core)."""
