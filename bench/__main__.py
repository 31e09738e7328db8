"""`python -m bench` (and `make bench`): the benchmark suite (bench/suite.py)."""

from bench.suite import main

# Guarded: processes spawned by the suite (parallel audit verification) import this module.
if __name__ == "__main__":
    raise SystemExit(main())
