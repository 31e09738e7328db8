"""The benchmark suite: `make bench` (SCALE=small|full, DB=sqlite|postgresql|both).

For each database: build (or reuse) the bench province, check it reads back (a sample of
values decrypts through the ORM, the audit chain verifies), serve it with gunicorn as in
production and measure each scenario next to its baseline measured in the same run (the
minimal page of the same server for pages, raw AES-GCM for the crypto path). Writes
bench/results/<time>-<scale>-<db>.json with the machine's description and prints the table of
goals. BENCH_SECONDS sets the length of each wrk run; BENCH_REBUILD=1 rebuilds the province.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import requests
from rich.console import Console

from bench import inprocess
from bench.province import CACHE, Province, load_or_build
from bench.server import Server, csrf_token, latency, session_cookie, sign_in, wrk
from bench.table import markdown
from casemgr import clock

RESULTS = Path(__file__).resolve().parent / "results"
console = Console(soft_wrap=True)


def machine() -> dict:
    """What the figures were measured on, and how busy it was."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    except OSError:
        mem = "0"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem) / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "commit": commit,
        "load_average": os.getloadavg(),
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    }


class Run:
    """One database's run: its scenarios, each with a figure, a goal and a verdict."""

    def __init__(self, province: Province, seconds: int) -> None:
        self.province = province
        self.seconds = seconds
        self.scenarios: list[dict] = []

    def add(self, name: str, figures: dict, goal: str, verdict: bool | None) -> None:
        self.scenarios.append({"name": name, **figures, "goal": goal, "met": verdict})
        mark = {True: "[green]met[/]", False: "[red]missed[/]", None: "-"}[verdict]
        console.print(f"  {name}: {_short(figures)}  goal {goal}: {mark}")


def _short(figures: dict) -> str:
    keys = ("median_ms", "p95_ms", "rps", "ratio", "per_s", "errors")
    return ", ".join(f"{k} {figures[k]}" for k in keys if k in figures)


WARM_SECONDS = 2  # wrk on each page before it is measured
ROUNDS = 3  # interleaved rounds of the minimal page and the pages measured against it


def _median_run(runs: list[dict]) -> dict:
    """The run with the median req/s of an odd number of wrk runs."""
    return sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]


