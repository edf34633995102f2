"""SimBoard: the physics of one plug, shared by the charger's side and the car's side.

The pilot voltage follows from the charger's generator (+12 V, PWM, or -12 V) and the car's
network (IEC 61851-1 resistors behind a diode); the current that flows is what the car draws,
on the phases both the car and the closed contactors connect, while the supply is up. The meter
integrates energy exactly between changes (current is piecewise constant in this model) and
publishes a reading on every change of current as well as every ``meter_interval_s``, before the
board reports the change that caused it: whoever reads the meter at an event sees the exact
register.

The board is powered by the supply it switches: when the grid fails it loses power, as a real
board does: its contactors drop out, its pilot generator stops (0 V) and it reports
``PowerLoss`` (from its hold-up supply) until the grid returns; then it starts again from its
reset state (pilot +12 V without PWM, contactors open) and reports the pilot state it sees.

Hardware faults a scenario can inject (``control.set_fault``): welded contactors stay closed when
told to open; a jammed lock does not move (``ConnectorLockFailedLock``/``...Unlock``); a silent
meter publishes nothing and refuses reads (``CommunicationFault``).
"""

from __future__ import annotations

from collections.abc import Generator

from charger.framework import CommandError, CommandErrorType, Module, command
from charger.iec61851 import pilot_high_v, pilot_low_v, state_from_voltage

DIODE_FAULT_LOW_V = -10.5  # a healthy diode keeps the negative peak near -12 V


