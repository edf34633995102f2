"""Stations on the wall clock against emulated bench devices, driven by hand.

Every provider of a HAL interface is built here under one name, so that the contract tests
(``test_contract_*.py``) run the same checks on each: the simulated part and every bench backend
on its emulator. A new backend adds its fixture branch and proves it drops in."""

from __future__ import annotations

import contextlib
import socket
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from charger.framework.wallclock import WallClockEnvironment
from hil.emulators.board import BoardEmulator, BoardSettings
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair
from reports.recorder import Recorder, Row

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def shortened_session(source: Path, out: Path, duration: str, script: tuple[str, str],
                      min_energy_wh: float | None = None) -> Path:
    """A shipped scenario cut short for a wall-clock run, written to ``out``: its station by
    absolute path, ``duration``, the car's script with ``script[0]`` replaced by ``script[1]``
    and, when given, every energy expectation a minimum of ``min_energy_wh``."""
    doc = yaml.safe_load(source.read_text(encoding="utf-8"))
    doc["station"] = str(SCENARIOS / doc["station"])
    doc["duration"] = duration
    car = doc["world"]["cars"][0]
    old, new = script
    assert old in car["script"]
    car["script"] = car["script"].replace(old, new)
    if min_energy_wh is not None:
        for expectation in doc["expect"]:
            if "energy_wh" in expectation:
                expectation["energy_wh"] = {"min": min_energy_wh}
    path = out / f"short_{source.stem}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


class Bench:
    """A station in this process on the wall clock, every message recorded."""

    def __init__(self, station_yaml: str, path: Path, registry: ModuleRegistry,
                 factor: float = 1.0):
        path.write_text(textwrap.dedent(station_yaml), encoding="utf-8")
        self.env = WallClockEnvironment(factor)
        self.bus = InProcessBus(self.env)
        self.recorder = Recorder(self.env)
        self.recorder.attach(self.bus)
        self.station = Station(load_station(path, registry), registry, self.bus)
        self.station.start()
        self._mark = 0

    def call(self, module: str, impl: str, cmd: str, **args: Any) -> Any:
        self._mark = len(self.recorder.rows)  # what the command causes counts for wait_for
        return self.env.run(until=self.bus.call("test", module, impl, cmd, args, 10.0))

    def rows(self, kind: str, name: str | None = None, source: str | None = None) -> list[Row]:
        return [r for r in self.recorder.rows if r.kind == kind
                and (name is None or r.name == name) and (source is None or r.source == source)]

    def wait_for(self, match: Callable[[Row], bool], timeout_s: float = 10.0,
                 what: str = "") -> Row:
        """Run the clock until a recorded row matches (checked from the last command on)."""
        start = self._mark
        found = [r for r in self.recorder.rows[start:] if match(r)][:1]
        if found:
            return found[0]
        met = self.env.event()

        def watch(row: Row) -> None:
            if match(row) and not met.triggered:
                found.append(row)
                met.succeed()
        self.recorder.watch(watch)
        try:
            self.env.run(until=self.env.any_of([met, self.env.timeout(timeout_s)]))
        finally:
            self.recorder.unwatch(watch)
        if not found:
            recent = [f"{r.t:.3f} {r.kind} {r.source} {r.name} {r.value}"
                      for r in self.recorder.rows[start:]][-15:]
            pytest.fail(f"nothing matched {what or match} within {timeout_s} s; "
                        "recent:\n" + "\n".join(recent))
        return found[0]

    def wait_event(self, event: str, source: str = "board1.board",
                   timeout_s: float = 10.0) -> Row:
        return self.wait_for(lambda r: r.kind == "var" and r.name == "event"
                             and r.source == source and r.value["event"] == event,
                             timeout_s, what=f"board event {event}")

    def wait_error(self, error_type: str, active: bool = True, timeout_s: float = 10.0) -> Row:
        kind = "error_raised" if active else "error_cleared"
        return self.wait_for(lambda r: r.kind == kind and r.name == error_type, timeout_s,
                             what=f"error {error_type} {'raised' if active else 'cleared'}")

    def run_for(self, seconds: float) -> None:
        self.env.run(until=self.env.now + seconds)

    def stop(self) -> None:
        self.station.shutdown()


class EmulatedBoardRig:
    """A board emulator on a socat pty pair, the car's side on a loopback port."""

    def __init__(self, tmp: Path, factor: float = 1.0, settings: BoardSettings | None = None):
        self.port = str(tmp / "board-host")
        self.pair = PtyPair(self.port, tmp / "board-device").start()
        self.car_port = free_port()
        self.host = EmulatorHost(factor)
        self.emulator: BoardEmulator = self.host.add(BoardEmulator(
            self.host.env, str(tmp / "board-device"), self.car_port, settings))
        self.host.start_thread()

    @property
    def car_url(self) -> str:
        return f"socket://127.0.0.1:{self.car_port}"

    def stop(self) -> None:
        self.host.stop()
        self.pair.stop()


