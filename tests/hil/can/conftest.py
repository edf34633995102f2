"""A power_supply_DC provider on the wall clock: a CAN backend talking slcan over a socat pty
pair to emulated power modules on the other end, or the simulated DC power path. Every provider
is built here under one name, with a World that changes what is behind it (the load, a fault, a
supply that falls silent), so the contract tests run the same checks on each."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from charger.framework.registry import ModuleRegistry
from hil.can.emulator import PowerModuleRack
from hil.can.mapping import SHIPPED
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair
from tests.hil.conftest import Bench as HilBench

# Simulated seconds per wall second on both sides: the modules' 10 s keep-alive and the
# backend's timeouts pass five times faster than real time.
FACTOR = 0.2
ADDRESSES = [3, 7]

# backend module -> the emulated modules' protocol
BACKENDS = {"InfyPowerSupply": "infypower", "WinlinePowerSupply": "winline",
            "DbcPowerSupply": "infypower"}
# The simulated power path fed by InfyPower modules (a DC rig): its power_supply is the
# provider, the modules' readback its source, the circuit told to the modules' emulator.
ON_MODULES = "SimDcPowerPath+InfyPowerSupply"
# Every provider of power_supply_DC the contract runs on: the CAN backends and the simulation.
PROVIDERS = [*BACKENDS, "SimDcPowerPath", ON_MODULES]
# The simulated power path's injectable faults that stand for the modules' faults.
SIM_FAULTS = {"HardwareFault": "supply_hardware", "OverTemperature": "supply_over_temperature",
              "OverVoltageDC": "supply_over_voltage", "OverCurrentDC": "supply_over_current",
              "UnderVoltageAC": "supply_ac_input"}
LOAD_OCV_V, LOAD_RESISTANCE_OHM = 400.0, 0.5  # the battery on the output (the rack's default)


def _ensure_socat() -> None:
    if shutil.which("socat") is None:
        subprocess.run(["apt-get", "install", "-y", "-qq", "socat"], check=False,
                       capture_output=True)
    if shutil.which("socat") is None:
        pytest.skip("socat is not installed")


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


class Bench(HilBench):
    """The bench of tests/hil with a power supply to command: ``command`` calls it, later waits
    look at what the call causes."""

    def __init__(self, station_yaml: str, path: Path, registry: ModuleRegistry,
                 supply: tuple[str, str] = ("psu", "main")):
        super().__init__(station_yaml, path, registry, FACTOR)
        self.supply = supply
        self.only: str | None = None  # look only at this implementation's variables and errors

    def _ours(self, row: Any) -> bool:
        """A variable or error of the provider under test (another power_supply_DC in the
        station, the modules behind the simulated path, is not what the tests look at)."""
        return self.only is None or row.kind not in ("var", "error_raised", "error_cleared") \
            or row.source == self.only

    def rows(self, kind: str, name: str | None = None, source: str | None = None) -> list:
        return [r for r in super().rows(kind, name, source) if self._ours(r)]

    def wait_for(self, match: Callable[[Any], bool], timeout_s: float = 20.0,
                 what: str = "") -> Any:
        return super().wait_for(lambda r: self._ours(r) and match(r), timeout_s, what)

    def wait_for_any(self, match: Callable[[Any], bool], timeout_s: float = 20.0,
                     what: str = "") -> Any:
        """``wait_for`` over every row, the other modules' too."""
        return super().wait_for(match, timeout_s, what)

    def command(self, cmd: str, **args: Any) -> Any:
        return self.call(*self.supply, cmd, **args)

    def wait_reading(self, match: Callable[[dict], bool], what: str,
                     timeout_s: float = 20.0) -> dict:
        return self.wait_for(lambda r: r.kind == "var" and r.name == "voltage_current"
                             and match(r.value), timeout_s, what).value

    def mark(self, from_start: bool = False) -> None:
        """Later waits look only at what is recorded from now on (or from the start)."""
        self._mark = 0 if from_start else len(self.recorder.rows)


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


class CanWorld:
    """Behind a CAN backend: two emulated modules (the fault on the first, the silence on the
    second), a battery on their output."""

    can = True

    def __init__(self, rig: Rig):
        self.rig = rig

    def set_load(self, bench: Bench, ocv_v: float | None) -> None:
        self.rig.call(lambda: self.rig.rack.set_load(ocv_v, LOAD_RESISTANCE_OHM))
        bench.run_for(0.1)

    def fault(self, bench: Bench, name: str, active: bool = True) -> None:
        self.rig.call(lambda: self.rig.rack.set_fault(ADDRESSES[0], name, active))

    def silence(self, bench: Bench, silent: bool = True) -> None:
        self.rig.call(lambda: self.rig.rack.silence(ADDRESSES[1], silent))


