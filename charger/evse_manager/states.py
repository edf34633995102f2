"""The EVSE manager's session states and the one table of transitions between them.

The manager holds one :class:`EvseState`; that state is what it publishes. What it learns (a
plug-in, an authorization, the contactors' feedback, a fault, ...) it writes into the session
:class:`Facts`, then :func:`settle` moves the held state along the rows of ``TRANSITIONS``: from
the held state, the first row whose guard holds fires, and so on until none does. Only the
transitions the table declares can happen; docs/evse-manager.md renders the table.

The order of rows matters only where guards of one source overlap: "disabled" before "faulted"
before anything the session does.

Under high-level communication (``Facts.hlc``: AC_HLC or DC, not the basic-charging fallback)
the pilot says nothing about pauses: the PWM is the 5 % of digital communication and the car
goes to B at every PowerDelivery Stop. The car's pause is its SessionStop Pause, the charger's
is its own request, and between the car's PowerDelivery Stop and its SessionStop (welding
detection on DC) the session is still ending its charge: SessionStop then says whether it
finishes or pauses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum


class EvseState(StrEnum):
    DISABLED = "Disabled"
    ERROR = "Error"
    IDLE = "Idle"
    RESERVED = "Reserved"
    WAITING_FOR_AUTHENTICATION = "WaitingForAuthentication"
    PREPARE_CHARGING = "PrepareCharging"
    CHARGING = "Charging"
    CHARGING_PAUSED_EV = "ChargingPausedEV"
    CHARGING_PAUSED_EVSE = "ChargingPausedEVSE"
    FINISHED = "Finished"


@dataclass(frozen=True)
class Facts:
    """What the session knows, as the manager's handlers last wrote it."""

    enabled: bool = True
    faulted: bool = False
    plugged: bool = False
    reserved: bool = False
    transaction: bool = False
    stopped: bool = False  # the transaction was stopped; waiting for the car to leave
    contactors_closed: bool = False  # the board's feedback
    charged: bool = False  # the contactors closed in this transaction
    paused_by_evse: bool = False
    pwm_offered: bool = False  # a PWM duty is on (x2)
    car_in_b: bool = False  # the car's pilot network is in B (it does not ask for power)
    hlc: bool = False  # high-level communication decides pauses and ends (not the pilot)
    hlc_ending: bool = False  # HLC: the car's PowerDelivery Stop seen, its SessionStop not yet
    hlc_paused_by_ev: bool = False  # HLC: the car paused the session (SessionStop Pause)


@dataclass(frozen=True)
class Guard:
    name: str  # what the docs show
    holds: Callable[[Facts], bool]


def _evse_paused(f: Facts) -> bool:
    # The charger paused, or (basic charging) withdrew the PWM after the car had charged.
    return f.paused_by_evse or (not f.hlc and f.charged and not f.pwm_offered)


def _ev_paused(f: Facts) -> bool:
    # The car paused after charging: back in B (basic charging), SessionStop Pause (HLC).
    return f.charged and (f.hlc_paused_by_ev if f.hlc else f.car_in_b)


def _charging(f: Facts) -> bool:
    # Energy can flow, or (HLC) the car is ending its charge: PowerDelivery Stop answered,
    # SessionStop (Terminate: Finished; Pause: ChargingPausedEV) still to come.
    return f.contactors_closed or (f.hlc and f.hlc_ending and f.charged and not f.paused_by_evse)


DISABLED = Guard("disabled", lambda f: not f.enabled)
ENABLED = Guard("enabled", lambda f: f.enabled)
FAULTED = Guard("a fault is active", lambda f: f.faulted)
FAULTS_CLEARED = Guard("no fault is active", lambda f: not f.faulted)
PLUGGED = Guard("car plugged in", lambda f: f.plugged)
UNPLUGGED = Guard("car unplugged", lambda f: not f.plugged)
RESERVED = Guard("reservation held", lambda f: f.reserved)
NOT_RESERVED = Guard("no reservation", lambda f: not f.reserved)
AUTHORIZED = Guard("transaction started", lambda f: f.transaction)
DEAUTHORIZED = Guard("no transaction", lambda f: not f.transaction)
STOPPED = Guard("transaction stopped", lambda f: f.stopped)
NOT_STOPPED = Guard("no stopped transaction (a session begun again)", lambda f: not f.stopped)
CLOSED = Guard("contactors report closed, or (HLC) the car is ending its charge "
               "(PowerDelivery Stop seen, SessionStop not yet)", _charging)
OPEN = Guard("contactors report open, and (HLC) no charge being ended", lambda f: not _charging(f))
EVSE_PAUSED = Guard("charger paused, or (basic charging) PWM withdrawn after charging",
                    _evse_paused)
