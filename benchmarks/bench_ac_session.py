"""How fast the in-process station simulates: a 4-hour AC session with 1 s signal sampling.

The same session three ways, side by side in one run, rounds alternating: the car's physics
ticking every second (``physics: ticks``, the former model), on events with the board's meter
publishing every second (the default), and on events with the meter every 60 s (a fleet
scenario's choice). Prints simulated time / CPU time (``time.process_time``, steadier than wall
time on a shared machine) and / wall time, the timeline rows and what they are, then one
profiled run of each events variant grouped by where the time goes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from profiling import time_by_area  # beside this script

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun

SCENARIO = Path(__file__).with_name("ac_session_4h.yaml")
GOAL = 100_000.0
VARIANTS = {  # label: (car physics, board meter interval in s)
    "ticks, meter 1 s": ("ticks", 1.0),
    "events, meter 1 s": ("events", 1.0),
    "events, meter 60 s": ("events", 60.0),
}
# One registry for every run, as a sweep or a fleet uses it: its schema checks are compiled once
# per process (about 0.1-0.2 s, on the first run), not once per run.
REGISTRY = ModuleRegistry(SchemaRegistry())
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


def variant_file(folder: Path, physics: str, meter_s: float) -> Path:
    """The benchmark scenario with the car's physics and the meter interval set."""
    doc = yaml.safe_load(SCENARIO.read_text(encoding="utf-8"))
    doc["station"] = str((SCENARIO.parent / doc["station"]).resolve())
    for car in doc["world"]["cars"]:
        car["physics"] = physics
    doc["module_config"] = {"board1": {"meter_interval_s": meter_s}}
    path = folder / f"{physics}-{meter_s:g}.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def run_once(path: Path) -> tuple[float, float, float, ScenarioRun]:
    """(simulated s, CPU s, wall s, the run) of one run, the report's samples rendered and
    the expectations judged; building the station (loading schemas and manifests) is not
    timed."""
    run = ScenarioRun(load_scenario(path), registry=REGISTRY)
    cpu, wall = time.process_time(), time.perf_counter()
    result = run.run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert result.passed, [e for e in result.expectations if not e.passed]
    assert len(result.signals) >= result.sim_time_s  # the 1 s samples are all there
    return result.sim_time_s, cpu, wall, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        files = {label: variant_file(Path(tmp), *v) for label, v in VARIANTS.items()}
        for path in files.values():
            run_once(path)  # warm imports and caches
        cpus: dict[str, list[float]] = {label: [] for label in files}
        walls: dict[str, list[float]] = {label: [] for label in files}
        last: dict[str, ScenarioRun] = {}
        sim_s = 0.0
        for _ in range(args.runs):
            for label, path in files.items():  # alternating, so load hits all alike
                sim_s, cpu, wall, last[label] = run_once(path)
                cpus[label].append(cpu)
                walls[label].append(wall)
        print(f"4-hour AC session, 1 s report sampling: {sim_s:,.0f} s simulated, "
              f"{args.runs} runs each, alternating; goal {GOAL:,.0f}x")
        print(f"  {'variant':<20} {'CPU s':>7} {'x real (CPU)':>13} {'x real (wall)':>14} "
              f"{'rows':>7} {'samples':>8}   vs goal")
        for label in files:
            cpu = statistics.median(cpus[label])
            wall = statistics.median(walls[label])
            run = last[label]
            print(f"  {label:<20} {cpu:7.3f} {sim_s / cpu:13,.0f} {sim_s / wall:14,.0f} "
                  f"{len(run.recorder.rows):7,} {run.sampler.row_count:8,}   "
                  f"{sim_s / cpu / GOAL:.2f}x")
        print("timeline rows, largest groups (source kind name):")
        for label in files:
            groups = Counter((r.source, r.kind, r.name) for r in last[label].recorder.rows)
            top = ", ".join(f"{' '.join(k)} {n:,}" for k, n in groups.most_common(4))
            print(f"  {label:<20} {top}")
        if not args.no_profile:
            for label in ("events, meter 1 s", "events, meter 60 s"):
                print(f"where the time goes, {label} (one profiled run, share of own time):")
                run = ScenarioRun(load_scenario(files[label]), registry=REGISTRY)
                for area, share in time_by_area(run.run, AREAS):
                    print(f"  {share:6.1%}  {area}")


if __name__ == "__main__":
    main()
