"""Time argon2id hash and verify with the app's production parameters, against OWASP's minimum.

Run: .venv/bin/python -m bench.argon2_bench [--runs 20]

The production parameters are the defaults of casemgr.config.build_config (CASEMGR_ARGON2_*
variables in the environment are ignored here, so the figure is the shipped default). Each
sign-in costs one verify (an unknown username burns the same time), so the verify median is
the CPU a sign-in costs, and its p95 what a user waits at worst on an idle server.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from unittest import mock

from argon2 import PasswordHasher, Type

from casemgr.config import ENV_PREFIX, build_config

PASSWORD = "correct-horse-battery-staple-42"  # benchmark input only


@dataclass(frozen=True)
class Params:
    label: str
    time_cost: int
    memory_kib: int
    parallelism: int

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            type=Type.ID,
        )

    def describe(self) -> str:
        return (
            f"m={self.memory_kib} KiB ({self.memory_kib / 1024:g} MiB), "
            f"t={self.time_cost}, p={self.parallelism}"
        )


# OWASP Password Storage Cheat Sheet: argon2id with at least m=19 MiB, t=2, p=1.
OWASP_MINIMUM = Params("OWASP minimum", time_cost=2, memory_kib=19 * 1024, parallelism=1)


def production_params() -> Params:
    """The argon2 parameters build_config gives when no CASEMGR_ARGON2_* variable is set."""
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX + "ARGON2_")}
    with (
        mock.patch.dict(os.environ, clean_env, clear=True),
        tempfile.TemporaryDirectory() as instance,
    ):
        config = build_config(instance)
    return Params(
        "casemgr default",
        time_cost=config["ARGON2_TIME_COST"],
        memory_kib=config["ARGON2_MEMORY_KIB"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def _time_ms(function: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (all threads of the process) milliseconds of each run."""
    function()  # warm-up: first allocation of the memory block, imports, caches
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def p95(samples: list[float]) -> float:
    """95th percentile, nearest-rank (with 20 runs: the second-slowest)."""
    ordered = sorted(samples)
    rank = max(1, -(-95 * len(ordered) // 100))  # ceil(0.95 n)
    return ordered[rank - 1]


def measure(params: Params, runs: int) -> dict[str, tuple[list[float], list[float]]]:
    hasher = params.hasher()
    stored = hasher.hash(PASSWORD)
    assert hasher.verify(stored, PASSWORD)
    return {
        "hash": _time_ms(lambda: hasher.hash(PASSWORD), runs),
        "verify": _time_ms(lambda: hasher.verify(stored, PASSWORD), runs),
    }


def meets_minimum(params: Params, minimum: Params = OWASP_MINIMUM) -> bool:
    """At least the minimum's memory and passes (parallelism only splits the same work)."""
    return params.memory_kib >= minimum.memory_kib and params.time_cost >= minimum.time_cost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs per operation")
    args = parser.parse_args(argv)

    overridden = sorted(k for k in os.environ if k.startswith(ENV_PREFIX + "ARGON2_"))
    version = importlib.metadata.version("argon2-cffi")
    print(
        f"argon2-cffi {version}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}), {args.runs} runs each after 1 warm-up"
    )
    if overridden:
        print(f"note: {', '.join(overridden)} set in the environment; ignored (defaults timed)")
    production = production_params()
    results = {}
    for params in (production, OWASP_MINIMUM):
        results[params.label] = measure(params, args.runs)
        print(f"\n{params.label}: argon2id {params.describe()}")
        for operation, (samples, cpu) in results[params.label].items():
            print(
                f"  {operation:<6} median {statistics.median(samples):7.1f} ms   "
                f"p95 {p95(samples):7.1f} ms   min {min(samples):7.1f} ms   "
                f"max {max(samples):7.1f} ms   (CPU median {statistics.median(cpu):.1f} ms)"
            )

    ratio = statistics.median(results[production.label]["verify"][0]) / statistics.median(
        results[OWASP_MINIMUM.label]["verify"][0]
    )
    verdict = "meets" if meets_minimum(production) else "is BELOW"
    print(
        f"\ncasemgr default {verdict} the OWASP minimum "
        f"({production.memory_kib / OWASP_MINIMUM.memory_kib:.1f}x the memory, "
        f"{production.time_cost}/{OWASP_MINIMUM.time_cost} passes); "
        f"a verify costs {ratio:.1f}x the minimum's wall time here."
    )
    cpu_s = statistics.median(results[production.label]["verify"][1]) / 1000
    print(
        f"Password checks per second with all {os.cpu_count()} cores busy: at most "
        f"~{(os.cpu_count() or 1) / cpu_s:.0f} (CPU time per verify {cpu_s * 1000:.0f} ms)."
    )
    return 0 if meets_minimum(production) else 1


if __name__ == "__main__":
    raise SystemExit(main())