BOARD_PROVIDERS = ["SimBoard", "SerialBoard"]


@pytest.fixture
def board_bench(request, tmp_path: Path, registry: ModuleRegistry) -> Iterator[Bench]:
    """A station with one board ``board1`` (impls board, ev_board, rcd, lock, meter) from the
    provider named by the test's parameter."""
    provider = request.param
    rig = None
    if provider == "SimBoard":
        yaml = """\
            active_modules:
              grid:
                module: SimGrid
              board1:
                module: SimBoard
                connections:
                  grid: grid.supply
            """
    else:
        rig = EmulatedBoardRig(tmp_path)
        yaml = f"""\
            active_modules:
              board1:
                module: EmulatedBoard
                config: {{port: "{rig.port}", car_port: "{rig.car_url}"}}
            """
    bench = Bench(yaml, tmp_path / "station.yaml", registry)
    bench.rig = rig  # type: ignore[attr-defined]
    try:
        yield bench
    finally:
        bench.stop()
        if rig is not None:
            rig.stop()


class ModbusRig:
    """Meter emulators: ``tcp`` (loopback port) or ``rtu`` (a socat pty pair), units 1 and 2
    on the same line, each a fixed load."""

    def __init__(self, tmp: Path, transport: str, factor: float = 1.0,
                 maps: tuple[str, ...] = ("sdm630", "sdm630"), energy_wh: float = 0.0,
                 current_a: float = 16.0, loads: tuple[tuple[float, int], ...] = ()):
        """``loads``: (current, phases) per unit; by default ``current_a`` on three phases."""
        from hil.modbus.emulator import ModbusMeterEmulator, Unit, fixed_load
        from hil.modbus.registermap import load_register_map

        self.transport = transport
        self.pair = None
        if transport == "tcp":
            self.where = f"127.0.0.1:{free_port()}"
            device_end = self.where
        else:
            self.where = str(tmp / "rs485")
            device_end = str(tmp / "rs485-device")
            self.pair = PtyPair(self.where, device_end).start()
        self.host = EmulatorHost(factor)
        loads = loads or tuple((current_a, 3) for _ in maps)
        self.units = [Unit(n, load_register_map(m), fixed_load(amps, phases, energy_wh))
                      for n, (m, (amps, phases)) in enumerate(zip(maps, loads), start=1)]
        self.emulator = self.host.add(ModbusMeterEmulator(self.host.env, transport, device_end,
                                                          self.units))
        self.host.start_thread()

    def module_yaml(self, module_id: str, unit: int, register_map: str = "sdm630",
                    interval: float = 0.5) -> str:
        place = (f"host: 127.0.0.1, tcp_port: {self.where.rpartition(':')[2]}"
                 if self.transport == "tcp" else f'serial_port: "{self.where}"')
        return (f"  {module_id}:\n    module: ModbusMeter\n"
                f"    config: {{transport: {self.transport}, {place}, unit: {unit}, "
                f"register_map: {register_map}, poll_interval_s: {interval}, timeout_s: 0.5}}\n")

    def stop(self) -> None:
        self.host.stop()
        if self.pair is not None:
            self.pair.stop()


METER_PROVIDERS = ["SimBoard", "SerialBoard", "ModbusTcp", "ModbusRtu"]


@pytest.fixture
def meter_bench(request, tmp_path: Path, registry: ModuleRegistry) -> Iterator[Bench]:
    """A station with a ``powermeter`` at ``bench.meter`` (module, impl) from the provider named
    by the test's parameter, and ``bench.start_load()`` that makes current flow through it."""
    provider = request.param
    if provider in ("SimBoard", "SerialBoard"):
        request.param = provider
        gen = board_bench.__wrapped__(request, tmp_path, registry)  # type: ignore[attr-defined]
        bench = next(gen)

        def start_load() -> None:
            from tests.hil.test_contract_board import charge

            charge(bench, 16.0)
        bench.meter = ("board1", "meter")
        bench.start_load = start_load
        try:
            yield bench
        finally:
            with contextlib.suppress(StopIteration):
                next(gen)
        return
    rig = ModbusRig(tmp_path, "tcp" if provider == "ModbusTcp" else "rtu")
    bench = Bench("active_modules:\n" + rig.module_yaml("meter1", 1),
                  tmp_path / "station.yaml", registry)
    bench.meter = ("meter1", "meter")
    bench.start_load = lambda: None  # the emulated meter measures a fixed 16 A load
    bench.rig = rig
    try:
        yield bench
    finally:
        bench.stop()
        rig.stop()
