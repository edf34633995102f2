"""SimBoard: the physics of one plug, shared by the charger's side and the car's side.

The physics (pilot levels, current, RCD, meter) is the pure model ``sim.hal.plug.Plug``, which
the bench board emulator shares; this module puts it on the bus. The meter publishes a reading
on every change of power (of current, or of the supply's voltage while current flows) as well as
every ``meter_interval_s``, before the board reports the change that caused it: whoever reads
the meter at an event sees the exact register, and between two readings the power is the
earlier one's, so the register rises linearly from it (the report draws energy that way).
``meter_interval_s`` is 1 s by default; a fleet scenario may set 60 s (``module_config``): the
readings at changes keep every figure exact, only fewer periodic rows are recorded.

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
from sim.hal.plug import DIODE_FAULT_LOW_V, Plug

__all__ = ["DIODE_FAULT_LOW_V", "SimBoard"]


def _plug_state(name: str) -> property:
    """An attribute of the board that is the plug model's."""
    return property(lambda self: getattr(self.plug, name),
                    lambda self, value: setattr(self.plug, name, value))


class SimBoard(Module):
    supply = _plug_state("supply")
    pilot = _plug_state("pilot")  # "off" (+12 V), duty %, or "F" (-12 V)
    ev_state = _plug_state("ev_state")
    diode_ok = _plug_state("diode_ok")
    detected = _plug_state("detected")
    relays_closed = _plug_state("relays_closed")
    relay_phases = _plug_state("relay_phases")
    ev_draw_a = _plug_state("ev_draw_a")
    ev_phases = _plug_state("ev_phases")
    rcd_ma = _plug_state("rcd_ma")
    rcd_dc = _plug_state("rcd_dc")
    rcd_tripped = _plug_state("rcd_tripped")
    diode_fault = _plug_state("diode_fault")
    current = _plug_state("current")
    voltage = _plug_state("voltage")
    energy_wh = _plug_state("energy_wh")
    powered = _plug_state("powered")

    def init(self) -> None:
        self.grid = self.require("grid")
        self.plug = Plug(self.config["phases"], self.config["rcd_trip_ac_ma"],
                         self.config["rcd_trip_dc_ma"])
        self._relay_target = False
        self._relay_moves = 0
        self.welded = False
        self.lock_jammed = False
        self.meter_silent = False
        self.lock_position = False  # locked
        self.lock_errors: set[str] = set()
        self._metered_power: list[float] = [0.0, 0.0, 0.0]  # at the last reading
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
        tripped = self.rcd_tripped
        if not self.plug.rcd_reset():
            return False
        if tripped is not None:
            self.clear_error("rcd", tripped)
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
            self.plug.power_restored()
            self._refresh()
            self.clear_error("board", "PowerLoss")

    def _refresh(self) -> None:
        """Recompute everything that follows from the switches, and report what changed."""
        settled = self.plug.settle(self.env.now)
        if settled.current_changed or self._power() != self._metered_power:
            self._publish_meter()  # before the event that explains it: readers see it exact
        if settled.detected is not None:
            self.publish("board", "event", {"event": settled.detected})
        if settled.diode_fault is True:
            self.raise_error("board", "DiodeFault", "negative pilot peak above -10.5 V")
        elif settled.diode_fault is False:
            self.clear_error("board", "DiodeFault")
        if settled.rcd_tripped is not None:
            self.publish("rcd", "rcd_current_ma", self.rcd_ma)
            self.raise_error("rcd", settled.rcd_tripped, f"residual current {self.rcd_ma:g} mA")
        if settled.measurement is not None:
            self.publish("ev_board", "measurement", settled.measurement)

    @command("meter", "read")
    def read_meter(self) -> dict:
        if self.meter_silent:
            raise CommandError(CommandErrorType.TIMEOUT, "the meter does not answer")
        return self._publish_meter()

    def _power(self) -> list[float]:
        return [v * i for v, i in zip(self.plug.voltage, self.plug.current)]

    def _publish_meter(self) -> dict:
        reading = self.plug.meter_reading(self.env.now, self.config["meter_id"])
        self._metered_power = self._power()
        if not self.meter_silent:
            self.publish("meter", "powermeter", reading)
        return reading
