"""`python -m bench` (and `make bench`): run the benchmarks."""

from bench.argon2_bench import main

raise SystemExit(main())
