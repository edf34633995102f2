"""The DC charging session rules (IEC 61851-23, DIN SPEC 70121, ISO 15118-2) as pure functions.

The EVSE manager calls these; nothing here knows a bus or a clock.

- Cable check voltage: for a car whose maximum voltage is at most 500 V, the lowest of 500 V, the
  car's maximum plus 50 V and the charger's maximum; otherwise the lower of 1.1 times the car's
  maximum and the charger's maximum.
- Cable check: the output current is limited to 2 A; the voltage counts as reached within 10 V of
  the target, and must be reached within 10 s; the insulation is faulty below 100 kOhm (the 2023
  edition has this single level). The whole check should end within 30 s, since some cars give up
  there.
- Pre-charge: the output must be within 20 V of the battery's voltage before the contactors close.
- Over-voltage protection: the limit by the car's voltage class (IEC 61851-23:2023 Table 103).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

CABLE_CHECK_CURRENT_LIMIT_A = 2.0
CABLE_CHECK_VOLTAGE_TOLERANCE_V = 10.0
CABLE_CHECK_VOLTAGE_DEADLINE_S = 10.0
CABLE_CHECK_TARGET_DURATION_S = 30.0
ISOLATION_FAULT_BELOW_OHM = 100_000.0
PRECHARGE_TOLERANCE_V = 20.0

LOW_VOLTAGE_CAR_MAX_V = 500.0  # cars up to this maximum get the fixed cable-check rule
LOW_VOLTAGE_CHECK_V = 500.0
LOW_VOLTAGE_MARGIN_V = 50.0
HIGH_VOLTAGE_FACTOR = 1.1

# (the car's maximum voltage up to, the over-voltage limit): IEC 61851-23:2023 Table 103.
OVER_VOLTAGE_CLASSES: tuple[tuple[float, float], ...] = (
    (500.0, 550.0), (750.0, 825.0), (850.0, 935.0), (1000.0, 1100.0))


class DcRuleError(ValueError):
    """A value no rule covers (a car above the highest voltage class, a negative voltage)."""


def cable_check_voltage(ev_max_voltage_v: float, evse_max_voltage_v: float) -> float:
    """The voltage to test the cable's insulation at."""
    if ev_max_voltage_v <= 0 or evse_max_voltage_v <= 0:
        raise DcRuleError("maximum voltages must be positive")
    if ev_max_voltage_v <= LOW_VOLTAGE_CAR_MAX_V:
        return min(LOW_VOLTAGE_CHECK_V, ev_max_voltage_v + LOW_VOLTAGE_MARGIN_V,
                   evse_max_voltage_v)
    return min(HIGH_VOLTAGE_FACTOR * ev_max_voltage_v, evse_max_voltage_v)


class IsolationLevel(StrEnum):
    """ISO 15118-2 / DIN isolation status as the charger reports it to the car."""

    INVALID = "Invalid"  # no reading yet
    VALID = "Valid"
    FAULT = "Fault"


def isolation_level(resistance_ohm: float | None,
                    fault_below_ohm: float = ISOLATION_FAULT_BELOW_OHM) -> IsolationLevel:
    if resistance_ohm is None:
        return IsolationLevel.INVALID
    return IsolationLevel.FAULT if resistance_ohm < fault_below_ohm else IsolationLevel.VALID


class CableCheckOutcome(StrEnum):
    ONGOING = "ongoing"
    PASSED = "passed"
    VOLTAGE_NOT_REACHED = "voltage_not_reached"
    ISOLATION_FAULT = "isolation_fault"
    OVER_CURRENT = "over_current"


@dataclass(frozen=True)
class CableCheckVerdict:
    outcome: CableCheckOutcome
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.outcome is not CableCheckOutcome.ONGOING


def voltage_reached(target_v: float, present_v: float,
                    tolerance_v: float = CABLE_CHECK_VOLTAGE_TOLERANCE_V) -> bool:
    return abs(present_v - target_v) <= tolerance_v


def cable_check_verdict(target_v: float, present_v: float, present_a: float, elapsed_s: float,
                        resistance_ohm: float | None,
                        voltage_deadline_s: float = CABLE_CHECK_VOLTAGE_DEADLINE_S,
                        fault_below_ohm: float = ISOLATION_FAULT_BELOW_OHM) -> CableCheckVerdict:
    """Judge a cable check from what is measured ``elapsed_s`` after it started.

    It passes once the voltage is within 10 V of the target and a valid isolation reading
    exists; it fails at once on an isolation fault or more than 2 A, and when the voltage is not
    reached by the deadline.
    """
    if present_a > CABLE_CHECK_CURRENT_LIMIT_A:
        return CableCheckVerdict(CableCheckOutcome.OVER_CURRENT,
                                 f"{present_a:g} A above the {CABLE_CHECK_CURRENT_LIMIT_A:g} A "
                                 "limit")
    level = isolation_level(resistance_ohm, fault_below_ohm)
    if level is IsolationLevel.FAULT:
        return CableCheckVerdict(CableCheckOutcome.ISOLATION_FAULT,
                                 f"insulation {resistance_ohm:g} Ohm below {fault_below_ohm:g} Ohm")
    reached = voltage_reached(target_v, present_v)
    if reached and level is IsolationLevel.VALID:
        return CableCheckVerdict(CableCheckOutcome.PASSED)
    if not reached and elapsed_s >= voltage_deadline_s:
        return CableCheckVerdict(CableCheckOutcome.VOLTAGE_NOT_REACHED,
                                 f"{present_v:g} V not within "
                                 f"{CABLE_CHECK_VOLTAGE_TOLERANCE_V:g} V of {target_v:g} V "
                                 f"after {voltage_deadline_s:g} s")
    return CableCheckVerdict(CableCheckOutcome.ONGOING)


def precharge_done(output_v: float, battery_v: float,
                   tolerance_v: float = PRECHARGE_TOLERANCE_V) -> bool:
    """May the contactors to the battery close: is the output within ``tolerance_v`` of it?"""
    return abs(output_v - battery_v) <= tolerance_v


def over_voltage_limit(ev_max_voltage_v: float) -> float:
    """The over-voltage protection limit for a car of this maximum voltage."""
    if ev_max_voltage_v <= 0:
        raise DcRuleError("the car's maximum voltage must be positive")
    for class_max_v, limit_v in OVER_VOLTAGE_CLASSES:
        if ev_max_voltage_v <= class_max_v:
            return limit_v
    raise DcRuleError(f"{ev_max_voltage_v:g} V is above the highest voltage class "
                      f"({OVER_VOLTAGE_CLASSES[-1][0]:g} V)")
