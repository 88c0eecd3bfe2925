"""Scripted upstream (a deterministic fake Anthropic Messages API) and a simulated Claude-Code-like agent."""
