"""power_supply_DC served by DC power modules on a CAN channel.

One instance drives N modules on one channel as one supply: their outputs are in parallel, so a
voltage target goes to every module and the current limit is split between them. Every
``poll_interval_s`` each module is asked for its output and status; those requests are also the
traffic that keeps InfyPower modules from switching themselves off (after 10 s without any).

- A module silent for ``module_timeout_s``, or the channel failing, raises
  ``CommunicationFault``: the others are switched off (the supply as a whole can no longer be
  trusted) and the mode is ``Fault``. When every module answers again the error clears and the
  supply stays off until the charger switches it on.
- A module reporting a fault raises the matching error (``HardwareFault``, ``OverTemperature``
  ...), and the supply is switched off likewise.
- A module that reports its output off while the supply exports, having reported it on (it
  switched itself off: InfyPower's keep-alive lapsed while the controller was stalled), is given
  its setpoints and switched on again, with a warning; if it refuses or does not answer, it
  raises ``HardwareFault`` and the supply is switched off. Without this the supply would go on
  exporting with its modules off, no error anywhere, and the car charging from nothing.
- A frame that is not the protocol's is counted and logged, never fatal.

Which protocol: ``InfyPowerSupply`` and ``WinlinePowerSupply`` use the mapping and DBC shipped
in ``hil/can/dbc``; ``DbcPowerSupply`` the user's (``mapping`` in its configuration).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any, ClassVar

from charger.framework import CommandError, CommandErrorType, Module, command
from charger.framework.errors import ConfigError, Problem
from hil.can.channel import CanChannel
from hil.can.codec import Decoded, ModuleCodec
from hil.can.mapping import CAPABILITIES, FAULTS, Mapping, load_mapping, shipped_mapping
from hil.can.vendors import MODULES
from hil.device import DeviceError

LOST = "CommunicationFault"
OFF_CURRENT_A = 1.0  # set_mode Off returns once the output carries less than this


class CanPowerSupply(Module):
    vendor: ClassVar[str | None] = None  # a shipped mapping; None: the configuration's

    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Problem]:
        """A user's mapping file is checked when the station loads, with its own lines; two
        supplies on one channel may not drive the same module."""
        problems = cls._shared_module_problems(instance, station)
        path = instance.config.get("mapping")
        if cls.vendor is not None or path is None:
            return problems
        try:
            load_mapping(path)
        except ConfigError as error:
            line = instance.line("config", "mapping") or instance.line()
            problems += [Problem(instance.path, line, f"{instance.id}: mapping: {p}")
                         for p in error.problems]
        return problems

    @classmethod
    def _shared_module_problems(cls, instance: Any, station: Any) -> list[Problem]:
        config = instance.config
        mine = set(config.get("modules", [0]))
        problems = []
        for other in station.modules.values():
            if other.module not in MODULES or other.id >= instance.id:
                continue  # each pair once, reported on the later one
            if other.config.get("channel") != config.get("channel") or \
                    other.config.get("interface", "slcan") != config.get("interface", "slcan"):
                continue
            both = sorted(mine & set(other.config.get("modules", [0])))
            if both:
                problems.append(Problem(
                    instance.path, instance.line("config", "modules") or instance.line(),
                    f"{instance.id}: module(s) {', '.join(map(str, both))} on "
                    f"{config.get('channel')} are driven by {other.id} too"))
        return problems

    def init(self) -> None:
        cfg = self.config
        mapping = self._mapping()
        self.codec = ModuleCodec(mapping)
        self.addresses: list[int] = list(dict.fromkeys(cfg["modules"]))
        options = {"sleep_after_open": cfg["adapter_settle_s"]} \
            if cfg["interface"] == "slcan" else {}
        self.device = CanChannel.shared(self.env, self.id, self.codec, cfg["channel"],
                                        cfg["interface"], cfg["bitrate"], **options)
        if self.device.users == 1:
            self.device.probe_addresses = []
        self.device.probe_addresses += self.addresses
        self.device.add_listener(self._on_frame)
        self.device.on_link(self._on_link)
        self.device.on_garbage(self._on_garbage)
        self.readings: dict[int, dict[str, Any]] = {a: {} for a in self.addresses}
        self.last_heard: dict[int, float | None] = {a: None for a in self.addresses}
        self.exporting = False  # what the charger last commanded
        self.started = 0.0  # when polling began: a module never heard is silent since then
        self.lost: set[int] = set()  # modules that stopped answering
        self.link_down: str | None = None
        self.raised: set[str] = set()
        self._published_mode: str | None = None
        self.capabilities: dict[str, float] | None = None
        self.setpoint: dict[str, float] = {}  # what each module was last told
        self.seen_on: set[int] = set()  # reported their output on since the last set_mode
        self.switching = 0  # set_mode calls under way (replies from before may still come)
        self.reviving: set[int] = set()  # switched off by themselves, being switched on again
        self.dropped: dict[int, str] = {}  # ... and that did not come back on: why

    def _mapping(self) -> Mapping:
        if self.vendor is not None:
            return shipped_mapping(self.vendor)
        return load_mapping(self.config["mapping"])

    def ready(self) -> Generator:
        self.device.start()
        self.started = self.env.now
        self._publish_mode()
        yield self.device.opened
        yield from self._read_capabilities()
        while True:
            self._poll()
            yield self.env.timeout(self.config["poll_interval_s"])
            self._watch_modules()
            self._publish_reading()

    def shutdown(self) -> None:
        self.device.stop()

    # --- the charger's commands -----------------------------------------------------------------
    @command("main", "set_mode")
    def set_mode(self, mode: str, phase: str) -> Generator:
        self.switching += 1
        self.seen_on.clear()
        try:
            yield from self._set_mode(mode == "Export")
        finally:
            self.switching -= 1

    def _set_mode(self, on: bool) -> Generator:
        if on:
            self._refuse_while_faulted()
            self.exporting = True  # a fault while the modules switch on switches them off
            try:
                yield from self._to_every_module(on=True)
            except CommandError:
                # Not every module is on: none may deliver alone.
                self.exporting = False
                self._switch_off_answering()
                raise
            self._publish_mode()
            return
        self.exporting = False
        if self.dropped:  # switched off as the charger wants now: that fault is over
            self.dropped.clear()
            self._follow_errors()
        self._publish_mode()
        # Off goes to every module that answers; one that does not is already reported.
        yield from self._to_every_module(on=False, skip_lost=True)
        yield from self._wait_for_current_to_fall()

    @command("main", "set_export_voltage_current")
    def set_export_voltage_current(self, voltage_v: float, current_a: float) -> Generator:
        caps = self.capabilities or self._configured_capabilities()
        voltage = min(voltage_v, caps["max_export_voltage_v"])
        if 0 < voltage < caps["min_export_voltage_v"]:
            voltage = caps["min_export_voltage_v"]
        current = min(current_a, caps["max_export_current_a"])
        if (voltage, current) != (voltage_v, current_a):
            self.log("warning", f"set_export_voltage_current {voltage_v:g} V {current_a:g} A "
                     f"beyond the capabilities: {voltage:g} V {current:g} A taken")
        self.setpoint = {"voltage_v": voltage, "current_a": current / len(self.addresses)}
        yield from self._to_every_module(**self.setpoint)

    def _refuse_while_faulted(self) -> None:
        if self.raised:
            raise CommandError(CommandErrorType.HANDLER_EXCEPTION,
                               f"{self.id}: cannot export while {', '.join(sorted(self.raised))}")

    def _to_every_module(self, skip_lost: bool = False, **setpoints: Any) -> Generator:
        """Send the setpoints to each module and wait for every answer."""
        if self.link_down is not None:
            raise CommandError(CommandErrorType.TIMEOUT,
                               f"{self.id}: CAN channel down ({self.link_down})")
        asked = []
        for address in self.addresses:
            if skip_lost and address in self.lost:
                continue
            for frame in self.codec.setpoint_frames(address, **setpoints):
                asked.append((address, self._request(frame)))
        failures = []
        for address, event in asked:
            try:
                reply: Decoded = yield event
            except DeviceError as exc:
                failures.append(f"module {address}: {exc}")
                continue
            if reply.refused:
                failures.append(f"module {address} refused {reply.message}")
        if failures:
            raise CommandError(CommandErrorType.HANDLER_EXCEPTION,
                               f"{self.id}: " + "; ".join(failures))

    def _request(self, frame: Any) -> Any:
        """A request event; several are sent before the first is awaited, and one that fails
        before its turn keeps its failure for then (the device layer defuses it)."""
        return self.device.request(frame, self.config["command_timeout_s"])

    def _wait_for_current_to_fall(self) -> Generator:
        deadline = self.env.now + self.config["off_timeout_s"]
        while self.env.now < deadline:
            if self._total_current() < OFF_CURRENT_A:
                self._publish_reading()  # the reading that let it return, on the timeline
                return
            yield self.env.timeout(self.config["poll_interval_s"] / 2)
        self.log("warning", f"output current still {self._total_current():g} A "
                 f"{self.config['off_timeout_s']:g} s after switching off")

    # --- polling --------------------------------------------------------------------------------
    def _read_capabilities(self) -> Generator:
        """Ask the modules for their limits where the protocol can tell them; the configured
        ones fill in the rest. Published before the first reading."""
        asked = {a: self.codec.read_frames(a, CAPABILITIES) for a in self.addresses}
        wanted = self.codec.mapping.capabilities()
        for _attempt in range(self.config["capability_attempts"]):
            if all(k in self.readings[a] for a in self.addresses for k in wanted):
                break
            events = [self._request(f) for frames in asked.values() for f in frames]
            if not events:
                break
            for event in events:
                # A module that is silent is asked again by the next attempt.
                with contextlib.suppress(DeviceError):
                    yield event
        self.capabilities = self._configured_capabilities()
        self.publish("main", "capabilities", self.capabilities)

    def _configured_capabilities(self) -> dict[str, Any]:
        cfg = self.config
        n = len(self.addresses)

        def least(name: str, configured: float) -> float:
            values = [self.readings[a][name] for a in self.addresses if name in self.readings[a]]
            return min(values) if len(values) == n else configured

        return {"max_export_voltage_v": least("max_voltage_v", cfg["max_voltage_v"]),
                "min_export_voltage_v": max([self.readings[a].get("min_voltage_v",
                                                                    cfg["min_voltage_v"])
                                             for a in self.addresses]),
                "max_export_current_a": least("max_current_a", cfg["max_current_a"]) * n,
                "min_export_current_a": 0.0,
                "max_export_power_w": least("max_power_w", cfg["max_power_w"]) * n,
                "current_regulation_tolerance_a": cfg["current_regulation_tolerance_a"],
                "peak_current_ripple_a": cfg["peak_current_ripple_a"],
                "bidirectional": False}

    def _poll(self) -> None:
        names = self.codec.poll_names()
        for address in self.addresses:
            for frame in self.codec.read_frames(address, names):
                self.device.send(frame)

    def _on_frame(self, frame: Decoded) -> None:
        if frame.kind != "reply" or frame.address not in self.readings:
            return
        self.last_heard[frame.address] = self.env.now
        if frame.address in self.lost:
            self.lost.discard(frame.address)
            self.log("info", f"module {frame.address} answers again")
            self._follow_errors()
        values = self.codec.readings(frame)
        if values:
            self.readings[frame.address].update(values)
            if any(name in FAULTS for name in values):
                self._follow_errors()
            if "output_off" in values:
                self._follow_output(frame.address, values["output_off"])

    def _follow_output(self, address: int, off: bool) -> None:
        """While exporting, a module whose output goes off without being told (a lapsed
        keep-alive) is switched on again."""
        if not self.exporting or self.switching or address in self.lost:
            return
        if not off:
            self.seen_on.add(address)
        elif address in self.seen_on and address not in self.reviving:
            self.seen_on.discard(address)
            self.reviving.add(address)
            self.log("warning", f"module {address} switched its output off by itself while "
                     "exporting: switching it on again")
            self.env.process(self._switch_on_again(address))

    def _switch_on_again(self, address: int) -> Generator:
        failure = ""
        try:
            for frame in self.codec.setpoint_frames(address, **self.setpoint, on=True):
                try:
                    reply: Decoded = yield self._request(frame)
                except DeviceError as exc:
                    failure = str(exc)
                    break
                if reply.refused:
                    failure = f"refused {reply.message}"
                    break
        finally:
            self.reviving.discard(address)
        if failure and self.exporting:
            self.dropped[address] = failure
            self._follow_errors()

    def _watch_modules(self) -> None:
        timeout = self.config["module_timeout_s"]
        for address in self.addresses:
            heard = self.last_heard[address]
            silent = self.env.now - (heard if heard is not None else self.started)
            if silent >= timeout and address not in self.lost:
                self.lost.add(address)
                self.log("error", f"module {address} silent for {silent:.1f} s")
                self._follow_errors()

    # --- errors and the safe state ----------------------------------------------------------
    def _active_errors(self) -> dict[str, str]:
        active: dict[str, str] = {}
        if self.link_down is not None:
            active[LOST] = f"CAN channel {self.device.address}: {self.link_down}"
        elif self.lost:
            active[LOST] = f"module(s) {', '.join(map(str, sorted(self.lost)))} on " \
                f"{self.device.address} not answering"
        for address in self.addresses:
            if address in self.lost:
                continue  # its last report is stale
            for name in FAULTS:
                if self.readings[address].get(name):
                    active.setdefault(name, f"module {address} reports {name}")
            if address in self.dropped:
                active.setdefault("HardwareFault", f"module {address} switched its output off "
                                  f"and not on again ({self.dropped[address]})")
        return active

    def _follow_errors(self) -> None:
        active = self._active_errors()
        new = set(active) - self.raised
        for name in sorted(new):
            self.raise_error("main", name, active[name])
        for name in sorted(self.raised - set(active)):
            self.clear_error("main", name)
        self.raised = set(active)
        if new and self.exporting:
            # The safe state: no module may go on delivering alone.
            self.exporting = False
            self.log("error", f"switching every module off: {', '.join(sorted(new))}")
            self._switch_off_answering()
        self._publish_mode()

    def _switch_off_answering(self) -> None:
        for address in self.addresses:
            if address not in self.lost:
                for frame in self.codec.setpoint_frames(address, on=False):
                    self.device.send(frame)

    def _on_link(self, answering: bool, reason: str) -> None:
        if answering:
            if self.link_down is not None:
                self.link_down = None
                self._follow_errors()
        elif self.link_down is None:
            self.link_down = reason
            self.log("error", f"CAN channel {self.device.address}: {reason}")
            self._follow_errors()

    def _on_garbage(self, reason: str) -> None:
        self.log("warning", f"{self.device.address}: frame refused: {reason} "
                 f"({self.device.rejected} so far)")

    # --- publishing -----------------------------------------------------------------------------
    def _mode(self) -> str:
        if self.raised:
            return "Fault"
        return "Export" if self.exporting else "Off"

    def _publish_mode(self) -> None:
        mode = self._mode()
        if mode != self._published_mode:
            self._published_mode = mode
            self.publish("main", "mode", mode)

    def _total_current(self) -> float:
        return sum(self.readings[a].get("current_a", 0.0) for a in self.addresses
                   if a not in self.lost)

    def _publish_reading(self) -> None:
        answering = [a for a in self.addresses if a not in self.lost
                     and "voltage_v" in self.readings[a]]
        if not answering or self.link_down is not None:
            return
        voltage = max(self.readings[a]["voltage_v"] for a in answering)
        current = self._total_current()
        self.publish("main", "voltage_current", {"voltage_v": round(voltage, 2),
                                                 "current_a": round(current, 3),
                                                 "power_w": round(voltage * current, 1)})

    def describe_status(self) -> dict[str, Any]:
        return {"modules": {a: dict(r) for a, r in self.readings.items()},
                "lost": sorted(self.lost), "refused_frames": self.device.rejected}


class InfyPowerSupply(CanPowerSupply):
    vendor = "infypower"


class WinlinePowerSupply(CanPowerSupply):
    vendor = "winline"


class DbcPowerSupply(CanPowerSupply):
    vendor = None

