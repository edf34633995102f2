"""The pure DC circuit model: ramps without overshoot, exact for any step size, the supply's
limits, the coupling of supply, contactors, insulation and battery, and the over-voltage trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.hal.dc_physics import (
    DcPowerPath,
    RampRates,
    Supply,
    SupplyLimits,
    power_limited_current,
    ramp_time,
    ramp_voltage,
)

RATES = RampRates()
voltage = st.floats(0.0, 1000.0, allow_nan=False)


@settings(max_examples=300)
@given(present=voltage, target=voltage, dt=st.floats(0.0, 10.0))
def test_ramp_never_overshoots_and_steps_down_at_once(present: float, target: float,
                                                      dt: float) -> None:
    after = ramp_voltage(present, target, dt, RATES)
    if target <= present:
        assert after == target
    else:
        assert present <= after <= target
        assert after - present <= RATES.fast_v_per_s * dt + 1e-9


@settings(max_examples=300)
@given(present=voltage, target=voltage, a=st.floats(0.0, 2.0), b=st.floats(0.0, 2.0))
def test_ramp_is_exact_for_any_step(present: float, target: float, a: float, b: float) -> None:
    in_two = ramp_voltage(ramp_voltage(present, target, a, RATES), target, b, RATES)
    assert in_two == pytest.approx(ramp_voltage(present, target, a + b, RATES), abs=1e-6)


def test_ramp_rates_far_and_near_the_target() -> None:
    # 0 -> 800 V: 750 V at 1000 V/s, the last 50 V at 250 V/s
    assert ramp_time(0.0, 800.0, RATES) == pytest.approx(0.75 + 0.2)
    assert ramp_voltage(0.0, 800.0, 0.5, RATES) == pytest.approx(500.0)
    assert ramp_voltage(0.0, 800.0, 0.85, RATES) == pytest.approx(775.0)
    # a small step is all near the target
    assert ramp_time(400.0, 420.0, RATES) == pytest.approx(20.0 / 250.0)


@settings(max_examples=100)
@given(present=voltage, target=voltage)
def test_a_large_step_settles_well_within_six_seconds(present: float, target: float) -> None:
    assert ramp_time(present, target, RATES) <= 6.0


def _path(**supply: float) -> DcPowerPath:
    limits = SupplyLimits(**supply) if supply else SupplyLimits()
    return DcPowerPath(Supply(limits, RATES))


def _charge(path: DcPowerPath, ocv: float, target_v: float, limit_a: float) -> None:
    path.battery.open_circuit_voltage_v = ocv
    path.battery.internal_resistance_ohm = 0.1
    path.battery.contactors_closed = True
    path.contactors.commanded_closed = True
    path.contactors.settle()
    path.supply.reference_v = ocv  # pre-charged
    path.supply.set_target(target_v, limit_a)
    path.supply.exporting = True
    for _ in range(400):
        path.advance(0.01)


def test_constant_current_into_the_battery() -> None:
    path = _path()
    _charge(path, ocv=380.0, target_v=450.0, limit_a=100.0)
    assert path.supply.current_a == pytest.approx(100.0)
    assert path.cable_voltage_v == pytest.approx(380.0 + 100.0 * 0.11)
    assert not path.changing()


def test_constant_voltage_when_the_target_is_near_the_battery() -> None:
    path = _path()
    _charge(path, ocv=380.0, target_v=385.0, limit_a=200.0)
    assert path.supply.current_a == pytest.approx(5.0 / 0.11)
    assert path.cable_voltage_v == pytest.approx(385.0)


def test_power_limit_holds_at_the_terminal_voltage() -> None:
    path = _path(max_power_w=50_000.0)
    _charge(path, ocv=400.0, target_v=500.0, limit_a=400.0)
    assert path.cable_voltage_v * path.supply.current_a == pytest.approx(50_000.0, rel=1e-6)


@settings(max_examples=100)
@given(power=st.floats(100.0, 400_000.0), ocv=st.floats(50.0, 1000.0),
       resistance=st.floats(0.0, 1.0))
def test_power_limited_current_solves_the_terminal_power(power: float, ocv: float,
                                                         resistance: float) -> None:
    current = power_limited_current(power, ocv, resistance)
    terminal = ocv + current * resistance if resistance > 0 else max(ocv, 1.0)
    assert terminal * current == pytest.approx(power, rel=1e-6)


def test_current_ramps_up_and_drops_at_once() -> None:
    path = _path()
    _charge(path, ocv=380.0, target_v=450.0, limit_a=10.0)
    path.supply.set_target(450.0, 110.0)
    path.advance(0.25)
    assert path.supply.current_a == pytest.approx(60.0)  # 200 A/s
    path.supply.set_target(450.0, 20.0)
    path.refresh()
    assert path.supply.current_a == pytest.approx(20.0)


def test_supply_cannot_sink_a_battery_above_its_reference() -> None:
    path = _path()
    _charge(path, ocv=400.0, target_v=350.0, limit_a=100.0)
    assert path.supply.current_a == 0.0
    assert path.output_voltage_v == pytest.approx(400.0)  # the battery shows on the output


def test_insulation_fault_with_a_current_limit_holds_the_voltage_down() -> None:
    path = _path()
    path.insulation_ohm = 100.0  # a hard fault
    path.contactors.commanded_closed = True
    path.contactors.settle()
    path.supply.set_target(500.0, 2.0)
    path.supply.exporting = True
    path.advance(2.0)
    assert path.supply.reference_v == 500.0
    assert path.cable_voltage_v == pytest.approx(200.0)  # 2 A through 100 Ohm
    assert path.supply.current_a == pytest.approx(2.0)


def test_welded_contactors_keep_the_battery_on_the_cable() -> None:
    path = _path()
    _charge(path, ocv=390.0, target_v=450.0, limit_a=50.0)
    path.contactors.welded = True
    path.supply.exporting = False
    path.contactors.commanded_closed = False
    path.contactors.settle()
    path.refresh()
    assert path.contactors.closed
    assert path.supply.current_a == 0.0
    assert path.cable_voltage_v == pytest.approx(390.0)
    path.battery.contactors_closed = False
    path.refresh()
    assert path.cable_voltage_v == 0.0


def test_over_voltage_monitor_trips_a_runaway_supply() -> None:
    path = _path()
    path.contactors.commanded_closed = True
    path.contactors.settle()
    path.ovp.monitoring, path.ovp.limit_v = True, 550.0
    path.supply.set_target(450.0, 2.0)
    path.supply.exporting = True
    path.supply.runaway = True
    highest = 0.0
    for _ in range(200):
        path.advance(0.005)
        highest = max(highest, path.cable_voltage_v)
    assert path.ovp.tripped
    assert highest <= 550.0 + 1000.0 * 0.005  # caught within one step
    assert path.cable_voltage_v == 0.0 and not path.contactors.commanded_closed
    assert not path.output_on


def test_energy_is_the_integral_of_power() -> None:
    path = _path()
    _charge(path, ocv=380.0, target_v=450.0, limit_a=100.0)
    before = path.energy_wh
    path.advance(3600.0)
    assert path.energy_wh - before == pytest.approx(391.0 * 100.0, rel=1e-6)
