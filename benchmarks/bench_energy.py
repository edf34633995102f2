"""The energy tree's traffic before and after the flat, delta-only protocol, side by side.

Before (the commit named by --before, default the last one with the nested protocol): every
node republished its whole subtree on every change and the manager broadcast every limit to
every node and EVSE. After: a node publishes its aggregate and the entries that changed, and only
changed limits travel down, each only towards its own EVSE.

The same generated station (a grid connection, fuses, N connectors with cars plugging in and out)
runs on both source trees, each in its own process; the script prints per tree: energy-tree
messages (requests up, enforce_limits calls down) and their JSON bytes, all timeline rows, wall
time, and the verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "75a3c09"  # the last commit with the nested energy_flow_request and broadcast limits

MEASURE = r"""
import json, sys, time
import charger
from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun
run = ScenarioRun(load_scenario(sys.argv[1]))
start = time.perf_counter()
result = run.run()
wall = time.perf_counter() - start
rows = run.recorder.rows
up = [r for r in rows if r.kind == "var" and r.name == "energy_flow_request"]
down = [r for r in rows if r.kind == "cmd" and r.name.endswith(".enforce_limits")]
print(json.dumps({"source": charger.__file__, "wall_s": wall, "sim_s": result.sim_time_s,
                  "rows": len(rows), "up": len(up), "up_bytes": sum(len(r.text) for r in up),
                  "down": len(down), "down_bytes": sum(len(r.text) for r in down),
                  "passed": result.passed,
                  "failed": [e.name for e in result.expectations if not e.passed]}))
"""


ALLOCATE = r"""
import json, sys, time
from charger.energy.allocation import allocate
n, fuses, per_evse = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
evse = lambda i: {"uuid": f"e{i}", "node_type": "Evse", "max_current_a": 32.0,
                  "min_current_a": 6.0, "phases": 3, "demand_a": 32.0 * (i % 5 != 0),
                  "children": []}
per = n // fuses
root = {"uuid": "grid", "node_type": "Grid", "max_current_a": 40.0 * n, "phases": 3,
        "demand_a": 0.0, "children": [
            {"uuid": f"f{f}", "node_type": "Fuse", "max_current_a": per_evse * per,
             "phases": 3,
             "demand_a": 0.0, "children": [evse(f * per + i) for i in range(per)]}
            for f in range(fuses)]}
timings = {}
start = time.perf_counter(); allocate(root); timings["nested tree"] = time.perf_counter() - start
try:
    import numpy as np
    from charger.energy.allocation import entries_of
    from charger.energy.flat import FlatTree, share
    entries = entries_of(root)
    tree = FlatTree.from_entries(entries)
    demand = np.array([e.demand_a for e in entries if e.is_evse])
    start = time.perf_counter(); share(tree, demand)
    timings["flat table"] = time.perf_counter() - start
except ImportError:
    pass