class SimWorld:
    """Behind SimDcPowerPath: its output contactors and the car's battery, its fault injection."""

    can = False

    def set_load(self, bench: Bench, ocv_v: float | None) -> None:
        connected = ocv_v is not None
        if connected:
            bench.call("dc1", "ev_dc", "set_battery", open_circuit_voltage_v=ocv_v,
                          internal_resistance_ohm=LOAD_RESISTANCE_OHM)
        bench.call("dc1", "ev_dc", "set_contactors", value=connected)
        bench.call("dc1", "contactors", "set_closed", value=connected)

    def fault(self, bench: Bench, name: str, active: bool = True) -> None:
        bench.call("dc1", "control", "set_fault", fault=SIM_FAULTS[name], active=active)

    def silence(self, bench: Bench, silent: bool = True) -> None:
        bench.call("dc1", "control", "set_fault", fault="supply_communication",
                      active=silent)


class ModulesBehindPathWorld(SimWorld):
    """Behind the simulated path fed by modules: the circuit is the path's (the car's battery,
    its contactors; told to the emulator), the faults and the silence are the modules'."""

    def __init__(self, rig: Rig):
        self.rig = rig
        self.modules = CanWorld(rig)

    def fault(self, bench: Bench, name: str, active: bool = True) -> None:
        self.modules.fault(bench, name, active)

    def silence(self, bench: Bench, silent: bool = True) -> None:
        self.modules.silence(bench, silent)


def on_modules_yaml(port: str, load_port: int) -> str:
    return f"""\
        active_modules:
          psu:
            module: InfyPowerSupply
            config: {{channel: "{port}", modules: {ADDRESSES}, command_timeout_s: 3}}
          load:
            module: EmulatedDcLoad
            config: {{port: "socket://127.0.0.1:{load_port}"}}
          dc1:
            module: SimDcPowerPath
            config: {{max_current_a: 200, max_power_w: 60000}}
            connections: {{supply: psu.main, load: load.load}}
        """


SIM_STATION = """\
    active_modules:
      dc1:
        module: SimDcPowerPath
        config: {max_current_a: 200, max_power_w: 60000}
    """


@pytest.fixture
def supply(request, tmp_path: Path,
           registry: ModuleRegistry) -> Iterator[tuple[Bench, CanWorld | SimWorld]]:
    """(bench, world): the provider named by the test's parameter with a 400 V battery on its
    output; a CAN backend drives two emulated modules of 100 A and 30 kW each, the simulated
    path is configured alike (200 A, 60 kW)."""
    provider = request.param
    rig = None
    if provider == "SimDcPowerPath":
        bench = Bench(SIM_STATION, tmp_path / "station.yaml", registry,
                      supply=("dc1", "power_supply"))
        world: CanWorld | SimWorld = SimWorld()
        world.set_load(bench, LOAD_OCV_V)
        bench.mark(from_start=True)  # setting the world up is not what the tests wait for
    elif provider == ON_MODULES:
        from hil.can.load import DcLoadEmulator
        from tests.hil.conftest import free_port

        rig = Rig(tmp_path, "infypower", ADDRESSES)
        load_port = free_port()
        rig.host.add(DcLoadEmulator(rig.host.env, rig.rack, load_port)).start()
        bench = Bench(on_modules_yaml(rig.port, load_port), tmp_path / "station.yaml", registry,
                      supply=("dc1", "power_supply"))
        bench.only = "dc1.power_supply"
        world = ModulesBehindPathWorld(rig)
        world.set_load(bench, LOAD_OCV_V)
        bench.mark(from_start=True)
    else:
        rig = Rig(tmp_path, BACKENDS[provider], ADDRESSES)
        bench = Bench(station_yaml(provider, rig.port, tmp_path), tmp_path / "station.yaml",
                      registry)
        world = CanWorld(rig)
    bench.rig = rig  # type: ignore[attr-defined]
    try:
        yield bench, world
    finally:
        bench.stop()
        if rig is not None:
            rig.stop()
