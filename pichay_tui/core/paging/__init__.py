"""Paging decisions (faults, pins, sweeps, policies) and the outbound view they produce."""
