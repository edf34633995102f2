"""IEC 61851-1 control-pilot facts: duty cycle <-> current, pilot levels and their detection."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from charger.iec61851 import (
    DETECTION_WINDOW_V,
    NOMINAL_LEVEL_V,
    current_from_duty,
    duty_from_current,
    pilot_high_v,
    pilot_low_v,
    state_from_voltage,
)

# Between 51 A and 52.5 A the standard's two tables disagree: a charger's duty for 51 < I <= 52.5 A
# (I / 2.5 + 64) is at most 85 %, where a car reads duty * 0.6, i.e. at most 51 A.
GAP = (51.0, 52.5)


@pytest.mark.parametrize(("amps", "duty"), [(6.0, 10.0), (51.0, 85.0), (80.0, 96.0),
                                            (16.0, 16.0 / 0.6), (32.0, 32.0 / 0.6),
                                            (63.0, 63.0 / 2.5 + 64)])
def test_fixed_points(amps: float, duty: float) -> None:
    assert duty_from_current(amps) == pytest.approx(duty)
    assert current_from_duty(duty) == pytest.approx(amps)


@pytest.mark.parametrize(("amps", "duty"), [(0.0, 10.0), (5.9, 10.0), (81.0, 96.0),
                                            (200.0, 96.0)])
def test_duty_is_clamped_to_the_6_to_80_A_range(amps: float, duty: float) -> None:
    assert duty_from_current(amps) == pytest.approx(duty)


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=6.0, max_value=80.0))
@example(6.0)
@example(51.0)
@example(51.1)
@example(52.5)
@example(80.0)
def test_current_duty_round_trip_within_a_tenth_of_an_amp(amps: float) -> None:
    duty = duty_from_current(amps)
    assert 10.0 - 1e-9 <= duty <= 96.0 + 1e-9
    back = current_from_duty(duty)
    assert back <= amps + 1e-9  # a car never reads more than was offered
    if GAP[0] < amps <= GAP[1]:
        assert back >= 50.6  # the standard's gap: up to 1.5 A less
    else:
        assert back == pytest.approx(amps, abs=0.1)


def test_the_duty_follows_the_standards_two_formulas_with_their_step_at_51_a() -> None:
    # IEC 61851-1 Annex A: A / 0.6 up to 51 A, A / 2.5 + 64 above. The second formula starts
    # at 84.4 %, below the first's 85 %: slightly more current just above 51 A gets a slightly
    # lower duty. Chargers follow the formulas as written, and so does this one.
    assert duty_from_current(51.0) == pytest.approx(85.0)
    assert duty_from_current(51.5) == pytest.approx(51.5 / 2.5 + 64)
    assert duty_from_current(51.5) < duty_from_current(51.0)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.floats(max_value=7.999, allow_nan=False),
                 st.floats(min_value=97.001, allow_nan=False)))
@example(5.0)
@example(0.0)
@example(7.99)
@example(97.01)
@example(100.0)
def test_duty_outside_8_to_97_percent_allows_nothing(duty: float) -> None:
    assert current_from_duty(duty) == 0.0


def test_no_pwm_allows_nothing() -> None:
    assert current_from_duty(None) == 0.0


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=8.0, max_value=97.0))
def test_duty_inside_8_to_97_percent_allows_6_to_80_A(duty: float) -> None:
    assert 6.0 <= current_from_duty(duty) <= 80.0


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=8.0, max_value=97.0), st.floats(min_value=8.0, max_value=97.0))
def test_a_higher_duty_never_allows_less(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert current_from_duty(low) <= current_from_duty(high)


@pytest.mark.parametrize("state", ["A", "B", "C", "D", "E"])
@pytest.mark.parametrize("diode_ok", [True, False])
def test_pilot_level_of_each_state_is_detected_as_that_state(state: str, diode_ok: bool) -> None:
    high = pilot_high_v(state, diode_ok)
    assert abs(high - NOMINAL_LEVEL_V[state]) <= DETECTION_WINDOW_V
    assert state_from_voltage(high) == state


@pytest.mark.parametrize(("state", "volts"), [("A", 12.0), ("B", 9.0), ("C", 6.0), ("D", 3.0),
                                              ("E", 0.0), ("F", -12.0)])
def test_detection_windows_are_plus_minus_one_volt(state: str, volts: float) -> None:
    assert state_from_voltage(volts) == state
    assert state_from_voltage(volts + 0.99) == state
    assert state_from_voltage(volts - 0.99) == state


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-13.0, max_value=13.0))
def test_voltages_between_windows_are_no_state(volts: float) -> None:
    state = state_from_voltage(volts)
    nearest = min(NOMINAL_LEVEL_V.values(), key=lambda level: abs(level - volts))
    if abs(volts - nearest) <= DETECTION_WINDOW_V:
        assert state is not None and NOMINAL_LEVEL_V[state] == nearest
    else:
        assert state is None


@pytest.mark.parametrize("state", ["B", "C", "D"])
def test_the_negative_level_shows_a_shorted_diode(state: str) -> None:
    assert pilot_low_v(state, diode_ok=True) == -12.0
    assert pilot_low_v(state, diode_ok=False) > -10.5
