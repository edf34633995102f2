"""SLAC in virtual time: cars plugged in together on 1, 2 and 4 connectors (crosstalk between
neighbours), matched by EvseSlac and SimEvSlac over the simulated PLC link. Prints the simulated
time to the last match, the wall time, their ratio, and the share of wall time spent in scapy
(building and parsing frames, measured in a second, profiled run), next to the standard's
budget for one matching run.

    .venv/bin/python benchmarks/bench_slac.py
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

import simpy
import yaml

from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from charger.slac.timing import SLAC
from reports.recorder import Recorder

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.slac.conftest import slac_station_doc  # noqa: E402


def run(connectors: int, registry: ModuleRegistry, folder: Path) -> tuple[float, float, int]:
    path = folder / f"slac-{connectors}.yaml"
    path.write_text(yaml.safe_dump(slac_station_doc(connectors, {"crosstalk_db": 15})))
    env = simpy.Environment()
    bus = InProcessBus(env)
    recorder = Recorder(env)
    recorder.attach(bus)
    Station(load_station(path, registry), registry, bus).start()
    started = time.perf_counter()
    for n in range(1, connectors + 1):
        env.run(until=bus.call("bench", f"evse{n}", "main", "enter_bcd", {}))
        env.run(until=bus.call("bench", f"car{n}", "main", "trigger_matching", {}))
    env.run(until=6.0)
    wall = time.perf_counter() - started
    matched = [r.t for r in recorder.rows if r.kind == "var" and r.name == "state"
               and r.value == "MATCHED" and r.source.startswith("car")]
    assert len(matched) == connectors, "not every car matched"
    frames = sum(1 for r in recorder.rows if r.kind == "var" and r.name == "received")
    return max(matched), wall, frames


def main() -> None:
    registry = ModuleRegistry(SchemaRegistry())
    budget = SLAC["TT_EV_atten_results"].value + 2 * SLAC["TT_match_response"].value
    with tempfile.TemporaryDirectory() as folder:
        run(1, registry, Path(folder))  # imports, caches
        print(f"{'connectors':>10} {'matched at (sim s)':>19} {'wall s':>8} {'sim/wall':>9} "
              f"{'frames received':>16} {'in scapy':>12}")
        for connectors in (1, 2, 4):
            matched, wall, frames = run(connectors, registry, Path(folder))
            profiler = cProfile.Profile()
            profiler.enable()
            run(connectors, registry, Path(folder))
            profiler.disable()
            stats = pstats.Stats(profiler).stats
            codec = sum(v[3] for k, v in stats.items()
                        if k[0].endswith("slac/frames.py") and k[2] in ("_parse", "build_frame"))
            total = sum(v[3] for k, v in stats.items() if k[2] == "run" and "simpy" in k[0])
            print(f"{connectors:>10} {matched:>19.3f} {wall:>8.2f} {6.0 / wall:>8.1f}x "
                  f"{frames:>16} {codec / total:>11.0%}")
    print(f"standard's budget for one run (TT_EV_atten_results + two responses): "
          f"{budget:.1f} s simulated")


if __name__ == "__main__":
    main()
