"""DC power modules, emulated: N modules on one CAN channel answering the real frames of their
vendor's protocol, their outputs in parallel on one DC output driven by the simulated world's
supply physics (``sim.hal.dc_physics``).

Each output of the rack is one :class:`~sim.hal.dc_physics.DcPowerPath` (ramps, CC/CV into a
battery load, power limit) fed by the modules wired to it (all of them by default; two
connectors' groups with ``outputs``): its target is the highest voltage setpoint of its modules
that are on, its current limit and power the sum of theirs, and each module carries a share of
the current in proportion to its own limit (modules in parallel share equally when set alike).
A module that hears nothing for ``keepalive_off_s`` switches itself off, as InfyPower modules
do.

The channel is a python-can Bus: ``slcan`` on the device's end of a pty pair (python-can's slcan
speaks the adapter's ASCII lines in both directions), or any other interface. The reader is a
thread that posts into the emulator's wall-clock environment; replies leave from the simulation
thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import can

from charger.framework.wallclock import WallClockEnvironment
from hil.can.channel import NoiseOnLine, receive
from hil.can.codec import CodecError, ModuleCodec
from hil.can.mapping import FAULTS, shipped_mapping
from hil.can.vendors import VENDORS
from sim.hal.dc_physics import DcPowerPath, Supply, SupplyLimits

TICK_S = 0.05  # physics and keep-alive checks between frames


@dataclass(frozen=True)
class ModuleSettings:
    max_voltage_v: float = 1000.0
    min_voltage_v: float = 150.0
    max_current_a: float = 100.0
    max_power_w: float = 30_000.0
    keepalive_off_s: float | None = 10.0  # None: the module keeps its output without traffic


def vendor_settings(vendor: str | None) -> ModuleSettings:
    """What a vendor's modules do on their own (the protocol lives in its mapping and DBC)."""
    known = VENDORS.get(vendor or "")
    return ModuleSettings(keepalive_off_s=known.keepalive_off_s if known else None)


@dataclass
class Output:
    """The modules wired in parallel to one DC output, and that output's physics."""

    addresses: list[int]
    path: DcPowerPath


@dataclass
class EmulatedModule:
    address: int
    settings: ModuleSettings
    on: bool = False
    voltage_setpoint_v: float = 0.0
    current_setpoint_a: float = 0.0
    faults: set[str] = field(default_factory=set)
    silent: bool = False  # injected: answers nothing
    refusing: bool = False  # injected: refuses every setpoint
    last_heard: float = 0.0

    @property
    def delivering(self) -> bool:
        return self.on and not self.faults

    @property
    def current_limit_a(self) -> float:
        return min(self.current_setpoint_a, self.settings.max_current_a)


