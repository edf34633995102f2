"""The DC session rules: cable-check voltage and verdict, pre-charge tolerance, over-voltage
classes; worked examples from the rule text and properties over the whole input range."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.dc_rules import (
    CABLE_CHECK_CURRENT_LIMIT_A,
    CableCheckOutcome,
    DcRuleError,
    IsolationLevel,
    cable_check_verdict,
    cable_check_voltage,
    isolation_level,
    over_voltage_limit,
    precharge_done,
)

volts = st.floats(min_value=1.0, max_value=1500.0, allow_nan=False)


@pytest.mark.parametrize(("ev_max", "evse_max", "expected"), [
    (400.0, 1000.0, 450.0),  # car + 50 V
    (460.0, 1000.0, 500.0),  # capped at 500 V
    (500.0, 1000.0, 500.0),
    (400.0, 420.0, 420.0),  # the charger's maximum
    (800.0, 1000.0, 880.0),  # 1.1 x the car
    (950.0, 1000.0, 1000.0),  # the charger's maximum
])
def test_cable_check_voltage_examples(ev_max: float, evse_max: float, expected: float) -> None:
    assert cable_check_voltage(ev_max, evse_max) == pytest.approx(expected)


@settings(max_examples=200)
@given(ev_max=volts, evse_max=volts)
def test_cable_check_voltage_never_above_the_charger_and_covers_the_car(
        ev_max: float, evse_max: float) -> None:
    voltage = cable_check_voltage(ev_max, evse_max)
    assert voltage <= evse_max
    if evse_max >= 1.1 * ev_max and ev_max > 500.0:
        assert voltage == pytest.approx(1.1 * ev_max)
    if ev_max <= 500.0:
        assert voltage <= 500.0
        assert voltage == min(500.0, ev_max + 50.0, evse_max)


@settings(max_examples=200)
@given(a=volts, b=volts, evse_max=volts)
def test_cable_check_voltage_grows_with_the_car(a: float, b: float, evse_max: float) -> None:
    low, high = sorted((a, b))
    assert cable_check_voltage(low, evse_max) <= cable_check_voltage(high, evse_max)


def test_cable_check_refuses_nonsense() -> None:
    with pytest.raises(DcRuleError):
        cable_check_voltage(0.0, 1000.0)


def test_cable_check_verdict_walkthrough() -> None:
    target = 500.0
    assert cable_check_verdict(target, 300.0, 0.0, 1.0, None).outcome is CableCheckOutcome.ONGOING
    # voltage reached, no isolation reading yet: still ongoing
    assert cable_check_verdict(target, 495.0, 0.0, 2.0, None).outcome is CableCheckOutcome.ONGOING
    passed = cable_check_verdict(target, 491.0, 0.01, 3.0, 5e6)
    assert passed.outcome is CableCheckOutcome.PASSED and passed.done
    late = cable_check_verdict(target, 480.0, 0.0, 10.0, 5e6)
    assert late.outcome is CableCheckOutcome.VOLTAGE_NOT_REACHED
    assert "480" in late.reason
    assert cable_check_verdict(target, 500.0, 0.0, 3.0, 99_999.0).outcome is \
        CableCheckOutcome.ISOLATION_FAULT
    assert cable_check_verdict(target, 500.0, 2.5, 3.0, 5e6).outcome is \
        CableCheckOutcome.OVER_CURRENT


@settings(max_examples=300)
@given(target=st.floats(100.0, 1000.0), present=st.floats(0.0, 1100.0),
       current=st.floats(0.0, 5.0), elapsed=st.floats(0.0, 40.0),
       resistance=st.one_of(st.none(), st.floats(0.0, 1e8)))
def test_cable_check_passes_only_on_every_criterion(target: float, present: float,
                                                     current: float, elapsed: float,
                                                     resistance: float | None) -> None:
    verdict = cable_check_verdict(target, present, current, elapsed, resistance)
    criteria = (abs(present - target) <= 10.0 and current <= CABLE_CHECK_CURRENT_LIMIT_A
                and resistance is not None and resistance >= 100_000.0)
    assert (verdict.outcome is CableCheckOutcome.PASSED) == criteria
    # a failure is never declared while the voltage can still come, unless something is wrong
    if verdict.outcome is CableCheckOutcome.VOLTAGE_NOT_REACHED:
        assert elapsed >= 10.0


def test_isolation_levels() -> None:
    assert isolation_level(None) is IsolationLevel.INVALID
    assert isolation_level(100_000.0) is IsolationLevel.VALID
    assert isolation_level(99_999.9) is IsolationLevel.FAULT


@settings(max_examples=200)
@given(output=volts, battery=volts)
def test_precharge_tolerance_is_symmetric_and_20_v(output: float, battery: float) -> None:
    assert precharge_done(output, battery) == precharge_done(battery, output)
    assert precharge_done(output, battery) == (abs(output - battery) <= 20.0)


@pytest.mark.parametrize(("ev_max", "limit"), [
    (400.0, 550.0), (500.0, 550.0), (500.1, 825.0), (750.0, 825.0), (800.0, 935.0),
    (850.0, 935.0), (920.0, 1100.0), (1000.0, 1100.0)])
def test_over_voltage_limit_by_class(ev_max: float, limit: float) -> None:
    assert over_voltage_limit(ev_max) == limit


@settings(max_examples=200)
@given(ev_max=st.floats(1.0, 1000.0))
def test_over_voltage_limit_leaves_ten_percent_headroom(ev_max: float) -> None:
    limit = over_voltage_limit(ev_max)
    assert limit >= 1.1 * ev_max - 1e-9
    assert limit in (550.0, 825.0, 935.0, 1100.0)


def test_over_voltage_limit_above_the_classes() -> None:
    with pytest.raises(DcRuleError, match="highest voltage class"):
        over_voltage_limit(1001.0)
