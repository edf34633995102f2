"""A whole simulated DC session through the real modules, in virtual time.

The shipped DC station (scenarios/stations/dc-1-connector.yaml: EVSE manager in DC mode, EvseSlac,
Iso15118Charger, PlcLink, SimDcPowerPath, auth) and an 800 V car (SimCar with SimEvSlac and
Iso15118Ev, hyundai-ioniq5-72): SLAC, SDP and TCP over the simulated power line, V2G setup with
EIM, cable check, pre-charge, MINUTES of CurrentDemand, the car's stop, welding detection,
SessionStop, unplug; every frame and message on the bus and in the timeline.

    python benchmarks/bench_dc_session.py [--minutes 30] [--loop-ms 100] [--profile]

``--loop-ms`` is the car's CurrentDemand loop (the profile's ``hlc.timing.loop_interval_s``,
100 ms for this car): the charger answers within 25 ms and the car gives up after 250 ms, and
real cars send their next request every 100-250 ms. Prints simulated time, CPU time
(``time.process_time``, steadier on a shared machine) and wall time of the run, their ratios
beside the issue's goal (1000x), and where the time goes: the timeline rows by source and name
(each is a bus message the recorder kept), and with --profile the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas  # noqa: E402,F401 - imported by the recorder's frame: a process's cost, not the run's

from evbench.scenario.loader import load_scenario  # noqa: E402
from evbench.scenario.runner import ScenarioRun  # noqa: E402

GOAL_RATIO = 1000.0
SCRIPT = ("sleep 1;iso_wait_slac_matched;iso_start_v2g_session DC;iso_wait_pwr_ready;"
          "sleep {seconds};iso_stop_charging;iso_wait_v2g_session_stopped;unplug")


def scenario_text(minutes: float) -> str:
    return f"""scenario: DC session benchmark
station: {ROOT / 'scenarios' / 'stations' / 'dc-1-connector.yaml'}
duration: {minutes * 60 + 60:g} s
world:
  cars:
    - connector: 1
      profile: hyundai-ioniq5-72
      soc_pct: 10
      script: "{SCRIPT.format(seconds=minutes * 60)}"
steps:
  - at: 3 s
    do: swipe
    token: AABBCCDD
expect:
  - happens: {{var: session_finished, source: secc1.charger, value: "stopped by the car"}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--loop-ms", type=float, default=100.0,
                        help="the car's CurrentDemand loop interval (default: its profile's)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from sim.car.profiles import car_profiles
    # The car's profile with its loop interval set (the loaded table is shared in the process).
    car_profiles()["hyundai-ioniq5-72"]["hlc"].setdefault("timing", {})["loop_interval_s"] = \
        args.loop_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dc_bench.yaml"
        path.write_text(scenario_text(args.minutes), encoding="utf-8")
        profiler = cProfile.Profile() if args.profile else None
        start, cpu_start = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        run = ScenarioRun(load_scenario(path))
        built, cpu_built = time.perf_counter(), time.process_time()
        result = run.run()
        if profiler:
            profiler.disable()
        end, cpu_end = time.perf_counter(), time.process_time()
    wall, cpu = end - start, cpu_end - cpu_start
    run_wall, run_cpu = end - built, cpu_end - cpu_built
    failed = [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]
    print(f"DC session, {args.minutes:g} min of CurrentDemand at {args.loop_ms:g} ms, "
          f"{result.energy_wh.get(1, 0) / 1000:.1f} kWh; "
          f"{'every expectation held' if not failed else 'FAILED: ' + '; '.join(failed)}")
    sim = result.sim_time_s
    print(f"  simulated {sim:8.1f} s; the session (station built): CPU {run_cpu:6.2f} s "
          f"{sim / run_cpu:6.0f}x, wall {run_wall:6.2f} s {sim / run_wall:6.0f}x "
          f"(goal {GOAL_RATIO:.0f}x)")
    print(f"  {'':17s}with loading and building the station: CPU {cpu:6.2f} s "
          f"{sim / cpu:6.0f}x, wall {wall:6.2f} s {sim / wall:6.0f}x")
    events = result.events
    counts = events.groupby(["source", "kind", "name"]).size().sort_values(ascending=False)
    print(f"  {len(events)} timeline rows ({len(events) / wall:,.0f} per wall second); "
          "the largest groups:")
    for (source, kind, name), count in counts.head(12).items():
        print(f"    {count:8d}  {source} {kind} {name}")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