print(json.dumps(timings))
"""


def station(connectors: int, fuses: int) -> dict:
    modules: dict = {"grid": {"module": "SimGrid", "config": {"max_current_a": 400}},
                     "rfid": {"module": "SimRfidReader"},
                     "allow_list": {"module": "LocalAllowList", "config": {"tokens": ["AA"]}}}
    evses = []
    for c in range(1, connectors + 1):
        modules[f"board{c}"] = {"module": "SimBoard", "config": {"meter_id": f"m{c}"},
                                "connections": {"grid": "grid.supply"}}
        modules[f"evse{c}"] = {"module": "EvseManager",
                               "config": {"connector_id": c, "max_current_a": 32,
                                          "energy_managed": True},
                               "connections": {"board": f"board{c}.board",
                                               "rcd": f"board{c}.rcd", "lock": f"board{c}.lock",
                                               "powermeter": f"board{c}.meter"}}
        evses.append(f"evse{c}")
    modules["auth"] = {"module": "Auth", "config": {"free_charging": True},
                       "connections": {"token_provider": "rfid.tokens",
                                       "token_validator": "allow_list", "evse_manager": evses}}
    per_fuse = -(-connectors // fuses)
    for f in range(fuses):
        children = [f"{e}.energy" for e in evses[f * per_fuse:(f + 1) * per_fuse]]
        modules[f"fuse{f}"] = {"module": "EnergyNode",
                               "config": {"node_type": "Fuse", "fuse_limit_a": 100},
                               "connections": {"children": children}}
    modules["grid_connection"] = {
        "module": "EnergyNode", "config": {"node_type": "Grid", "fuse_limit_a": 250},
        "connections": {"children": [f"fuse{f}.energy" for f in range(fuses)],
                        "supply": "grid.supply"}}
    modules["energy_manager"] = {"module": "EnergyManager",
                                 "connections": {"root": "grid_connection"}}
    return {"description": "generated for bench_energy", "active_modules": modules}


def scenario(connectors: int, station_file: Path) -> dict:
    steps = [{"at": f"{5 + 10 * c} s", "do": "plug_in", "connector": c}
             for c in range(1, connectors + 1)]
    steps += [{"at": f"{1200 + 10 * c} s", "do": "unplug", "connector": c}
              for c in range(1, connectors + 1, 2)]
    return {"scenario": f"{connectors} connectors sharing fuses", "station": str(station_file),
            "duration": "40 min",
            "world": {"cars": [{"connector": c, "profile": "sedan-3ph-11kw", "soc_pct": 20}
                               for c in range(1, connectors + 1)]},
            "steps": steps,
            "expect": [{"name": "some energy", "energy_wh": {"min": 1}, "connector": 2}]}


def measure(source: Path, scenario_file: Path) -> dict:
    result = _python(source, MEASURE, str(scenario_file))
    assert Path(result["source"]).resolve().is_relative_to(source.resolve()), result["source"]
    return result


def _python(source: Path, code: str, *argv: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run([sys.executable, "-c", code, *argv], cwd=source,
                          env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"run in {source} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connectors", type=int, nargs="+", default=[8, 32, 96])
    parser.add_argument("--fuses", type=int, default=4)
    parser.add_argument("--before", default=BEFORE, help="git revision of the old protocol")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        old.mkdir()
        archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        print(f"{'connectors':>10} {'tree':>6} {'up msgs':>8} {'up kB':>9} {'down msgs':>9} "
              f"{'down kB':>9} {'rows':>8} {'wall s':>7}  verdict")
        for n in args.connectors:
            station_file = Path(tmp) / f"station-{n}.yaml"
            station_file.write_text(yaml.safe_dump(station(n, args.fuses)), encoding="utf-8")
            scenario_file = Path(tmp) / f"scenario-{n}.yaml"
            scenario_file.write_text(yaml.safe_dump(scenario(n, station_file)), encoding="utf-8")
            for label, source in (("before", old), ("after", ROOT)):
                r = measure(source, scenario_file)
                verdict = "passed" if r["passed"] else f"FAILED {r['failed']}"
                print(f"{n:>10} {label:>6} {r['up']:>8} {r['up_bytes'] / 1000:>9.1f} "
                      f"{r['down']:>9} {r['down_bytes'] / 1000:>9.1f} {r['rows']:>8} "
                      f"{r['wall_s']:>7.2f}  {verdict}")
        for per_evse, what in (("20", "ample"), ("3", "tight: most EVSEs must get 0")):
            print(f"\none allocation of a 1,000-EVSE tree, 20 fuses, {per_evse} A per EVSE "
                  f"({what}), seconds:")
            for label, source in (("before", old), ("after", ROOT)):
                timings = _python(source, ALLOCATE, "1000", "20", per_evse)
                print(f"  {label:>6}: " + ", ".join(f"{k} {v:.4f}" for k, v in timings.items()))


if __name__ == "__main__":
    main()