class PowerModuleRack:
    def __init__(self, env: WallClockEnvironment, vendor_or_codec: str | ModuleCodec,
                 channel: str, addresses: list[int], *, interface: str = "slcan",
                 settings: ModuleSettings | None = None, load_ocv_v: float | None = 400.0,
                 load_resistance_ohm: float = 0.5, outputs: list[list[int]] | None = None,
                 log: Callable[[str], None] = lambda _line: None, **bus_options: Any):
        self.env = env
        if isinstance(vendor_or_codec, str):
            self.codec = ModuleCodec(shipped_mapping(vendor_or_codec))
            settings = settings or vendor_settings(vendor_or_codec)
        else:
            self.codec = vendor_or_codec
        self.settings = settings or ModuleSettings()
        self.channel = channel
        self.interface = interface
        self.bus_options = {"sleep_after_open": 0, **bus_options} if interface == "slcan" \
            else bus_options
        self.log = log
        self.modules = {a: EmulatedModule(a, self.settings) for a in addresses}
        groups = outputs or [list(addresses)]
        if sorted(a for g in groups for a in g) != sorted(addresses):
            raise ValueError(f"outputs {groups} do not wire each of {addresses} once")
        self.outputs = [Output(list(g), DcPowerPath(Supply(self._limits(0)))) for g in groups]
        self._output_of = {a: o for o in self.outputs for a in o.addresses}
        for output in self.outputs:
            output.path.contactors.commanded_closed = output.path.contactors.closed = True
        self._since = env.now
        for index in range(len(self.outputs)):
            self.set_load(load_ocv_v, load_resistance_ohm, index)
        self.refused = 0  # frames from the controller that were not the protocol's
        self.frames_in = 0
        self._bus: can.BusABC | None = None
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None

    # --- the world (tests and rig emulate change it on the emulator's clock) ----------------
    @property
    def path(self) -> DcPowerPath:
        """The first (by default the only) output's physics."""
        return self.outputs[0].path

    def set_load(self, ocv_v: float | None, resistance_ohm: float = 0.5,
                 output: int = 0) -> None:
        """A battery (open-circuit voltage, resistance) on an output; None: no load."""
        self._advance()
        battery = self.outputs[output].path.battery
        battery.contactors_closed = ocv_v is not None
        battery.open_circuit_voltage_v = ocv_v or 0.0
        battery.internal_resistance_ohm = resistance_ohm
        self._apply()

    def set_circuit(self, *, contactors_closed: bool, battery_connected: bool,
                    open_circuit_voltage_v: float, internal_resistance_ohm: float,
                    insulation_ohm: float, cable_resistance_ohm: float,
                    output: int = 0) -> None:
        """What an output feeds, in full (an emulated bench's simulated circuit tells it,
        ``hil/can/load.py``): the contactors between it and the cable, the car's battery behind
        its own contactors, the insulation and the cable."""
        self._advance()
        path = self.outputs[output].path
        path.contactors.commanded_closed = path.contactors.closed = contactors_closed
        path.battery.contactors_closed = battery_connected
        path.battery.open_circuit_voltage_v = open_circuit_voltage_v
        path.battery.internal_resistance_ohm = internal_resistance_ohm
        path.insulation_ohm = insulation_ohm
        path.cable_resistance_ohm = cable_resistance_ohm
        self._apply()

    def set_fault(self, address: int, fault: str, active: bool = True) -> None:
        """A module reports ``fault`` (a FAULTS name) and keeps its output off while it lasts."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        self._advance()
        module = self.modules[address]
        if active:
            module.faults.add(fault)
            module.on = False  # a module that faults drops its output until told again
        else:
            module.faults.discard(fault)
        self._apply()

    def drop_output(self, address: int, why: str = "injected") -> None:
        """A module switches its output off by itself (what its keep-alive does), keeping its
        setpoints; it answers as before and reports its output off."""
        self._advance()
        self.modules[address].on = False
        self.log(f"module {address}: {why}, output switched off")
        self._apply()

    def silence(self, address: int, silent: bool = True) -> None:
        self.modules[address].silent = silent

    def refuse(self, address: int, refusing: bool = True) -> None:
        self.modules[address].refusing = refusing

    def write_raw(self, data: bytes) -> None:
        """Put bytes on the adapter's serial line as they are (noise, a broken line)."""
        port = getattr(self._bus, "serialPortOrig", None)
        if port is not None:
            port.write(data)

    def module_output(self, address: int) -> tuple[float, float]:
        """(voltage, current) at a module's terminals now."""
        self._advance()
        return self._output_of[address].path.output_voltage_v, \
            self._share(self.modules[address])

    # --- running --------------------------------------------------------------------------------
    def start(self) -> None:
        self._bus = can.Bus(interface=self.interface, channel=self.channel,
                            bitrate=125_000, **self.bus_options)
        self._since = self.env.now
        for module in self.modules.values():
            module.last_heard = self.env.now
        self._reader = threading.Thread(target=self._read_loop, name="can-emulator",
                                        daemon=True)
        self._reader.start()
        self.env.process(self._tick())

    def stop(self) -> None:
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        if self._bus is not None:
            with contextlib.suppress(can.CanError, OSError, ValueError):
                self._bus.shutdown()
            self._bus = None

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            bus = self._bus
            if bus is None:
                return
            try:
                frame = receive(bus, 0.05)
            except NoiseOnLine:
                self.env.post(self._count_refused)
                continue
            except (can.CanError, OSError):
                return  # the pty pair is gone
            if frame is not None:
                self.env.post(lambda frame=frame: self._on_frame(frame))

    def _count_refused(self) -> None:
        self.refused += 1

    def _tick(self) -> Generator:
        while not self._stop.is_set():
            yield self.env.timeout(TICK_S)
            self._advance()
            now = self.env.now
            for module in self.modules.values():
                off_after = module.settings.keepalive_off_s
                if module.on and off_after is not None and now - module.last_heard > off_after:
                    self.drop_output(module.address, f"nothing heard for {off_after:g} s")

    # --- the protocol ---------------------------------------------------------------------------
    def _on_frame(self, frame: can.Message) -> None:
        self.frames_in += 1
        try:
            request = self.codec.decode(frame)
            setpoints = self.codec.setpoints_in(request) if request.kind == "request" else {}
        except CodecError as exc:
            self.refused += 1
            self.log(f"frame refused: {exc}")
            return
        module = self.modules.get(request.address)
        if request.kind != "request" or module is None:
            return  # another controller's frame, or a module not in this rack
        self._advance()
        module.last_heard = self.env.now
        if module.silent:
            return
        refuse = bool(setpoints) and module.refusing
        if setpoints and not refuse:
            self._take(module, setpoints)
        for reply in self.codec.reply_frames(request, self._state(module), refuse=refuse):
            self._send(reply)

    def _take(self, module: EmulatedModule, setpoints: dict[str, Any]) -> None:
        if "voltage_v" in setpoints:
            module.voltage_setpoint_v = float(setpoints["voltage_v"])
        if "current_a" in setpoints:
            module.current_setpoint_a = max(float(setpoints["current_a"]), 0.0)
        if "output" in setpoints:
            module.on = bool(setpoints["output"]) and not module.faults
        self._apply()

    def _state(self, module: EmulatedModule) -> dict[str, Any]:
        s = module.settings
        state: dict[str, Any] = {
            "voltage_v": round(self._output_of[module.address].path.output_voltage_v, 3),
            "current_a": round(self._share(module), 3),
            "output_off": not module.delivering,
            "max_voltage_v": s.max_voltage_v, "min_voltage_v": s.min_voltage_v,
            "max_current_a": s.max_current_a, "max_power_w": s.max_power_w}
        for fault in module.faults:
            state[fault] = True
        return state

    def _send(self, frame: can.Message) -> None:
        bus = self._bus
        if bus is None:
            return
        try:
            bus.send(frame)
        except (can.CanError, OSError, ValueError) as exc:
            self.log(f"reply not sent: {exc}")

    # --- physics --------------------------------------------------------------------------------
    def _limits(self, modules_on: int) -> SupplyLimits:
        s = self.settings
        n = max(modules_on, 1)
        return SupplyLimits(s.max_voltage_v, s.min_voltage_v, s.max_current_a * n, 0.0,
                            s.max_power_w * n)

    def _advance(self) -> None:
        now = self.env.now
        for output in self.outputs:
            output.path.advance(max(now - self._since, 0.0))
        self._since = now

    def _delivering(self, output: Output) -> list[EmulatedModule]:
        return [self.modules[a] for a in output.addresses if self.modules[a].delivering]

    def _apply(self) -> None:
        """Each output's modules' setpoints, as one supply: its target and limits."""
        for output in self.outputs:
            delivering = self._delivering(output)
            supply = output.path.supply
            supply.limits = self._limits(len(delivering))
            supply.exporting = bool(delivering)
            if delivering:
                supply.set_target(max(m.voltage_setpoint_v for m in delivering),
                                  sum(m.current_limit_a for m in delivering))
            else:
                supply.set_target(0.0, 0.0)
            output.path.refresh()

    def _share(self, module: EmulatedModule) -> float:
        output = self._output_of[module.address]
        total_limit = sum(m.current_limit_a for m in self._delivering(output))
        if not module.delivering or total_limit <= 0:
            return 0.0
        return output.path.supply.current_a * module.current_limit_a / total_limit
