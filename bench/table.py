"""`python -m bench.table RESULT.json ...`: the tables of docs/performance.md, in Markdown."""

from __future__ import annotations

import json
import sys
from pathlib import Path

FIGURES = (
    ("median_ms", "median {} ms"),
    ("p95_ms", "p95 {} ms"),
    ("rps", "{} req/s"),
    ("ratio", "{}×"),
    ("per_s", "{:,}/s"),
    ("errors", "{} errors"),
)


def cell(scenario: dict | None) -> str:
    """The figures of one scenario, and whether its goal was met."""
    if scenario is None:
        return ""
    parts = [fmt.format(scenario[key]) for key, fmt in FIGURES if key in scenario]
    if scenario["name"].startswith("person.given_name"):
        parts = [f"{scenario['per_value_us']} µs vs {scenario['raw_aes_gcm_us']} µs", *parts]
    if "per_row_us" in scenario:  # a write with its flush: beside a plain column's, the seal
        plain, seal = scenario["plain_column_set_flush_us"], scenario["row_seal_us"]
        parts = [
            f"{scenario['per_row_us']} µs per row (a plain column's set + flush {plain} µs; "
            f"the row seal {seal} µs)"
        ]
    if scenario["name"].startswith("full provincial"):
        parts = [f"median {scenario['median_ms']:,} ms", f"max {scenario['max_ms']:,} ms"]
    mark = {True: " **met**", False: " **missed**", None: ""}[scenario["met"]]
    return ", ".join(parts) + mark


def markdown(results: list[dict]) -> str:
    """One row per scenario, one column per run (scale / database)."""
    header = [
        "scenario",
        "goal",
        *(f"{r['db']}, {r['scale']}, {r['machine_before']['commit']}" for r in results),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    names = list(dict.fromkeys(s["name"] for r in results for s in r["scenarios"]))
    for name in names:
        found = [next((s for s in r["scenarios"] if s["name"] == name), None) for r in results]
        goal = next(s["goal"] for s in found if s is not None)
        lines.append("| " + " | ".join([name, goal, *(cell(s) for s in found)]) + " |")
    return "\n".join(lines)


def load_markdown(result: dict) -> str:
    """A load test's pages: requests, failures, median and p95 (goal: p95 < 150 ms, 0 errors)."""
    lines = [
        "| page | requests | failures | median ms | p95 ms | req/s |",
        "|---|---|---|---|---|---|",
    ]
    for page in sorted(result["pages"], key=lambda p: (p["page"] == "Aggregated", p["page"])):
        lines.append(
            f"| {page['method']} {page['page']} | {page['requests']} | {page['failures']} | "
            f"{page['median_ms']:,.0f} | {page['p95_ms']:,.0f} | {page['rps']} |"
        )
    return "\n".join(lines)


def main(paths: list[str]) -> int:
    results = [json.loads(Path(path).read_text()) for path in paths]
    runs = [r for r in results if "scenarios" in r]
    if runs:
        print(markdown(runs))
    for result in results:
        if "pages" in result:
            print(f"\nload test {result['run']}: {result['users']} users, {result['seconds']} s\n")
            print(load_markdown(result))
            print(json.dumps(result["post_checks"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
