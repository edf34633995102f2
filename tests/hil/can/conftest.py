"""A power_supply_DC backend on the wall clock, talking slcan over a socat pty pair to emulated
power modules on the other end. Every backend is built here under one name, so the contract
tests run the same checks on each."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from charger.framework.wallclock import WallClockEnvironment
from hil.can.emulator import PowerModuleRack
from hil.can.mapping import SHIPPED
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair
from reports.recorder import Recorder, Row

# Simulated seconds per wall second on both sides: the modules' 10 s keep-alive and the
# backend's timeouts pass five times faster than real time.
FACTOR = 0.2
ADDRESSES = [3, 7]

# backend module -> the emulated modules' protocol
BACKENDS = {"InfyPowerSupply": "infypower", "WinlinePowerSupply": "winline",
            "DbcPowerSupply": "infypower"}


def _ensure_socat() -> None:
    if shutil.which("socat") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "socat"], check=False,
                       capture_output=True)
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed")


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


def user_mapping(tmp: Path) -> Path:
    """A user's mapping for the generic backend: InfyPower's messages, written out by hand as
    a user would, next to a copy of the DBC."""
    shutil.copy(SHIPPED / "infypower.dbc", tmp / "modules.dbc")
    path = tmp / "modules.yaml"
    path.write_text(textwrap.dedent("""\
        dbc: modules.dbc
        addressing:
          request: {shift: 8}
          reply: {shift: 0}
          error_code: {shift: 26, bits: 3}
        set:
          voltage_v: {message: InfySetOutput, signal: VoltageSet}
          current_a: {message: InfySetOutput, signal: CurrentSet}
          output: {message: InfySwitch, signal: SwitchOff, "on": 0, "off": 1}
        read:
          voltage_v: {request: {message: InfyReadOutputRequest}, message: InfyOutput,
                      signal: OutputVoltage}
          current_a: {request: {message: InfyReadOutputRequest}, message: InfyOutput,
                      signal: OutputCurrent}
          output_off: {request: {message: InfyReadStatusRequest}, message: InfyStatus,
                       signal: OutputOff}
        faults:
          HardwareFault: {request: {message: InfyReadStatusRequest}, message: InfyStatus,
                          signals: [ModuleFault]}
          OverTemperature: {request: {message: InfyReadStatusRequest}, message: InfyStatus,
                            signals: [OverTemperature]}
        replies:
          InfySetOutput: InfySetOutputReply
          InfySwitch: InfySwitchReply
        """), encoding="utf-8")
    return path


class Rig:
    """Emulated modules on the device's end of a pty pair (their own wall clock)."""

    def __init__(self, tmp: Path, vendor: str, addresses: list[int]):
        _ensure_socat()
        self.tmp, self.vendor, self.addresses = tmp, vendor, addresses
        self.port = str(tmp / "can-host")
        self.log: list[str] = []
        self._start()

    def _start(self) -> None:
        self.pair = PtyPair(self.port, self.tmp / "can-device").start()
        self.host = EmulatorHost(FACTOR)
        self.rack: PowerModuleRack = self.host.add(PowerModuleRack(
            self.host.env, self.vendor, str(self.tmp / "can-device"), self.addresses,
            log=self.log.append))
        self.host.start_thread()

    def call(self, action: Callable[[], Any]) -> None:
        """Change the emulated world on its own clock."""
        self.host.call(action)

    def unplug(self) -> None:
        """The adapter is pulled out: both ends of the pty pair vanish."""
        self.host.stop()
        self.pair.stop()

    def plug_back(self) -> None:
        self._start()

    def stop(self) -> None:
        self.host.stop()
        self.pair.stop()


class Bench:
    """A station in this process on the wall clock, every message recorded."""

    def __init__(self, station_yaml: str, path: Path, registry: ModuleRegistry):
        path.write_text(textwrap.dedent(station_yaml), encoding="utf-8")
        self.env = WallClockEnvironment(FACTOR)
        self.bus = InProcessBus(self.env)
        self.recorder = Recorder(self.env)
        self.recorder.attach(self.bus)
        self.station = Station(load_station(path, registry), registry, self.bus)
        self.station.start()
        self._mark = 0

    def call(self, cmd: str, **args: Any) -> Any:
        self._mark = len(self.recorder.rows)
        return self.env.run(until=self.bus.call("test", "psu", "main", cmd, args, 20.0))

    def rows(self, kind: str, name: str | None = None) -> list[Row]:
        return [r for r in self.recorder.rows if r.kind == kind
                and (name is None or r.name == name)]

    def wait_for(self, match: Callable[[Row], bool], timeout_s: float = 20.0,
                 what: str = "") -> Row:
        """Run the clock until a recorded row matches (from the last command on)."""
        found = [r for r in self.recorder.rows[self._mark:] if match(r)][:1]
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
                      for r in self.recorder.rows[self._mark:]][-20:]
            pytest.fail(f"nothing matched {what or match} within {timeout_s} s; recent:\n"
                        + "\n".join(recent))
        return found[0]

    def wait_reading(self, match: Callable[[dict], bool], what: str,
                     timeout_s: float = 20.0) -> dict:
        return self.wait_for(lambda r: r.kind == "var" and r.name == "voltage_current"
                             and match(r.value), timeout_s, what).value

    def wait_error(self, error_type: str, active: bool = True, timeout_s: float = 20.0) -> Row:
        kind = "error_raised" if active else "error_cleared"
        return self.wait_for(lambda r: r.kind == kind and r.name == error_type, timeout_s,
                             f"error {error_type} {'raised' if active else 'cleared'}")

    def mark(self) -> None:
        """Later waits look only at what is recorded from now on."""
        self._mark = len(self.recorder.rows)

    def run_for(self, seconds: float) -> None:
        self.env.run(until=self.env.now + seconds)

    def stop(self) -> None:
        self.station.shutdown()


def station_yaml(backend: str, port: str, tmp: Path, **config: Any) -> str:
    settings = {"channel": port, "modules": ADDRESSES, **config}
    if backend == "DbcPowerSupply":
        settings["mapping"] = str(user_mapping(tmp))
    body = ", ".join(f"{k}: {v!r}" if not isinstance(v, str) else f'{k}: "{v}"'
                     for k, v in settings.items())
    return f"""\
        active_modules:
          psu:
            module: {backend}
            config: {{{body}}}
        """


@pytest.fixture
def supply(request, tmp_path: Path, registry: ModuleRegistry) -> Iterator[tuple[Bench, Rig]]:
    """(bench, rig): the backend named by the test's parameter driving two emulated modules."""
    backend = request.param
    rig = Rig(tmp_path, BACKENDS[backend], ADDRESSES)
    bench = Bench(station_yaml(backend, rig.port, tmp_path), tmp_path / "station.yaml",
                  registry)
    bench.backend = backend  # type: ignore[attr-defined]
    try:
        yield bench, rig
    finally:
        bench.stop()
        rig.stop()
