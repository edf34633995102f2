"""SimDcPowerPath: the simulated DC hardware of one connector, on the simpy clock.

It wraps one :class:`~sim.hal.dc_physics.DcPowerPath` (supply, output contactors, cable, the car's
contactors and battery) and provides each piece as the interface a real device's driver provides:
``power_supply`` (power_supply_DC), ``imd`` (isolation_monitor), ``ovp`` (over_voltage_monitor),
``contactors`` (dc_contactors) and ``meter`` (powermeter, on the cable side), plus the car's side
(``ev_dc``, ev_dc_inlet) and fault injection (``control``, dc_simulator). The pieces are one module
because they are one circuit: the isolation monitor sees the supply's voltage through the
contactors, and the over-voltage monitor switches the supply off.

Time: the model is advanced to ``env.now`` whenever something reads or changes it. While a ramp
is under way the module steps every ``tick_s`` (so the over-voltage monitor reacts within a tick);
otherwise it wakes only to publish, every ``publish_interval_s``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from charger.framework import Module, command
from charger.framework.errors import Problem
from sim.hal.dc_external_supply import ReadbackPowerPath, external_supply
from sim.hal.dc_faults import DC_FAULTS
from sim.hal.dc_physics import DcPowerPath, RampRates, Supply, SupplyLimits

# A ramp that ends within this of the last reading waits for the next periodic one.
PUBLISH_DEADBAND_V = 1.0
PUBLISH_DEADBAND_A = 1.0


class SimDcPowerPath(Module):
    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Problem]:
        """Limits that contradict each other."""
        config = instance.config
        problems = []
        for low, high in (("min_voltage_v", "max_voltage_v"), ("min_current_a", "max_current_a")):
            if low in config and config[low] > config.get(high, cls.manifest.config[high]
                                                          ["default"]):
                problems.append(Problem(instance.path, instance.line("config", low)
                                        or instance.line(),
                                        f"{instance.id}: {low} is above {high}"))
        return problems

    def init(self) -> None:
        cfg = self.config
        limits = SupplyLimits(cfg["max_voltage_v"], cfg["min_voltage_v"], cfg["max_current_a"],
                              cfg["min_current_a"], cfg["max_power_w"])
        rates = RampRates(cfg["ramp_fast_v_per_s"], cfg["ramp_slow_v_per_s"],
                          cfg["ramp_slow_band_v"], cfg["current_ramp_a_per_s"])
        # With an external supply (a bench's power modules) the circuit runs on its readback.
        self.external = external_supply(self)
        path = DcPowerPath if self.external is None else ReadbackPowerPath
        self.path = path(Supply(limits, rates), insulation_ohm=cfg["insulation_ohm"],
                         cable_resistance_ohm=cfg["cable_resistance_ohm"])
        self.faults: set[str] = set()
        self._raised: set[tuple[str, str]] = set()
        self._since = 0.0
        self._kick = self.env.event()
        self._contactor_moves = 0
        self._imd_runs = 0  # each start() begins a new measuring run; stop() ends it
        self._published_mode: str | None = None
        self._published_ev: dict | None = None
        self._published_contactors: dict | None = None
        self._published_reading: tuple[float, float] | None = None  # (V, A) last published

    def ready(self) -> Generator:
        limits = self.path.supply.limits
        capabilities = {
            "max_export_voltage_v": limits.max_voltage_v,
            "min_export_voltage_v": limits.min_voltage_v,
            "max_export_current_a": limits.max_current_a,
            "min_export_current_a": limits.min_current_a,
            "max_export_power_w": limits.max_power_w,
            "current_regulation_tolerance_a": self.config["current_regulation_tolerance_a"],
            "peak_current_ripple_a": self.config["peak_current_ripple_a"],
            "bidirectional": False}
        if self.external is None:  # else once the external supply has published its own
            self.publish("power_supply", "capabilities", capabilities)
        self._publish_mode()
        self._publish_contactors()
        self._publish_ev()
        next_publish = next_meter = self.env.now
        was_changing = False
        while True:
            self._advance()
            changing = self.path.changing()
            # Readings at the interval, and as soon as a ramp ends if it moved the output.
            settled = was_changing and not changing and self._moved_since_published()
            if self.env.now >= next_publish or settled:
                if self.external is None:  # else each readback is published as it comes
                    self._publish_telemetry()
                self._publish_ev()
                next_publish = self.env.now + self.config["publish_interval_s"]
            if self.env.now >= next_meter:
                self._meter_reading()
                next_meter = self.env.now + self.config["meter_interval_s"]
            was_changing = changing
            wait = min(next_publish, next_meter) - self.env.now
            if changing:
                # A voltage ramp goes in ticks, so that the over-voltage monitor sees it climb;
                # a current ramp alone is exact in one step to its end.
                step = self.config["tick_s"] if self.path.voltage_ramping() else \
                    self.path.settle_time()
                wait = min(wait, step)
            yield self.env.any_of([self.env.timeout(wait), self._kick])

    def _moved_since_published(self) -> bool:
        last = self._published_reading
        if last is None:
            return True
        return abs(self.path.output_voltage_v - last[0]) >= PUBLISH_DEADBAND_V or \
            abs(self.path.supply.current_a - last[1]) >= PUBLISH_DEADBAND_A

    # --- time ----------------------------------------------------------------------------------
    def _advance(self) -> None:
        """Bring the model to now; react to what happened in it."""
        now = self.env.now
        tripped_before = self.path.ovp.tripped
        self.path.advance(now - self._since)
        self._since = now
        if self.path.ovp.tripped and not tripped_before:
            self._on_over_voltage()

    def _changed(self) -> None:
        """A switch or a reference changed: recompute now and let the loop re-plan its wait."""
        tripped_before = self.path.ovp.tripped
        self.path.refresh()
        if self.path.ovp.tripped and not tripped_before:
            self._on_over_voltage()
        self._publish_ev(only_if_moved=True)
        if self.external is not None:
            self.external.follow()
        if not self._kick.triggered:
            self._kick.succeed()
        self._kick = self.env.event()

    # --- power supply --------------------------------------------------------------------------
    @command("power_supply", "set_mode")
    def set_mode(self, mode: str, phase: str) -> Generator | None:
        self._advance()
        self.path.supply.exporting = mode == "Export"
        self._changed()
        self._publish_mode()
        self._publish_telemetry()
        self._meter_reading()
        return None if self.external is None else self.external.set_mode(phase)

    @command("power_supply", "set_export_voltage_current")
    def set_export_voltage_current(self, voltage_v: float, current_a: float) -> Generator | None:
        self._advance()
        taken = self.path.supply.set_target(voltage_v, current_a)
        if taken != (voltage_v, current_a):
            self.log("warning", f"set_export_voltage_current {voltage_v:g} V {current_a:g} A "
                     f"beyond the capabilities: {taken[0]:g} V {taken[1]:g} A taken")
        self._changed()
        return None if self.external is None else self.external.set_export_voltage_current(*taken)

    def _mode(self) -> str:
        supply = self.path.supply
        if supply.faulted or (self.external is not None and self.external.faulted):
            return "Fault"
        return "Export" if supply.exporting else "Off"

    def _publish_mode(self) -> None:
        mode = self._mode()
        if mode != self._published_mode:
            self._published_mode = mode
            self.publish("power_supply", "mode", mode)

    def _publish_telemetry(self) -> None:
        path = self.path
        self._published_reading = (path.output_voltage_v, path.supply.current_a)
        if "supply_communication" not in self.faults and \
                (self.external is None or self.external.capabilities_known):
            self.publish("power_supply", "voltage_current", {
                "voltage_v": round(path.output_voltage_v, 2),
                "current_a": round(path.supply.current_a, 3),
                "power_w": round(path.output_voltage_v * path.supply.current_a, 1)})

    # --- output contactors ---------------------------------------------------------------------
    @command("contactors", "set_closed")
    def set_closed(self, value: bool) -> Generator:
        self._advance()
        self.path.contactors.commanded_closed = value
        self._publish_contactors()
        move = self._move_contactors()
        yield move
        return self._contactor_state()

    def _move_contactors(self) -> object:
        """Let the contactors follow their command after the switching time."""
        self._contactor_moves += 1
        moves = self._contactor_moves
        closing = self.path.contactors.commanded_closed
        delay = self.config["contactor_close_delay_s" if closing else "contactor_open_delay_s"]

        def switch() -> Generator:
            yield self.env.timeout(delay)
            if moves != self._contactor_moves:
                return  # a later command took over
            self._advance()
            self.path.contactors.settle()
            self._changed()
            self._publish_contactors()
            self._judge_contactors()

        return self.start(switch())

    def _contactor_state(self) -> dict:
        contactors = self.path.contactors
        return {"commanded_closed": contactors.commanded_closed, "closed": contactors.closed}

    def _publish_contactors(self) -> None:
        state = self._contactor_state()
        if state != self._published_contactors:
            self._published_contactors = state
            self.publish("contactors", "state", state)

    def _judge_contactors(self) -> None:
        contactors = self.path.contactors
        self._set_error("contactors", "Welded", not contactors.commanded_closed and
                        contactors.closed, "commanded open, feedback still closed")
        self._set_error("contactors", "DidNotClose", contactors.commanded_closed and
                        not contactors.closed, "commanded closed, feedback still open")

    # --- over-voltage monitor ------------------------------------------------------------------
    @command("ovp", "start")
    def ovp_start(self, over_voltage_limit_v: float) -> None:
        self._advance()
        ovp = self.path.ovp
        ovp.limit_v = float(over_voltage_limit_v)
        ovp.monitoring = "ovp_device" not in self.faults
        self._changed()

    @command("ovp", "stop")
    def ovp_stop(self) -> None:
        self._advance()
        self.path.ovp.monitoring = False

    @command("ovp", "reset_over_voltage_error")
    def ovp_reset(self) -> None:
        self._advance()
        self.path.ovp.monitoring = False
        self.path.ovp.tripped = False
        self._set_error("ovp", "OverVoltage", False)
        self._changed()

    def _on_over_voltage(self) -> None:
        # The hardware has already inhibited the output; the contactors open after their time.
        if self.external is not None:
            self.external.follow()
        self._publish_contactors()
        self._move_contactors()
        self._set_error("ovp", "OverVoltage", True,
                        f"output above {self.path.ovp.limit_v:g} V: switched off")
        self._publish_telemetry()
        self._meter_reading()

    # --- isolation monitor ---------------------------------------------------------------------
    @command("imd", "start")
    def imd_start(self) -> None:
        self._imd_runs += 1
        self.start(self._measure(self._imd_runs))

    @command("imd", "stop")
    def imd_stop(self) -> None:
        self._imd_runs += 1
        self._set_error("imd", "IsolationFault", False)

    @command("imd", "start_self_test")
    def imd_self_test(self) -> Generator:
        yield self.env.timeout(self.config["imd_self_test_s"])
        if "imd_communication" in self.faults:
            return
        self.publish("imd", "self_test_result", "imd_device" not in self.faults)

    def _measure(self, run: int) -> Generator:
        while True:
            yield self.env.timeout(self.config["imd_interval_s"])
            if run != self._imd_runs:
                return
            if self.faults & {"imd_device", "imd_communication"}:
                continue
            self._advance()
            resistance = self.path.insulation_ohm
            self.publish("imd", "isolation_measurement", {
                "resistance_ohm": resistance, "voltage_v": round(self.path.cable_voltage_v, 2)})
            threshold = self.config["imd_fault_threshold_ohm"]
            self._set_error("imd", "IsolationFault", resistance < threshold,
                            f"insulation {resistance:g} Ohm below {threshold:g} Ohm")

    # --- meter (cable side) --------------------------------------------------------------------
    @command("meter", "read")
    def meter_read(self) -> dict:
        self._advance()
        return self._meter_reading()

    def _meter_reading(self) -> dict:
        path = self.path
        power = path.cable_voltage_v * path.supply.current_a
        reading = {
            "meter_id": self.config["meter_id"],
            "energy_wh_import": {"total": round(path.energy_wh, 3)},
            "power_w": {"total": round(power, 2)},
            "current_a": {"total": round(path.supply.current_a, 3)},
            "voltage_v": {"total": round(path.cable_voltage_v, 2)},
        }
        self.publish("meter", "powermeter", reading)
        return reading

    # --- the car's side ------------------------------------------------------------------------
    @command("ev_dc", "set_contactors")
    def ev_set_contactors(self, value: bool) -> None:
        self._advance()
        self.path.battery.switch_contactors(value)
        self._changed()

    @command("ev_dc", "set_battery")
    def ev_set_battery(self, open_circuit_voltage_v: float, internal_resistance_ohm: float) -> None:
        self._advance()
        battery = self.path.battery
        battery.open_circuit_voltage_v = float(open_circuit_voltage_v)
        battery.internal_resistance_ohm = float(internal_resistance_ohm)
        self._changed()

    def _publish_ev(self, only_if_moved: bool = False) -> None:
        """The car's reading: periodically when it changed, and at once when the contactors
        moved or the reading moved by a deadband (``only_if_moved``)."""
        path = self.path
        measurement = {
            "voltage_v": round(path.cable_voltage_v, 1),
            "current_a": round(path.supply.current_a if path.battery_connected else 0.0, 2),
            "contactors_closed": path.battery.contactors_closed}
        last = self._published_ev
        if measurement == last:
            return
        if only_if_moved and last is not None and \
                last["contactors_closed"] == measurement["contactors_closed"] and \
                abs(last["voltage_v"] - measurement["voltage_v"]) < PUBLISH_DEADBAND_V and \
                abs(last["current_a"] - measurement["current_a"]) < PUBLISH_DEADBAND_A:
            return
        self._published_ev = measurement
        self.publish("ev_dc", "measurement", measurement)

    # --- fault injection -----------------------------------------------------------------------
    @command("control", "set_fault")
    def set_fault(self, fault: str, active: bool) -> None:
        self._advance()
        spec = DC_FAULTS[fault]
        if active:
            self.faults.add(fault)
        else:
            self.faults.discard(fault)
        spec.effect(self.path, active)
        if fault == "ovp_device":
            self.path.ovp.monitoring = self.path.ovp.monitoring and not active
        if spec.error is not None:
            self._set_error(spec.impl, spec.error, active, f"injected: {spec.description}")
        self._changed()
        self._publish_mode()

    @command("control", "set_insulation")
    def set_insulation(self, resistance_ohm: float) -> None:
        self._advance()
        self.path.insulation_ohm = float(resistance_ohm)
        self._changed()

    def _set_error(self, impl: str, name: str, active: bool, message: str = "") -> None:
        key = (impl, name)
        if active and key not in self._raised:
            self._raised.add(key)
            self.raise_error(impl, name, message)
        elif not active and key in self._raised:
            self._raised.discard(key)
            self.clear_error(impl, name)
