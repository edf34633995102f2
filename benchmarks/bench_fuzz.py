"""How much random exploration costs: at least 10,000 generated scenarios, invariants judged.

Runs ``evbench fuzz`` on the shipped stations (by default 10,000 runs split over the 1-, 2- and
4-connector stations) with one worker per core, and prints runs, invariant violations and runs
per second per station and in total. The goal is 0 violations; the speed is what it is on this
machine, printed for comparison between versions.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from evbench.fuzz import fuzz

STATIONS = Path(__file__).resolve().parents[1] / "scenarios" / "stations"
SHARES = (  # station, share of the runs
    ("ac-1-connector.yaml", 0.2),
    ("ac-1-connector-ocpp16.yaml", 0.1),
    ("ac-1-connector-ocpp201.yaml", 0.1),
    ("ac-2-connectors-shared-fuse.yaml", 0.3),
    ("ac-4-connectors-two-fuses.yaml", 0.3),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=Path("out/bench_fuzz"),
                        help="where violating scenarios are written, one folder per station")
    args = parser.parse_args()

    total_runs = total_violations = 0
    total_wall = 0.0
    for station, share in SHARES:
        runs = max(1, round(args.runs * share))
        start = time.perf_counter()
        report = fuzz(STATIONS / station, runs, seed=args.seed,
                      out=args.out / Path(station).stem, jobs=args.jobs)
        wall = time.perf_counter() - start
        total_runs += runs
        total_violations += len(report.violations)
        total_wall += wall
        print(f"{station:36} {report.summary:>36}  {runs / wall:7.1f} runs/s", flush=True)
        for violation in report.violations:
            print(f"    run {violation.index}: {', '.join(violation.failed)} -> "
                  f"{violation.file}", flush=True)
    print(f"{'total':36} {total_runs:>6} runs, {total_violations} invariant violations  "
          f"{total_runs / total_wall:7.1f} runs/s on {args.jobs} worker processes "
          f"(goal: 0 violations)")
    return 1 if total_violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
