"""Random sequences of switch changes and time on the pure DC circuit model, with its safety
properties checked after each: no overshoot, currents within their limits, power within the
supply's, nothing flowing from a supply that is off, the over-voltage monitor latched (and the
output inhibited) whenever the output is above its limit, contactors where their command and
faults put them."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sim.hal.dc_physics import DcPowerPath, Supply, SupplyLimits

LIMITS = SupplyLimits(max_voltage_v=1000.0, max_current_a=300.0, max_power_w=120_000.0)
EPS = 1e-6


class DcCircuit(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.path = DcPowerPath(Supply(LIMITS))
        self.path.battery.open_circuit_voltage_v = 380.0
        self.energy_before = 0.0

    @rule(voltage=st.floats(0.0, 1200.0), current=st.floats(0.0, 400.0))
    def set_target(self, voltage: float, current: float) -> None:
        self.path.supply.set_target(voltage, current)
        self.path.refresh()

    @rule(on=st.booleans())
    def set_mode(self, on: bool) -> None:
        self.path.supply.exporting = on
        self.path.refresh()

    @rule(closed=st.booleans())
    def switch_contactors(self, closed: bool) -> None:
        self.path.contactors.commanded_closed = closed
        self._settle()

    @rule(closed=st.booleans())
    def car_contactors(self, closed: bool) -> None:
        self.path.battery.contactors_closed = closed
        self.path.refresh()

    @rule(ocv=st.floats(200.0, 800.0), resistance=st.floats(0.01, 0.5))
    def battery(self, ocv: float, resistance: float) -> None:
        self.path.battery.open_circuit_voltage_v = ocv
        self.path.battery.internal_resistance_ohm = resistance
        self.path.refresh()

    @rule(ohm=st.sampled_from([50.0, 1e3, 90e3, 1e6, 1e7]))
    def insulation(self, ohm: float) -> None:
        self.path.insulation_ohm = ohm
        self.path.refresh()

    @rule(welded=st.booleans(), stuck=st.booleans(), runaway=st.booleans())
    def faults(self, welded: bool, stuck: bool, runaway: bool) -> None:
        self.path.contactors.welded = welded
        self.path.contactors.stuck_open = stuck
        self.path.supply.runaway = runaway
        self.path.refresh()

    @rule(limit=st.sampled_from([550.0, 825.0, 935.0, 1100.0]))
    def ovp_start(self, limit: float) -> None:
        self.path.ovp.monitoring, self.path.ovp.limit_v = True, limit
        self.path.refresh()

    @rule()
    def ovp_reset(self) -> None:
        self.path.ovp.monitoring = self.path.ovp.tripped = False
        self.path.refresh()

    @rule(dt=st.sampled_from([0.001, 0.005, 0.05, 0.3, 2.0, 60.0]))
    def advance(self, dt: float) -> None:
        self.energy_before = self.path.energy_wh
        self.path.advance(dt)
        self._settle()

    def _settle(self) -> None:
        """The contactors follow their command at the end of a switching time, as far as their
        faults let them."""
        c = self.path.contactors
        c.settle()
        self.path.refresh()
        if c.closed:
            assert c.commanded_closed or c.welded
        else:
            assert not c.commanded_closed or c.stuck_open

    @invariant()
    def no_overshoot(self) -> None:
        supply = self.path.supply
        if not supply.runaway:
            assert supply.reference_v <= supply.target_v + EPS

    @invariant()
    def currents_within_limits(self) -> None:
        supply = self.path.supply
        assert 0.0 <= supply.current_a <= min(supply.current_limit_a, LIMITS.max_current_a) + EPS

    @invariant()
    def power_within_the_supply(self) -> None:
        path = self.path
        assert path.cable_voltage_v * path.supply.current_a <= LIMITS.max_power_w * (1 + 1e-9)

    @invariant()
    def nothing_from_a_supply_that_is_off(self) -> None:
        path = self.path
        if not path.output_on:
            assert path.supply.current_a == 0.0
            if not path.battery.contactors_closed:
                assert path.cable_voltage_v == 0.0

    @invariant()
    def over_voltage_is_latched(self) -> None:
        ovp = self.path.ovp
        if ovp.monitoring and self.path.cable_voltage_v > ovp.limit_v:
            assert ovp.tripped
        if ovp.tripped:  # the output stays inhibited until a reset
            assert not self.path.output_on and self.path.supply.current_a == 0.0

    @invariant()
    def energy_never_decreases(self) -> None:
        assert self.path.energy_wh >= self.energy_before - EPS


TestDcCircuit = DcCircuit.TestCase
TestDcCircuit.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)
