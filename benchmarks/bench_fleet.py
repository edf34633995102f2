"""A depot day of a fleet through the whole stack: 100 and 1,000 chargers x 24 h.

Each measurement runs `benchmarks/fleet_day.yaml` (a fleet scenario) with the given number of
chargers in a process of its own: the station it expands to (a simulated grid, feeders under a
transformer, per charger a simulated board, an EVSE manager and a car; the energy manager with
the optimiser) on the in-process bus in virtual time, every bus message recorded, meters and
cars at 60 s. It prints the wall and CPU time, the peak memory of that process (its maximum
resident set, from getrusage), the timeline's rows, how many LP solves the energy manager made,
and the site's KPIs (reports.site). Then the optimiser against water-filling on the same fleet
input, twice: planned offline over the day (the LP and water-filling of
charger.energy.optimiser on the cars as the scenario draws them), and, with ``--compare``, run
through the stack with ``policy: water_filling``.

    .venv/bin/python benchmarks/bench_fleet.py                 # 100 and 1,000 chargers
    .venv/bin/python benchmarks/bench_fleet.py --chargers 100 --compare --profile
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "fleet_day.yaml"
GOAL_1000_WALL_S = 60.0  # 1,000 chargers x 24 h, on one core
CARS_PER_FEEDER = 25


def fleet_document(chargers: int, policy: str, hours: float = 24.0):
    """The benchmark scenario's document, scaled to ``chargers``: a 400 A feeder per 25
    chargers, 8 kVA of transformer, 1.5 kW of base load and 3 kW of PV per charger; the first
    ``hours`` of the day."""
    from charger.framework.yamlio import load_yaml

    doc = load_yaml(SCENARIO)
    doc["duration"] = f"{hours:g} h"
    fleet = doc["fleet"]
    fleet["chargers"] = chargers
    fleet["feeders"]["count"] = max(1, chargers // CARS_PER_FEEDER)
    fleet["transformer_kva"] = 8.0 * chargers
    fleet["connection_a"] = 15.0 * chargers
    fleet["energy_manager"]["policy"] = policy
    doc["world"]["grid"]["base_load_kw"] = 1.5 * chargers
    doc["world"]["grid"]["pv_peak_kw"] = 3.0 * chargers
    return doc


def one(chargers: int, policy: str, profile: bool, hours: float) -> dict:
    """One run in this process: its figures as a dict."""
    from evbench.scenario.loader import load_scenario
    from evbench.scenario.runner import ScenarioRun
    from reports.site import site_kpis

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    scenario = load_scenario(SCENARIO, fleet_document(chargers, policy, hours))
    run = ScenarioRun(scenario, max_rows=20_000_000)
    solves = [0]
    run.recorder.watch(lambda row: solves.__setitem__(0, solves[0] + (row.name == "schedule")))
    setup_wall = time.perf_counter() - start_wall
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        result = profiler.runcall(run.run)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        result = run.run()
    run_wall, run_cpu = time.perf_counter() - start_wall, time.process_time() - start_cpu
    kpi_start = time.perf_counter()
    kpis = site_kpis(result.events, result.signals)
    return {"chargers": chargers, "policy": policy, "hours": hours, "setup_wall_s": setup_wall,
            "wall_s": run_wall, "cpu_s": run_cpu, "kpi_s": time.perf_counter() - kpi_start,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "timeline_rows": len(result.events), "signal_rows": len(result.signals),
            "solves": solves[0], "sim_s": result.sim_time_s, "passed": result.passed,
            "kpis": kpis}


def measured(chargers: int, policy: str, hours: float, profile: bool = False) -> dict:
    """``one`` in a fresh process, so that its peak memory is its own."""
    command = [sys.executable, __file__, "--one", str(chargers), "--policy", policy,
               "--hours", str(hours)]
    if profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the run of {chargers} chargers failed:\n{done.stderr}")
    if profile:
        print(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def offline(chargers: int, seed: int = 0) -> None:
    """The optimiser and water-filling on the scenario's own cars, planned over the whole day
    at once (perfect knowledge of arrivals): cost, unmet energy, peak import."""
    import numpy as np
    from bench_optimiser import print_policies  # beside this script

    from charger.energy.flat import FlatTree
    from charger.energy.messages import NodeEntry
    from charger.energy.optimiser import Forecast, Problem
    from evbench.scenario.fleet import population
    from evbench.scenario.loader import load_scenario
    from sim.car.profiles import car_profiles
    from sim.grid.profiles import Tariff, base_load, clear_sky

    scenario = load_scenario(SCENARIO, fleet_document(chargers, "cheapest"))
    fleet = scenario.fleet
    visits = population(fleet, seed, scenario.duration_s, car_profiles())
    period = 900.0
    periods = int(scenario.duration_s // period)
    rated = fleet.transformer_kva * 1000.0 / (3 * 230.0)
    entries = [NodeEntry("transformer", "Transformer", None, 3, "L1", (rated,) * 3)]
    entries += [NodeEntry(f"feeder{k}", "Breaker", "transformer", 3, "L1",
                          (fleet.feeder_limit_a,) * 3) for k in range(1, fleet.feeders + 1)]
    for i in range(1, fleet.chargers + 1):
        feeder = (i - 1) * fleet.feeders // fleet.chargers + 1
        entries.append(NodeEntry(f"evse{i:04d}", "Evse", f"feeder{feeder}", 3, "L1",
                                 (fleet.max_current_a,) * 3, fleet.max_current_a, 6.0))
    tree = FlatTree.from_entries(entries)
    grid = scenario.grid
    hours = grid["start_hour"] + np.arange(periods) * period / 3600.0
    tou = tuple(sorted((float(r["from_hour"]), float(r["price"])) for r in grid["time_of_use"]))
    forecast = Forecast(period, Tariff(tou).prices(hours, None),
                        clear_sky(hours, grid["pv_peak_kw"] * 1000.0),
                        base_load(hours, grid["base_load_kw"] * 1000.0, None),
                        np.full(periods, np.inf))
    by_evse = {f"evse{v.connector:04d}": v for v in visits}
    order = [by_evse.get(u) for u in tree.evses]
    demand = np.array([v.max_current_a if v else 0.0 for v in order])
    arrival = np.array([int(v.arrival_s // period) if v else 0 for v in order])
    departure = np.array([min(periods, int(v.departure_s // period)) if v else 0 for v in order])
    need = np.array([v.need_kwh * 1000.0 if v else 0.0 for v in order])
    phases = np.array([v.phases if v else 3 for v in order])
    problem = Problem(tree, demand, departure, need, forecast, arrival_period=arrival,
                      car_phases=phases)
    print(f"\noffline plan of the same {len(visits)} cars over {periods} periods of "
          f"{period / 60:g} min (whole day at once)")
    print_policies(problem, ("cheapest",))


def show(figures: dict) -> None:
    k = figures["kpis"] or {}
    print(f"{figures['chargers']:>5} chargers x {figures['hours']:g} h {figures['policy']:>13}: "
          f"{figures['wall_s']:7.1f} s wall ({figures['setup_wall_s']:.1f} s of it setting up), "
          f"{figures['cpu_s']:7.1f} s CPU, peak RSS {figures['peak_rss_mb']:7.0f} MB, "
          f"{figures['timeline_rows']:,} timeline rows, {figures['solves']} schedules, "
          f"KPIs in {figures['kpi_s']:.1f} s; {'passed' if figures['passed'] else 'FAILED'}")
    print(f"      cost {k.get('cost')}, unmet {k.get('unmet_energy_kwh')} kWh of "
          f"{k.get('energy_needed_kwh')} kWh ({k.get('cars_unmet')} cars short), peak import "
          f"{k.get('peak_import_kw')} kW, fairness {k.get('fairness')}, limit violations "
          f"{k.get('limit_violations')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chargers", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--policy", default="cheapest")
    parser.add_argument("--compare", action="store_true",
                        help="also run each size through the stack with water-filling")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    parser.add_argument("--hours", type=float, default=24.0,
                        help="simulate the first HOURS of the day (default 24)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.policy, args.profile, args.hours)))
        return
    print(f"{SCENARIO.name}: {args.hours:g} h, meters and cars every 60 s, signals every 5 min; "
          "each run in its own process")
    for chargers in args.chargers:
        figures = measured(chargers, args.policy, args.hours, args.profile)
        show(figures)
        if chargers == 1000 and args.hours == 24:
            print(f"      goal: at most {GOAL_1000_WALL_S:g} s wall on one core for 1,000 "
                  f"chargers x 24 h (measured {figures['wall_s']:.1f} s)")
        if args.compare:
            show(measured(chargers, "water_filling", args.hours))
        offline(chargers)


if __name__ == "__main__":
    main()
