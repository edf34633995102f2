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


# --- the charger's pilot rules --------------------------------------------------------------
# Pure decisions the EVSE manager takes from the pilot (its state machine applies them).
PILOT_ERROR_STATES = ("E", "F")  # short to earth / no car network: no session can go on
CHARGING_PILOT_STATES = ("C", "D")  # the car asks for power (D: with ventilation)


def pilot_substate(cp_state: str, duty_pct: float | None) -> str:
    """The standard's x1/x2 naming: ``B1`` (+9 V, no PWM: the charger is not ready), ``B2``
    (PWM on: ready), likewise A, C and D; E and F have no sub-state."""
    if cp_state in PILOT_ERROR_STATES:
        return cp_state
    return f"{cp_state}{'2' if duty_pct is not None else '1'}"


def offers_current(duty_pct: float | None) -> bool:
    """Does this duty let the car draw (8-97 %), as opposed to no PWM or 5 % (digital only)?"""
    return current_from_duty(duty_pct) > 0.0


def may_close_contactors(cp_state: str, duty_pct: float | None, locked: bool) -> bool:
    """Power only to a car asking for it (C or D) under a PWM that offers current (x2), behind
    a locked plug (``locked`` is true where there is no lock to ask)."""
    return cp_state in CHARGING_PILOT_STATES and offers_current(duty_pct) and locked


def unplug_seen(previous: str, cp_state: str) -> bool:
    """A change of pilot state that ends the session: the car's network is gone (state A)."""
    return cp_state == "A" and previous != "A"


def plug_seen(previous: str, cp_state: str, session_open: bool) -> bool:
    """A change of pilot state that starts a session: a car network (B, C or D) after A, or
    after a pilot error that began with no session open."""
    if cp_state not in ("B", "C", "D"):
        return False
    return previous == "A" or (previous in PILOT_ERROR_STATES and not session_open)