EVSE_RESUMED = Guard("charger no longer pausing", lambda f: not _evse_paused(f))
EV_PAUSED = Guard("car paused after charging: back in B (basic charging), SessionStop Pause "
                  "(HLC)", _ev_paused)
EV_RESUMED = Guard("car no longer pausing", lambda f: not _ev_paused(f))


@dataclass(frozen=True)
class Transition:
    sources: tuple[EvseState, ...]
    guard: Guard
    target: EvseState


S = EvseState
ALL = tuple(S)
IN_SESSION = (S.WAITING_FOR_AUTHENTICATION, S.PREPARE_CHARGING, S.CHARGING,
              S.CHARGING_PAUSED_EV, S.CHARGING_PAUSED_EVSE, S.FINISHED)
IN_TRANSACTION = (S.PREPARE_CHARGING, S.CHARGING, S.CHARGING_PAUSED_EV, S.CHARGING_PAUSED_EVSE)
NOT_CHARGING = (S.PREPARE_CHARGING, S.CHARGING_PAUSED_EV, S.CHARGING_PAUSED_EVSE)


def _but(*excluded: EvseState) -> tuple[EvseState, ...]:
    return tuple(s for s in ALL if s not in excluded)


TRANSITIONS: tuple[Transition, ...] = (
    Transition(_but(S.DISABLED), DISABLED, S.DISABLED),
    Transition((S.DISABLED,), ENABLED, S.IDLE),
    Transition(_but(S.DISABLED, S.ERROR), FAULTED, S.ERROR),
    Transition((S.ERROR,), FAULTS_CLEARED, S.IDLE),
    Transition((S.IDLE, S.RESERVED), PLUGGED, S.WAITING_FOR_AUTHENTICATION),
    Transition((S.IDLE,), RESERVED, S.RESERVED),
    Transition((S.RESERVED,), NOT_RESERVED, S.IDLE),
    Transition(IN_SESSION, UNPLUGGED, S.IDLE),
    Transition((S.WAITING_FOR_AUTHENTICATION, *IN_TRANSACTION), STOPPED, S.FINISHED),
    Transition(IN_TRANSACTION, DEAUTHORIZED, S.WAITING_FOR_AUTHENTICATION),
    Transition((S.FINISHED,), NOT_STOPPED, S.WAITING_FOR_AUTHENTICATION),
    Transition((S.WAITING_FOR_AUTHENTICATION,), AUTHORIZED, S.PREPARE_CHARGING),
    Transition(NOT_CHARGING, CLOSED, S.CHARGING),
    Transition((S.CHARGING,), OPEN, S.PREPARE_CHARGING),
    Transition((S.PREPARE_CHARGING, S.CHARGING_PAUSED_EV), EVSE_PAUSED, S.CHARGING_PAUSED_EVSE),
    Transition((S.CHARGING_PAUSED_EVSE,), EVSE_RESUMED, S.PREPARE_CHARGING),
    Transition((S.PREPARE_CHARGING,), EV_PAUSED, S.CHARGING_PAUSED_EV),
    Transition((S.CHARGING_PAUSED_EV,), EV_RESUMED, S.PREPARE_CHARGING),
)


def rows_from(state: EvseState) -> Iterator[Transition]:
    return (row for row in TRANSITIONS if state in row.sources)


class UndeclaredCycle(RuntimeError):
    """The table's guards send the state round in circles: a bug in the table."""


def step(state: EvseState, facts: Facts) -> EvseState | None:
    """The target of the first row from ``state`` whose guard holds, or None."""
    for row in rows_from(state):
        if row.guard.holds(facts):
            return row.target
    return None


def settle(state: EvseState, facts: Facts) -> tuple[EvseState, list[EvseState]]:
    """Follow the table from ``state`` until no row fires: the state reached and the states
    passed through (a chain such as Error -> Idle -> WaitingForAuthentication after a fault
    cleared with the car still plugged)."""
    path: list[EvseState] = []
    for _ in range(len(EvseState) + 1):
        target = step(state, facts)
        if target is None:
            return state, path
        path.append(target)
        state = target
    raise UndeclaredCycle(f"no stable state for {facts}: {' -> '.join(path)}")


def transition_pairs() -> list[tuple[EvseState, EvseState, str]]:
    """Every declared (source, target, guard) triple, for the docs and the state table's size."""
    return [(source, row.target, row.guard.name) for row in TRANSITIONS
            for source in row.sources if source != row.target]


class StateMachine:
    """The held state, moved only along the table."""

    def __init__(self, state: EvseState = EvseState.IDLE) -> None:
        self.state = state

    def update(self, facts: Facts) -> bool:
        """Settle on ``facts``; true when the held state changed."""
        new, _ = settle(self.state, facts)
        changed = new != self.state
        self.state = new
        return changed