def pages(run: Run, server: Server, targets: dict) -> None:
    """Every page scenario under wrk: throughput (8 connections) and latency (1 connection)."""
    province, base, seconds = run.province, server.base, run.seconds
    worker = sign_in(base, province, targets["worker"])
    lead = sign_in(base, province, targets["lead"])
    auditor = sign_in(base, province, targets["auditor"])

    anonymous = requests.Session()

    def minimal() -> dict:
        return {
            "throughput": wrk(base + "/healthz", seconds=seconds).as_dict(),
            "latency": latency(base, anonymous, paths=["/healthz"], seconds=seconds).as_dict(),
        }

    # Warm up: both workers past their start (imports, the start-up checkpoint), that is 20
    # quick answers in a row (at most 60 s).
    quick, deadline = 0, time.monotonic() + 60
    while quick < 20 and time.monotonic() < deadline:
        began = time.perf_counter()
        anonymous.get(base + "/healthz")
        quick = quick + 1 if time.perf_counter() - began < 0.05 else 0
    before = minimal()

    def post_body(session, path: str, fields: dict) -> str:
        token = csrf_token(session.get(base + path).text)
        return urlencode({"csrf_token": token, **fields})

    name_body = post_body(worker, "/cases/", {"q": targets["name"]})
    id_body = post_body(worker, "/cases/", {"q": targets["national_id"]})
    # Taken after the forms were fetched: the session cookie then carries the CSRF secret.
    sessions = {"worker": worker, "lead": lead, "auditor": auditor}
    cookies = {name: session_cookie(s) for name, s in sessions.items()}
    measured = {}
    scenarios = (
        ("case page", "worker", {"paths": [f"/cases/{i}" for i in targets["case_ids"]]}),
        ("person page", "worker", {"paths": [f"/people/{i}" for i in targets["person_ids"]]}),
        ("caseload", "worker", {"paths": ["/cases/"]}),
        # Not a goal: the floor of any signed-in page (session and user read, header, no
        # audit event), so that each page's share can be read against it too.
        ("signed-in floor (password form)", "worker", {"paths": ["/auth/password"]}),
        ("name search", "worker", {"paths": ["/people/search"], "body": name_body}),
        ("national-ID search", "worker", {"paths": ["/people/search"], "body": id_body}),
        ("supervisor dashboard (province, all cases)", "lead", {"paths": ["/supervision/"]}),
        ("home dashboard (provincial supervisor)", "lead", {"paths": ["/dashboard"]}),
        ("report table (registered, age band x sex)", "lead", {"paths": ["/reports/"]}),
        ("audit search (one user's events)", "auditor",
         {"paths": [f"/audit/events?user={targets['worker']}"]}),
    )  # fmt: skip
    for _key, who, kwargs in scenarios:  # one request each first, as the warm-up
        latency(base, sessions[who], seconds=0, at_least=1, **kwargs)
    # The pages measured against the minimal page: ROUNDS interleaved rounds of all of them,
    # each page's median taken, so that the shared machine's drifts hit them alike.
    rounds: dict[str, list[dict]] = {"/healthz": [], **{key: [] for key, *_ in scenarios[:4]}}
    for _round in range(ROUNDS):
        rounds["/healthz"].append(wrk(base + "/healthz", seconds=seconds).as_dict())
        for key, who, kwargs in scenarios[:4]:
            wrk(base, cookie=cookies[who], seconds=WARM_SECONDS, **kwargs)
            rounds[key].append(wrk(base, cookie=cookies[who], seconds=seconds, **kwargs).as_dict())
    for key, who, kwargs in scenarios:
        if key in rounds:
            throughput = _median_run(rounds[key])
        else:
            # Untimed first: every server thread's connection and caches warm on this page's
            # rows (right after a build, the first page measured ran at half its rate).
            wrk(base, cookie=cookies[who], seconds=WARM_SECONDS, **kwargs)
            throughput = wrk(base, cookie=cookies[who], seconds=seconds, **kwargs).as_dict()
        waited = latency(base, sessions[who], seconds=seconds, **kwargs)
        measured[key] = {"throughput": throughput, "latency": waited.as_dict()}
    after = minimal()
    floor_rps = _median_run(rounds["/healthz"])["rps"]
    run.add(
        "minimal page (/healthz), baseline",
        {
            "rps": round(floor_rps, 1),
            "median_ms": before["latency"]["median_ms"],
            "p95_ms": before["latency"]["p95_ms"],
            "rps_rounds": [r["rps"] for r in rounds["/healthz"]],
            "rps_before": before["throughput"]["rps"],
            "rps_after": after["throughput"]["rps"],
            "latency_after": after["latency"],
            "errors": before["throughput"]["errors"] + after["throughput"]["errors"],
        },
        "baseline",
        None,
    )
    for key, figures in measured.items():
        t, lat = figures["throughput"], figures["latency"]
        row = {
            "rps": t["rps"],
            **({"rps_rounds": [r["rps"] for r in rounds[key]]} if key in rounds else {}),
            "ratio": round(t["rps"] / floor_rps, 3),
            "median_ms": lat["median_ms"],
            "p95_ms": lat["p95_ms"],
            "errors": t["errors"] + lat["errors"],
            "throughput_run": t,
            "latency_run": lat,
        }
        if key in ("case page", "person page", "caseload"):
            run.add(key, row, ">= 15% of the minimal page's req/s", row["ratio"] >= 0.15)
        elif "search" in key and "audit" not in key:
            run.add(key, row, "p95 < 50 ms", lat["p95_ms"] < 50)
        elif key.startswith("supervisor dashboard"):
            run.add(key, row, "< 300 ms (median)", lat["median_ms"] < 300)
        elif key.startswith("report table"):
            run.add(key, row, "< 500 ms (median)", lat["median_ms"] < 500)
        else:
            run.add(key, row, "-", None)


def run_database(scale: str, db: str, seconds: int, rebuild: bool) -> dict:
    console.rule(f"{scale} province on {db}")
    began = time.perf_counter()
    province = load_or_build(scale, db, rebuild=rebuild)
    console.print(
        f"province ready in {time.perf_counter() - began:.1f} s "
        f"({'reused from the cache' if 'reused' in province.build_seconds else 'built'}); "
        f"build phases: {province.build_seconds}"
    )
    run = Run(province, seconds)
    started = machine()
    targets = inprocess.targets(province)
    inprocess.check(province)
    RESULTS.mkdir(exist_ok=True)
    stamp = clock.utcnow().strftime("%Y%m%dT%H%M%SZ")
    log = CACHE / "logs" / f"{stamp}-{scale}-{db}.gunicorn.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with Server(province, log) as server:
        pages(run, server, targets)
    inprocess.scenarios(run, province, targets)
    result = {
        "run": stamp,
        "scale": scale,
        "db": db,
        "machine_before": started,
        "machine_after": machine(),
        "province": {"counts": province.counts, "build_seconds": province.build_seconds},
        "wrk_seconds": seconds,
        "scenarios": run.scenarios,
    }
    path = RESULTS / f"{stamp}-{scale}-{db}.json"
    path.write_text(json.dumps(result, indent=1, default=str) + "\n")
    console.print(f"results: {path.relative_to(RESULTS.parent.parent)}")
    return result


def main() -> int:
    scale = os.environ.get("SCALE", "small")
    dbs = os.environ.get("DB", "both")
    seconds = int(os.environ.get("BENCH_SECONDS", "10" if scale == "full" else "3"))
    rebuild = os.environ.get("BENCH_REBUILD") == "1"
    chosen = ["sqlite", "postgresql"] if dbs == "both" else [dbs]
    results = [run_database(scale, db, seconds, rebuild) for db in chosen]
    print(markdown(results))
    return 0
