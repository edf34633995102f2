"""The DC power path as a pure model: supply, output contactors, cable, car contactors, battery.

No bus and no clock of its own: whoever owns a ``DcPowerPath`` sets its switches and calls
``advance(dt)`` with the time that passed (the simulated DC hardware module on the simpy clock,
later a bench emulator). Between two calls every input is constant, and ``advance`` is exact for
any ``dt``: the voltage ramp is piecewise linear and computed in closed form, so a large step
gives the same trajectory as many small ones.

The circuit::

    supply -- output contactors --+-- cable -- car contactors -- battery (OCV + R)
    (CC/CV, ramped)   (feedback)  |
                                  +-- insulation to PE (IMD); over-voltage monitor

- The supply ramps its voltage reference up at ``fast_v_per_s`` while far from the target and at
  ``slow_v_per_s`` within ``slow_band_v`` of it, never past it, and lowers it at once. Its
  current rises at ``current_a_per_s`` and falls at once.
- With the battery connected the supply regulates like any CC/CV source: the current is the
  least of its limit, the power limit at the terminal voltage and what the voltage reference
  pushes through the battery's resistance; the terminal voltage is OCV + I * R. It cannot sink
  current, so a reference below the battery's voltage gives no current, and the output then shows
  the battery's voltage.
- With the battery disconnected the only load is the insulation: a hard insulation fault with a
  low current limit (2 A in the cable check) holds the voltage down at I * R_insulation.
- The over-voltage monitor, while monitoring, trips when the output exceeds its limit: the output
  is inhibited and the output contactors are commanded open until it is reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.car.battery import current_at_power

# A supply whose regulation runs away (an injected fault) climbs until something stops it, but
# not past what its hardware can make at all.
RUNAWAY_CEILING = 1.25


@dataclass(frozen=True)
class SupplyLimits:
    max_voltage_v: float = 1000.0
    min_voltage_v: float = 150.0
    max_current_a: float = 500.0
    min_current_a: float = 0.0
    max_power_w: float = 150_000.0


@dataclass(frozen=True)
class RampRates:
    fast_v_per_s: float = 1000.0
    slow_v_per_s: float = 250.0
    slow_band_v: float = 50.0
    current_a_per_s: float = 200.0


def ramp_voltage(present_v: float, target_v: float, dt: float, rates: RampRates) -> float:
    """The voltage reference ``dt`` seconds on: fast far from the target, slow near it, never
    past it; a lower target is taken at once."""
    if target_v <= present_v:
        return target_v
    fast_span = max(target_v - present_v - rates.slow_band_v, 0.0)
    fast_time = fast_span / rates.fast_v_per_s
    if dt <= fast_time:
        return present_v + rates.fast_v_per_s * dt
    return min(target_v, present_v + fast_span + rates.slow_v_per_s * (dt - fast_time))


def ramp_time(present_v: float, target_v: float, rates: RampRates) -> float:
    """How long the reference takes from ``present_v`` to ``target_v`` (0 for a step down)."""
    if target_v <= present_v:
        return 0.0
    gap = target_v - present_v
    fast_span = max(gap - rates.slow_band_v, 0.0)
    return fast_span / rates.fast_v_per_s + (gap - fast_span) / rates.slow_v_per_s


def ramp_current(present_a: float, target_a: float, dt: float, rates: RampRates) -> float:
    if target_a <= present_a:
        return target_a
    return min(target_a, present_a + rates.current_a_per_s * dt)


def power_limited_current(power_w: float, ocv_v: float, resistance_ohm: float) -> float:
    """The current at which (OCV + I R) * I equals ``power_w`` (the battery's own formula)."""
    return current_at_power(power_w, ocv_v, resistance_ohm)


@dataclass
class Supply:
    limits: SupplyLimits = field(default_factory=SupplyLimits)
    rates: RampRates = field(default_factory=RampRates)
    exporting: bool = False
    faulted: bool = False  # an internal fault keeps the output off
    runaway: bool = False  # injected: regulation lost, the reference climbs past the target
    target_v: float = 0.0
    current_limit_a: float = 0.0
    reference_v: float = 0.0  # the ramped voltage the supply regulates to
    current_a: float = 0.0

    def set_target(self, voltage_v: float, current_a: float) -> tuple[float, float]:
        """Take a target within the limits; returns what was taken. A supply regulates no
        lower than its minimum voltage: a lower target (other than 0) is raised to it."""
        lim = self.limits
        self.target_v = 0.0 if voltage_v <= 0 else \
            min(max(voltage_v, lim.min_voltage_v), lim.max_voltage_v)
        self.current_limit_a = min(max(current_a, 0.0), lim.max_current_a)
        return self.target_v, self.current_limit_a


@dataclass
class Contactors:
    commanded_closed: bool = False
    closed: bool = False
    welded: bool = False  # injected: once closed, they stay closed
    stuck_open: bool = False  # injected: they never close

    def settle(self) -> None:
        """Move to the commanded position (after the switching time), as far as the faults let
        them."""
        if self.commanded_closed:
            self.closed = not self.stuck_open
        else:
            self.closed = self.closed and self.welded


@dataclass
class Battery:
    open_circuit_voltage_v: float = 0.0
    internal_resistance_ohm: float = 0.1
    contactors_closed: bool = False  # the car's own contactors
    contactors_welded: bool = False  # injected: once closed, the car's contactors stay closed

    def switch_contactors(self, closed: bool) -> None:
        self.contactors_closed = closed or (self.contactors_closed and self.contactors_welded)


@dataclass
class OverVoltageMonitor:
    monitoring: bool = False
    limit_v: float = 0.0
    tripped: bool = False


@dataclass
class DcPowerPath:
    """The whole DC circuit; the owner sets the switches and calls :meth:`advance`."""

    supply: Supply = field(default_factory=Supply)
    contactors: Contactors = field(default_factory=Contactors)
    battery: Battery = field(default_factory=Battery)
    ovp: OverVoltageMonitor = field(default_factory=OverVoltageMonitor)
    insulation_ohm: float = 10e6  # between the DC lines and PE
    cable_resistance_ohm: float = 0.01
    output_voltage_v: float = 0.0  # at the supply's terminals (what the supply measures)
    cable_voltage_v: float = 0.0  # on the cable, after the output contactors
    energy_wh: float = 0.0  # delivered into the cable since the start

    @property
    def battery_connected(self) -> bool:
        return self.contactors.closed and self.battery.contactors_closed

    @property
    def output_on(self) -> bool:
        supply = self.supply
        return supply.exporting and not supply.faulted and not self.ovp.tripped

    def changing(self) -> bool:
        """True while a ramp is under way, so that the owner advances in small steps."""
        supply = self.supply
        if not self.output_on:
            return False
        if supply.runaway:
            return supply.reference_v < supply.limits.max_voltage_v * RUNAWAY_CEILING
        return supply.reference_v < supply.target_v or \
            supply.current_a < self._current_target() - 1e-9

    def voltage_ramping(self) -> bool:
        supply = self.supply
        return self.output_on and (supply.runaway or supply.reference_v < supply.target_v)

    def settle_time(self) -> float:
        """How long until every ramp under way has ended (inf for a runaway supply)."""
        supply = self.supply
        if not self.changing():
            return 0.0
        if supply.runaway:
            return float("inf")
        voltage_s = ramp_time(supply.reference_v, supply.target_v, supply.rates)
        current_s = max(self._current_target() - supply.current_a, 0.0) \
            / supply.rates.current_a_per_s
        return max(voltage_s, current_s)

    def advance(self, dt: float) -> None:
        """Let ``dt`` seconds pass with the switches as they are."""
        supply = self.supply
        before_v, before_a = self.cable_voltage_v, self.supply.current_a
        if not self.output_on:
            supply.reference_v = 0.0  # immediate step-down (the output is discharged)
        elif supply.runaway:
            supply.reference_v = ramp_voltage(
                supply.reference_v, supply.limits.max_voltage_v * RUNAWAY_CEILING, dt,
                supply.rates)
        else:
            supply.reference_v = ramp_voltage(supply.reference_v, supply.target_v, dt,
                                              supply.rates)
        if self.battery_connected:
            supply.current_a = ramp_current(supply.current_a, self._current_target(), dt,
                                            supply.rates)
        else:  # a leakage current, not a charging current: no ramp
            supply.current_a = self._current_target()
        self._settle_voltages()
        self._check_over_voltage()
        # Trapezoid over the step: exact for a linear ramp, and for constant values.
        self.energy_wh += (before_v * before_a + self.cable_voltage_v * supply.current_a) \
            / 2.0 * dt / 3600.0

    def refresh(self) -> None:
        """Recompute after a switch changed, without time passing."""
        self.advance(0.0)

    def _current_target(self) -> float:
        """The current the supply settles to with the switches and references as they are."""
        supply = self.supply
        if not self.output_on:
            return 0.0
        limit = min(supply.current_limit_a, supply.limits.max_current_a)
        if self.battery_connected:
            ocv = self.battery.open_circuit_voltage_v
            resistance = self.battery.internal_resistance_ohm + self.cable_resistance_ohm
            pushed = max(supply.reference_v - ocv, 0.0) / resistance
            powered = power_limited_current(supply.limits.max_power_w, ocv, resistance)
            return max(min(limit, pushed, powered), 0.0)
        if self.contactors.closed:
            return min(limit, supply.reference_v / self.insulation_ohm)
        return 0.0  # open output: no load at all

    def _settle_voltages(self) -> None:
        supply = self.supply
        if self.battery_connected:
            resistance = self.battery.internal_resistance_ohm + self.cable_resistance_ohm
            terminal = self.battery.open_circuit_voltage_v + supply.current_a * resistance
            self.output_voltage_v = self.cable_voltage_v = terminal
            return
        if self.contactors.closed:
            # Only the insulation loads the output: the current limit may hold the voltage down.
            voltage = min(supply.reference_v, supply.current_limit_a * self.insulation_ohm)
            self.output_voltage_v = self.cable_voltage_v = voltage if self.output_on else 0.0
            return
        self.output_voltage_v = supply.reference_v
        self.cable_voltage_v = self.battery.open_circuit_voltage_v \
            if self.battery.contactors_closed else 0.0

    def _check_over_voltage(self) -> None:
        ovp = self.ovp
        if ovp.monitoring and not ovp.tripped and self.cable_voltage_v > ovp.limit_v:
            ovp.tripped = True
            self.contactors.commanded_closed = False
            self.supply.reference_v = 0.0
            self.supply.current_a = 0.0
            self._settle_voltages()
