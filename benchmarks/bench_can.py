"""Command-to-readback latency of the CAN path, InfyPower and Winline side by side.

The power-supply backend runs in this process on the wall clock; the emulated modules (two per
vendor) run in another process (the rig's emulator) behind slcan on socat pty pairs, as a USB
slcan adapter and its bus would. Measured with the wall clock, per vendor:

- setpoint: ``set_export_voltage_current`` through the bus until every module has acknowledged
  it (InfyPower: one frame per module; Winline: two registers per module);
- read: one read request through the device layer until the module's reply is back.

    .venv/bin/python benchmarks/bench_can.py [--commands 300]

On a machine shared with other work, the p99 mostly measures the other work.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VENDORS = {"infypower_modules": "InfyPowerSupply", "winline_modules": "WinlinePowerSupply"}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.99) - 1)]


def measure(commands: int) -> dict[str, dict[str, list[float]]]:
    from charger.framework.config import load_station
    from charger.framework.inproc import InProcessBus
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry
    from charger.framework.station import Station
    from charger.framework.wallclock import WallClockEnvironment

    tmp = Path(tempfile.mkdtemp(prefix="bench-can-"))
    parts = "".join(f"  {name}: {{backend: {name}, channel: \"{tmp / name}\", modules: [1, 2]}}\n"
                    for name in VENDORS)
    (tmp / "rig.yaml").write_text(f"parts:\n{parts}", encoding="utf-8")
    emulator = subprocess.Popen(
        [sys.executable, "-c", "import sys; from hil.commands import rig_emulate; "
         "rig_emulate(sys.argv[1])", str(tmp / "rig.yaml")],
        stdout=subprocess.DEVNULL, cwd=ROOT)
    try:
        deadline = time.monotonic() + 20
        while not all((tmp / name).exists() for name in VENDORS):
            if time.monotonic() > deadline:
                raise SystemExit("the emulator did not start")
            time.sleep(0.05)
        modules = "".join(textwrap.dedent(f"""\
              {name}:
                module: {module}
                config: {{channel: "{tmp / name}", modules: [1, 2]}}
            """).replace("\n", "\n  ") for name, module in VENDORS.items())
        (tmp / "station.yaml").write_text("active_modules:\n  " + modules, encoding="utf-8")
        registry = ModuleRegistry(SchemaRegistry())
        env = WallClockEnvironment(1.0)
        bus = InProcessBus(env)
        station = Station(load_station(tmp / "station.yaml", registry), registry, bus)
        station.start()
        env.run(until=2.0)
        results: dict[str, dict[str, list[float]]] = {}
        for name in VENDORS:
            backend = station.modules[name]
            setpoints, reads = [], []
            for i in range(commands):
                started = time.perf_counter()
                env.run(until=bus.call("bench", name, "main", "set_export_voltage_current",
                                       {"voltage_v": 400.0 + i % 50, "current_a": 10.0}, 5.0))
                setpoints.append(time.perf_counter() - started)
                frame = backend.codec.read_frames(1 + i % 2, ["voltage_v"])[0]
                started = time.perf_counter()
                env.run(until=backend.device.request(frame, 5.0))
                reads.append(time.perf_counter() - started)
            results[name] = {"setpoint": setpoints, "read": reads}
        station.shutdown()
        return results
    finally:
        emulator.terminate()
        emulator.wait(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=300)
    args = parser.parse_args()
    results = measure(args.commands)
    print(f"CAN command-to-readback over slcan on a pty, 2 modules per vendor, "
          f"{args.commands} commands each (ms)")
    print(f"{'':<22}" + "".join(f"{name:>26}" for name in VENDORS))
    for kind in ("setpoint", "read"):
        cells = []
        for name in VENDORS:
            p50, p99 = percentiles(results[name][kind])
            cells.append(f"p50 {p50 * 1000:6.2f}  p99 {p99 * 1000:6.2f}")
        print(f"{kind + ' round trip':<22}" + "".join(f"{c:>26}" for c in cells))


if __name__ == "__main__":
    main()