class SimBoard(Module):
    def init(self) -> None:
        self.grid = self.require("grid")
        self.supply = {"voltage_v": 230.0, "frequency_hz": 50.0, "available": False}
        self.pilot: str | float = "off"  # "off" (+12 V), duty %, or "F" (-12 V)
        self.ev_state = "A"
        self.diode_ok = True
        self.detected: str | None = None
        self.relays_closed = False
        self.relay_phases = self.config["phases"]
        self._relay_target = False
        self._relay_moves = 0
        self.ev_draw_a = 0.0
        self.ev_phases = 1
        self.rcd_ma = 0.0
        self.rcd_dc = False
        self.rcd_tripped: str | None = None
        self.diode_fault = False
        self.current = [0.0, 0.0, 0.0]
        self.voltage = [0.0, 0.0, 0.0]
        self.energy_wh = [0.0, 0.0, 0.0]
        self._since = 0.0
        self._last_measurement: dict | None = None
        self._metered_current = [0.0, 0.0, 0.0]  # current of the last meter reading
        self.powered = True
        self.welded = False
        self.lock_jammed = False
        self.meter_silent = False
        self.lock_position = False  # locked
        self.lock_errors: set[str] = set()
        self.grid.subscribe("supply", self._on_supply)

    def ready(self) -> Generator:
        self.publish("board", "capabilities", {
            "max_current_a": float(self.config["max_current_a"]), "min_current_a": 6.0,
            "max_phase_count": self.config["phases"], "min_phase_count": 1})
        self.publish("lock", "locked", False)
        self._refresh()
        while True:
            self._publish_meter()
            yield self.env.timeout(self.config["meter_interval_s"])

    # --- the charger's side ------------------------------------------------------------------
    @command("board", "enable")
    def enable(self, value: bool) -> None:
        self.pilot = "off" if value else "F"
        self._refresh()

    @command("board", "pwm_on")
    def pwm_on(self, duty_cycle_pct: float) -> None:
        self.pilot = float(duty_cycle_pct)
        self._refresh()

    @command("board", "pwm_off")
    def pwm_off(self) -> None:
        self.pilot = "off"
        self._refresh()

    @command("board", "pwm_f")
    def pwm_f(self) -> None:
        self.pilot = "F"
        self._refresh()

    @command("board", "allow_power_on")
    def allow_power_on(self, value: bool, phase_count: int) -> None:
        self.relay_phases = min(phase_count, self.config["phases"])
        if value == self._relay_target:
            return
        self._relay_target = value
        self._relay_moves += 1
        move = self._relay_moves
        delay = self.config["relay_close_delay_s" if value else "relay_open_delay_s"]

        def switch() -> Generator:
            yield self.env.timeout(delay)
            if move == self._relay_moves and self.powered and not (self.welded and not value):
                self._switch_relays(value)

        self.start(switch())

    def _switch_relays(self, closed: bool) -> None:
        self.relays_closed = closed
        if closed:
            self.publish("board", "event", {"event": "PowerOn"})
            self._refresh()
        else:
            self._refresh()  # the meter reading of the current stopping comes first
            self.publish("board", "event", {"event": "PowerOff"})

    @command("rcd", "reset")
    def rcd_reset(self) -> bool:
        if self.rcd_tripped is None:
            return True
        if self._rcd_over_threshold():
            return False
        self.clear_error("rcd", self.rcd_tripped)
        self.rcd_tripped = None
        return True

    @command("lock", "lock")
    def lock(self) -> Generator:
        yield self.env.timeout(self.config["lock_delay_s"])
        self._move_lock(True, "ConnectorLockFailedLock")

    @command("lock", "unlock")
    def unlock(self) -> Generator:
        yield self.env.timeout(self.config["lock_delay_s"])
        self._move_lock(False, "ConnectorLockFailedUnlock")

    def _move_lock(self, locked: bool, failure: str) -> None:
        # A new command supersedes the failure of the opposite one.
        other = "ConnectorLockFailedUnlock" if locked else "ConnectorLockFailedLock"
        if other in self.lock_errors:
            self.lock_errors.discard(other)
            self.clear_error("lock", other)
        if self.lock_jammed and self.lock_position != locked:
            if failure not in self.lock_errors:
                self.lock_errors.add(failure)
                self.raise_error("lock", failure, "the lock motor did not move")
        else:
            self.lock_position = locked
            if failure in self.lock_errors:
                self.lock_errors.discard(failure)
                self.clear_error("lock", failure)
        self.publish("lock", "locked", self.lock_position)

    # --- hardware faults a scenario injects --------------------------------------------------
    @command("control", "set_fault")
    def set_fault(self, fault: str, active: bool) -> None:
        if fault == "welded_contactor":
            self.welded = active
            if not active and self.relays_closed and not self._relay_target:
                self._switch_relays(False)  # freed: the contactor follows its last command
        elif fault == "lock_jammed":
            self.lock_jammed = active
        elif fault == "meter_silent" and active != self.meter_silent:
            self.meter_silent = active
            if active:
                self.raise_error("meter", "CommunicationFault", "the meter does not answer")
            else:
                self.clear_error("meter", "CommunicationFault")
                self._publish_meter()

    # --- the car's side ----------------------------------------------------------------------
    @command("ev_board", "set_cp_state")
    def set_cp_state(self, cp_state: str) -> None:
        self.ev_state = cp_state
        self._refresh()

    @command("ev_board", "diode_fail")
    def diode_fail(self, value: bool) -> None:
        self.diode_ok = not value
        self._refresh()

    @command("ev_board", "set_ac_draw")
    def set_ac_draw(self, current_a: float, phases: int) -> None:
        self.ev_draw_a = float(current_a)
        self.ev_phases = phases
        self._refresh()

    @command("ev_board", "set_rcd_current")
    def set_rcd_current(self, current_ma: float, dc: bool) -> None:
        self.rcd_ma = float(current_ma)
        self.rcd_dc = dc
        self._refresh()

    # --- physics -------------------------------------------------------------------------------
    def _on_supply(self, supply: dict) -> None:
        self.supply = supply
        powered = bool(supply["available"])
        if powered == self.powered:
            self._refresh()
            return
        self.powered = powered
        if not powered:
            # The coils lose their supply: the contactors drop out whatever was commanded.
            # The loss is reported first (from the hold-up supply): the contactors dropping
            # out is its consequence, not a reason of its own.
            self.raise_error("board", "PowerLoss", "supply lost: the board is unpowered")
            self._relay_target = False
            self._relay_moves += 1
            if self.relays_closed:
                self._switch_relays(False)
            self._refresh()
        else:
            # Power-on reset: the generator starts at +12 V without PWM, contactors open.
            self.pilot = "off"
            self.detected = None
            self._refresh()
            self.clear_error("board", "PowerLoss")

    def _refresh(self) -> None:
        """Recompute everything that follows from the switches, and report what changed."""
        self._integrate()
        pwm = isinstance(self.pilot, float) and self.powered
        if not self.powered:
            high = 0.0  # no generator: the pilot line is dead
        elif self.pilot == "F":
            high = -12.0
        else:
            high = pilot_high_v(self.ev_state, self.diode_ok)
        detected = state_from_voltage(high) if self.powered else None

        live = self.relays_closed and bool(self.supply["available"])
        volts = float(self.supply["voltage_v"]) if live else 0.0
        phases = min(self.ev_phases, self.relay_phases)
        drawing = live and self.ev_state in ("C", "D")
        self.voltage = [volts if p < self.relay_phases else 0.0 for p in range(3)]
        self.current = [self.ev_draw_a if drawing and p < phases else 0.0 for p in range(3)]
        if self.current != self._metered_current:
            self._publish_meter()  # before the event that explains it: readers see it exact

        if detected is not None and detected != self.detected:
            self.detected = detected
            self.publish("board", "event", {"event": detected})

        # Only a car network (B, C, D) has a diode to judge: E is a short, A no car at all.
        diode_fault = pwm and self.ev_state in ("B", "C", "D") and \
            pilot_low_v(self.ev_state, self.diode_ok) > DIODE_FAULT_LOW_V
        if diode_fault != self.diode_fault:
            self.diode_fault = diode_fault
            if diode_fault:
                self.raise_error("board", "DiodeFault", "negative pilot peak above -10.5 V")
            else:
                self.clear_error("board", "DiodeFault")

        self._check_rcd()

        measurement = {
            "cp_state": (detected or self.detected or "A") if self.powered else "E",
            "cp_voltage_v": round(high, 3),
            "pwm_duty_pct": self.pilot if pwm else None,
            "relays_closed": self.relays_closed,
            "current_a": list(self.current), "voltage_v": list(self.voltage),
        }
        if measurement != self._last_measurement:
            self._last_measurement = measurement
            self.publish("ev_board", "measurement", measurement)

    def _rcd_over_threshold(self) -> bool:
        limit = self.config["rcd_trip_dc_ma" if self.rcd_dc else "rcd_trip_ac_ma"]
        return self.relays_closed and self.rcd_ma >= limit

    def _check_rcd(self) -> None:
        if self.rcd_tripped is None and self._rcd_over_threshold():
            self.rcd_tripped = "DC" if self.rcd_dc else "AC"
            self.publish("rcd", "rcd_current_ma", self.rcd_ma)
            self.raise_error("rcd", self.rcd_tripped, f"residual current {self.rcd_ma:g} mA")

    def _integrate(self) -> None:
        now = self.env.now
        hours = (now - self._since) / 3600.0
        if hours > 0:
            for p in range(3):
                self.energy_wh[p] += self.voltage[p] * self.current[p] * hours
        self._since = now

    @command("meter", "read")
    def read_meter(self) -> dict:
        if self.meter_silent:
            raise CommandError(CommandErrorType.TIMEOUT, "the meter does not answer")
        return self._publish_meter()

    def _publish_meter(self) -> dict:
        self._integrate()
        self._metered_current = list(self.current)
        power = [v * i for v, i in zip(self.voltage, self.current)]

        def per_phase(values: list[float], total: float, digits: int) -> dict:
            return {"total": round(total, digits), "L1": round(values[0], digits),
                    "L2": round(values[1], digits), "L3": round(values[2], digits)}

        reading = {
            "meter_id": self.config["meter_id"],
            "energy_wh_import": per_phase(self.energy_wh, sum(self.energy_wh), 3),
            "power_w": per_phase(power, sum(power), 2),
            "current_a": per_phase(self.current, sum(self.current), 3),
            "voltage_v": per_phase(self.voltage, max(self.voltage), 2),
            "frequency_hz": float(self.supply["frequency_hz"]),
        }
        if not self.meter_silent:
            self.publish("meter", "powermeter", reading)
        return reading
