"""How fast the simulated DC hardware runs: 30 minutes of DC charging of an 800 V car.

The station is the DC power path (SimDcPowerPath) with a car (SimCar, hyundai-ioniq5-72) on its
inlet, on the in-process bus. A driver plays the EVSE manager's part through the bus: cable
check at the standard's voltage, pre-charge to the battery, then the current-demand loop at
10 Hz (the car's request sent to the supply) for 30 minutes. No high-level communication: this is
the hardware's share of a full DC session. Prints the ratio simulated time / wall time and where
the wall time goes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
import time
from collections.abc import Generator
from pathlib import Path

import simpy
from profiling import time_by_area  # beside this script

from charger.dc_rules import cable_check_voltage
from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from reports.recorder import Recorder

GOAL = 1000.0  # the goal for a whole DC session, HLC included
LOOP_S = 0.1
CHARGE_S = 30 * 60.0
STATION = textwrap.dedent("""\
    active_modules:
      grid: {module: SimGrid}
      board1: {module: SimBoard, connections: {grid: grid.supply}}
      dc1:
        module: SimDcPowerPath
        config: {max_power_w: 350000, max_current_a: 500}
      car:
        module: SimCar
        config: {profile: hyundai-ioniq5-72, soc_pct: 10}
        connections: {ev_board: board1.ev_board, ev_dc: dc1.ev_dc}
    """)
AREAS = (
    ("sim/hal/dc", "DC hardware (model and module)"),
    ("sim/car/", "car (battery, DC model)"),
    ("charger/framework/", "framework (bus, modules, schema checks)"),
    ("sim/", "other simulated world"),
    ("reports/", "recorder"),
    ("simpy/", "simpy event loop"),
    ("fastjsonschema", "schema checks (compiled)"),
    ("json/", "JSON encoding of the timeline"),
    ("~", "Python built-ins"),
)


def run_once(registry: ModuleRegistry, station_file: Path) -> tuple[float, float, int, float]:
    env = simpy.Environment()
    bus = InProcessBus(env)
    recorder = Recorder(env)
    recorder.attach(bus)
    station = Station(load_station(station_file, registry), registry, bus)
    station.start()
    car = station.modules["car"]

    def call(impl: str, cmd: str, **args: object) -> simpy.Event:
        return bus.call("driver", "dc1", impl, cmd, args)

    def driver() -> Generator:
        yield env.timeout(1.0)
        yield call("contactors", "set_closed", value=True)
        check_v = cable_check_voltage(car.dc.max_voltage_v, 1000.0)
        yield call("power_supply", "set_export_voltage_current", voltage_v=check_v, current_a=2.0)
        yield call("power_supply", "set_mode", mode="Export", phase="CableCheck")
        yield env.timeout(3.0)
        ocv = car.dc.pack.open_circuit_voltage(car.soc)
        yield call("power_supply", "set_export_voltage_current", voltage_v=ocv, current_a=2.0)
        yield env.timeout(1.0)
        assert car.set_dc_contactors(True)
        end = env.now + CHARGE_S
        while env.now < end:
            voltage, current = car.dc_request()
            yield call("power_supply", "set_export_voltage_current", voltage_v=voltage,
                       current_a=current)
            yield env.timeout(LOOP_S)

    done = env.process(driver())
    start = time.perf_counter()
    env.run(until=done)
    wall = time.perf_counter() - start
    return env.now, wall, len(recorder.rows), car.soc


def where_time_goes(registry: ModuleRegistry, station_file: Path) -> list[tuple[str, float]]:
    return time_by_area(lambda: run_once(registry, station_file), AREAS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    registry = ModuleRegistry(SchemaRegistry())
    with tempfile.TemporaryDirectory() as folder:
        station_file = Path(folder) / "station.yaml"
        station_file.write_text(STATION, encoding="utf-8")
        walls, sim_s, rows, soc = [], 0.0, 0, 0.0
        for _ in range(args.runs):
            sim_s, wall, rows, soc = run_once(registry, station_file)
            walls.append(wall)
        median = statistics.median(walls)
        print(f"30 min DC charging, 10 Hz current demand: {sim_s:,.0f} s simulated, "
              f"{rows:,} timeline rows, SoC 10 % -> {soc:.1f} %")
        print(f"  wall time  median {median:.3f} s   best {min(walls):.3f} s   ({args.runs} runs)")
        print(f"  speed      {sim_s / median:,.0f}x real time (median)   "
              f"{sim_s / min(walls):,.0f}x (best)")
        print(f"  goal       {GOAL:,.0f}x for a whole DC session (HLC included): the hardware "
              f"alone is {sim_s / median / GOAL:.1f}x it")
        if not args.no_profile:
            print("where the time goes (one profiled run, share of own time):")
            for area, share in where_time_goes(registry, station_file):
                print(f"  {share:6.1%}  {area}")


if __name__ == "__main__":
    main()
