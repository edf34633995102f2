"""IEC 61851-1 control-pilot facts shared by the charger and the simulated car.

Duty cycle <-> current (Annex A): 10 % = 6 A; 10-85 % (6-51 A): duty = A / 0.6;
85-96 % (51-80 A): duty = A / 2.5 + 64; 5 % asks for digital communication; below 8 % (except
5 %) and above 97 % the car must not draw. Pilot levels: A +12 V, B +9 V, C +6 V, D +3 V, E 0 V,
F -12 V, detected in windows of +-1 V.
"""

from __future__ import annotations

MIN_CURRENT_A = 6.0
MAX_CURRENT_A = 80.0
DIGITAL_COMMUNICATION_DUTY = 5.0

# The car's pilot network (R2 alone for B, R2 || R3 for C, R2 || R3' for D) behind its diode.
EV_RESISTANCE_OHM = {"B": 2740.0, "C": 882.0, "D": 246.0}
SOURCE_RESISTANCE_OHM = 1000.0
SUPPLY_V = 12.0
DIODE_DROP_V = 0.7
NOMINAL_LEVEL_V = {"A": 12.0, "B": 9.0, "C": 6.0, "D": 3.0, "E": 0.0, "F": -12.0}
DETECTION_WINDOW_V = 1.0


def duty_from_current(current_a: float) -> float:
    """PWM duty cycle (%) that offers ``current_a``; clamped to the 6-80 A range."""
    current = min(max(current_a, MIN_CURRENT_A), MAX_CURRENT_A)
    if current <= 51.0:
        return current / 0.6
    return current / 2.5 + 64.0


def current_from_duty(duty_pct: float | None) -> float:
    """Current (A) a car may draw at this duty cycle; 0 when the duty allows no charging."""
    if duty_pct is None or duty_pct < 8.0 or duty_pct > 97.0:
        return 0.0
    if duty_pct < 10.0:
        return MIN_CURRENT_A
    if duty_pct <= 85.0:
        return duty_pct * 0.6
    return min((duty_pct - 64.0) * 2.5, MAX_CURRENT_A)


def pilot_high_v(ev_state: str, diode_ok: bool = True) -> float:
    """Positive pilot level the car's network produces from the +12 V source."""
    if ev_state == "A":
        return SUPPLY_V
    if ev_state == "E":
        return 0.0
    resistance = EV_RESISTANCE_OHM[ev_state]
    drop = DIODE_DROP_V if diode_ok else 0.0
    return (SUPPLY_V - drop) * resistance / (resistance + SOURCE_RESISTANCE_OHM) + drop


def pilot_low_v(ev_state: str, diode_ok: bool = True) -> float:
    """Negative pilot level during the PWM's low half: -12 V unless the diode is shorted."""
    if ev_state == "E":
        return 0.0
    if ev_state == "A" or diode_ok:
        return -SUPPLY_V
    resistance = EV_RESISTANCE_OHM[ev_state]
    return -SUPPLY_V * resistance / (resistance + SOURCE_RESISTANCE_OHM)


def state_from_voltage(high_v: float) -> str | None:
    """The pilot state whose detection window holds ``high_v``, or None between windows."""
    for state, level in NOMINAL_LEVEL_V.items():
        if abs(high_v - level) <= DETECTION_WINDOW_V:
            return state
    return None


# Over-current (Annex A): the car must follow a lower duty within 5 s; what it draws above the
# offer beyond that is an over-current. The tolerance covers measurement error and the car's
# rounding; the EVSE manager trips above it and the run invariants judge against it.
CAR_SETTLE_S = 5.0
OVERCURRENT_MIN_TOLERANCE_A = 1.0
OVERCURRENT_TOLERANCE_SHARE = 0.10


def overcurrent_threshold_a(offered_a: float) -> float:
    """Highest current per phase still within an offer of ``offered_a``: the offer plus 10 %,
    at least 1 A more."""
    return offered_a + max(OVERCURRENT_MIN_TOLERANCE_A, OVERCURRENT_TOLERANCE_SHARE * offered_a)
