"""Benchmarks and timing scripts for casemgr (run with `python -m bench` or a module of it)."""
