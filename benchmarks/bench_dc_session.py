"""A whole simulated DC session through the real modules, in virtual time.

The shipped DC station (scenarios/stations/dc-1-connector.yaml: EVSE manager in DC mode, EvseSlac,
Iso15118Charger, PlcLink, SimDcPowerPath, auth) and an 800 V car (SimCar with SimEvSlac and
Iso15118Ev, hyundai-ioniq5-72): SLAC, SDP and TCP over the simulated power line, V2G setup with
EIM, cable check, pre-charge, MINUTES of CurrentDemand at the car's 100 ms loop, the car's stop,
welding detection, SessionStop, unplug; every frame and message on the bus and in the timeline.

    python benchmarks/bench_dc_session.py [--minutes 30] [--profile]

Prints simulated and wall time and their ratio beside the issue's goal (1000x), and where the
time goes: the timeline rows by source and name (each is a bus message the recorder kept), and
with --profile the top functions.
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

from evbench.scenario import run_scenario  # noqa: E402

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
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dc_bench.yaml"
        path.write_text(scenario_text(args.minutes), encoding="utf-8")
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = run_scenario(path)
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - start
    failed = [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]
    print(f"DC session, {args.minutes:g} min of CurrentDemand at 100 ms, "
          f"{result.energy_wh.get(1, 0) / 1000:.1f} kWh; "
          f"{'every expectation held' if not failed else 'FAILED: ' + '; '.join(failed)}")
    print(f"  simulated {result.sim_time_s:8.1f} s   wall {wall:7.2f} s   "
          f"ratio {result.sim_time_s / wall:6.0f}x   (goal {GOAL_RATIO:.0f}x)")
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
