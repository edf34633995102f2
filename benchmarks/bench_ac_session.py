"""How fast the in-process station simulates: a 4-hour AC session with 1 s signal sampling.

Prints the ratio simulated time / wall time (goal: at least 2,000x on one core) over several
runs, then one profiled run grouped by where the time goes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from profiling import time_by_area  # beside this script

from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun

SCENARIO = Path(__file__).with_name("ac_session_4h.yaml")
GOAL = 2000.0
AREAS = (  # first matching path fragment names the area
    ("charger/framework/", "framework (bus, modules, schema checks)"),
    ("charger/", "charger modules"),
    ("evbench/scenario/", "scenario runner"),
    ("sim/", "simulated world (board, car, grid)"),
    ("reports/", "recorder and sampler"),
    ("simpy/", "simpy event loop"),
    ("fastjsonschema", "schema checks (compiled)"),
    ("json/", "JSON encoding of the timeline"),
    ("pandas/", "pandas (building the tables)"),
    ("~", "Python built-ins called from the above (round, isinstance, dict and list methods)"),
)


def run_once() -> tuple[float, float, int]:
    scenario = load_scenario(SCENARIO)
    run = ScenarioRun(scenario)
    start = time.perf_counter()
    result = run.run()
    wall = time.perf_counter() - start
    assert result.passed, [e for e in result.expectations if not e.passed]
    return result.sim_time_s, wall, len(run.recorder.rows)


def where_time_goes() -> list[tuple[str, float]]:
    return time_by_area(run_once, AREAS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()

    run_once()  # warm imports and caches
    walls, sim_s, rows = [], 0.0, 0
    for _ in range(args.runs):
        sim_s, wall, rows = run_once()
        walls.append(wall)
    median = statistics.median(walls)
    ratio = sim_s / median
    print(f"4-hour AC session, 1 s sampling: {sim_s:,.0f} s simulated, {rows:,} timeline rows")
    print(f"  wall time  median {median:.3f} s   best {min(walls):.3f} s   "
          f"({args.runs} runs)")
    print(f"  speed      {ratio:,.0f}x real time (median)   {sim_s / min(walls):,.0f}x (best)")
    print(f"  goal       {GOAL:,.0f}x   -> {ratio / GOAL:.1f}x the goal")
    if not args.no_profile:
        print("where the time goes (one profiled run, share of own time):")
        for area, share in where_time_goes():
            print(f"  {share:6.1%}  {area}")


if __name__ == "__main__":
    main()
