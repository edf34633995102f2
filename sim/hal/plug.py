"""The physics of one plug, as a pure model: no clock, no bus, no I/O.

The pilot voltage follows from the charger's generator (+12 V, PWM, or -12 V) and the car's
network (IEC 61851-1 resistors behind a diode); the current that flows is what the car draws, on
the phases both the car and the closed contactors connect, while the supply is up. The meter
integrates energy exactly between changes (current is piecewise constant in this model).

Whoever hosts the model sets its switches (the charger's side: pilot and relays; the car's side:
its pilot state, diode, draw and leak; the supply), then calls :meth:`Plug.settle` with the time
now and reports what :class:`Settled` says changed. The simulated board (``SimBoard``) reports it
on the bus; the bench board emulator (``hil/emulators/board.py``) reports it on the board's wire
protocol. Both therefore show a car the same plug.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from charger.iec61851 import pilot_high_v, pilot_low_v, state_from_voltage

DIODE_FAULT_LOW_V = -10.5  # a healthy diode keeps the negative peak near -12 V


@dataclass
class Settled:
    """What changed in one :meth:`Plug.settle`, in the order a board reports it."""

    current_changed: bool = False  # report a meter reading first: readers then see it exact
    detected: str | None = None  # a newly detected pilot state (A-F)
    diode_fault: bool | None = None  # the diode-fault judgement changed to this
    rcd_tripped: str | None = None  # the RCD just tripped: "AC" or "DC"
    measurement: dict | None = None  # the car's side measures something new


@dataclass
class Plug:
    """One plug: charger side, car side, contactors, RCD and meter."""

    phases: int = 3  # phases the charger's contactors switch
    rcd_trip_ac_ma: float = 30.0
    rcd_trip_dc_ma: float = 6.0
    # The charger's side.
    pilot: str | float = "off"  # "off" (+12 V), duty %, or "F" (-12 V)
    relays_closed: bool = False
    relay_phases: int = 3
    # The car's side.
    ev_state: str = "A"
    diode_ok: bool = True
    ev_draw_a: float = 0.0
    ev_phases: int = 1
    rcd_ma: float = 0.0
    rcd_dc: bool = False
    # The supply, and whether the board it feeds is powered.
    supply: dict = field(default_factory=lambda: {"voltage_v": 230.0, "frequency_hz": 50.0,
                                                  "available": False})
    powered: bool = True
    # What follows (kept between settles to report changes only).
    detected: str | None = None
    diode_fault: bool = False
    rcd_tripped: str | None = None
    current: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    voltage: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    energy_wh: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    since: float = 0.0  # when energy was last integrated
    metered_current: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    last_measurement: dict | None = None

    def __post_init__(self) -> None:
        self.relay_phases = self.phases

    # --- what follows from the switches ---------------------------------------------------------
    @property
    def pwm(self) -> bool:
        return isinstance(self.pilot, float) and self.powered

    def pilot_high_v(self) -> float:
        if not self.powered:
            return 0.0  # no generator: the pilot line is dead
        if self.pilot == "F":
            return -12.0
        return pilot_high_v(self.ev_state, self.diode_ok)

    def pilot_low_v(self) -> float:
        """The negative peak of the PWM (what diode detection reads); the high level without
        PWM."""
        if not self.pwm:
            return self.pilot_high_v()
        return pilot_low_v(self.ev_state, self.diode_ok)

    def rcd_over_threshold(self) -> bool:
        limit = self.rcd_trip_dc_ma if self.rcd_dc else self.rcd_trip_ac_ma
        return self.relays_closed and self.rcd_ma >= limit

    def settle(self, now: float) -> Settled:
        """Recompute everything that follows from the switches at time ``now``."""
        self.integrate(now)
        out = Settled()
        high = self.pilot_high_v()
        detected = state_from_voltage(high) if self.powered else None

        live = self.relays_closed and bool(self.supply["available"])
        volts = float(self.supply["voltage_v"]) if live else 0.0
        phases = min(self.ev_phases, self.relay_phases)
        drawing = live and self.ev_state in ("C", "D")
        self.voltage = [volts if p < self.relay_phases else 0.0 for p in range(3)]
        self.current = [self.ev_draw_a if drawing and p < phases else 0.0 for p in range(3)]
        out.current_changed = self.current != self.metered_current

        if detected is not None and detected != self.detected:
            self.detected = detected
            out.detected = detected

        # Only a car network (B, C, D) has a diode to judge: E is a short, A no car at all.
        diode_fault = self.pwm and self.ev_state in ("B", "C", "D") and \
            pilot_low_v(self.ev_state, self.diode_ok) > DIODE_FAULT_LOW_V
        if diode_fault != self.diode_fault:
            self.diode_fault = diode_fault
            out.diode_fault = diode_fault

        if self.rcd_tripped is None and self.rcd_over_threshold():
            self.rcd_tripped = "DC" if self.rcd_dc else "AC"
            out.rcd_tripped = self.rcd_tripped

        measurement = {
            "cp_state": (detected or self.detected or "A") if self.powered else "E",
            "cp_voltage_v": round(high, 3),
            "pwm_duty_pct": self.pilot if self.pwm else None,
            "relays_closed": self.relays_closed,
            "current_a": list(self.current), "voltage_v": list(self.voltage),
        }
        if measurement != self.last_measurement:
            self.last_measurement = measurement
            out.measurement = measurement
        return out

    def rcd_reset(self) -> bool:
        """Re-arm a tripped RCD; false while the residual current is still over its limit."""
        if self.rcd_tripped is None:
            return True
        if self.rcd_over_threshold():
            return False
        self.rcd_tripped = None
        return True

    def power_restored(self) -> None:
        """Power-on reset: the generator starts at +12 V without PWM, nothing detected yet."""
        self.pilot = "off"
        self.detected = None

    # --- the meter ------------------------------------------------------------------------------
    def integrate(self, now: float) -> None:
        hours = (now - self.since) / 3600.0
        if hours > 0:
            for p in range(3):
                self.energy_wh[p] += self.voltage[p] * self.current[p] * hours
        self.since = now

    def meter_reading(self, now: float, meter_id: str) -> dict:
        """The board's meter reports a reading now (a ``powermeter`` value): a later change of
        current is new to it."""
        self.metered_current = list(self.current)
        return self.reading(now, meter_id)

    def reading(self, now: float, meter_id: str) -> dict:
        """What a meter on this plug reads now, without being the board's report (another
        meter on the same plug)."""
        self.integrate(now)
        power = [v * i for v, i in zip(self.voltage, self.current)]

        def per_phase(values: list[float], total: float, digits: int) -> dict:
            return {"total": round(total, digits), "L1": round(values[0], digits),
                    "L2": round(values[1], digits), "L3": round(values[2], digits)}

        return {
            "meter_id": meter_id,
            "energy_wh_import": per_phase(self.energy_wh, sum(self.energy_wh), 3),
            "power_w": per_phase(power, sum(power), 2),
            "current_a": per_phase(self.current, sum(self.current), 3),
            "voltage_v": per_phase(self.voltage, max(self.voltage), 2),
            "frequency_hz": float(self.supply["frequency_hz"]),
        }
