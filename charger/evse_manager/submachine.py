"""A small declared state machine with a timeout per state, driven by abstract input events.

The HLC and DC sub-machines (``hlc.py``, ``dc.py``) are tables of this shape. They know no bus
and no clock: the glue feeds them events (``Input``) with the time, asks them when their
current state's timeout falls due (``Run.deadline``), and carries out the actions each step
returns (stop the PWM, set a voltage, ...). An event a state has no rule for is refused
(``Step.accepted`` is false) and changes nothing: out of sequence is the caller's error to report.
Every accepted rule restarts the state's timer, so a rule back to the same state (one message of
a loop) declares a per-message timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = "timeout"  # the event the glue feeds when a state's timeout fell due


@dataclass(frozen=True)
class Phase:
    name: str
    timeout_s: float | None  # how long the state may last; None: no limit
    entry: tuple[str, ...] = ()  # actions on entering the state
    final: bool = False
    summary: str = ""  # docs


@dataclass(frozen=True)
class Input:
    name: str
    value: Any = None  # data the event carries (a voltage, ...)


@dataclass(frozen=True)
class Rule:
    source: str
    event: str
    target: str
    guard: Callable[[Any, dict], bool] | None = None  # (event value, context) -> fires?
    guard_name: str = ""  # docs
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    accepted: bool
    state: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Machine:
    name: str
    phases: tuple[Phase, ...]
    rules: tuple[Rule, ...]
    initial: str

    def __post_init__(self) -> None:
        names = {p.name for p in self.phases}
        for rule in self.rules:
            if rule.source not in names or rule.target not in names:
                raise ValueError(f"{self.name}: rule {rule} names an undeclared state")
        for phase in self.phases:
            if phase.timeout_s is not None and not any(
                    r.source == phase.name and r.event == TIMEOUT for r in self.rules):
                raise ValueError(f"{self.name}: {phase.name} has a timeout and no rule for it")

    def phase(self, name: str) -> Phase:
        return next(p for p in self.phases if p.name == name)

    def step(self, state: str, event: Input, context: dict) -> Step:
        """The first rule from ``state`` for this event whose guard holds."""
        for rule in self.rules:
            if rule.source == state and rule.event == event.name and (
                    rule.guard is None or rule.guard(event.value, context)):
                entry = self.phase(rule.target).entry if rule.target != state else ()
                return Step(True, rule.target, rule.actions + entry)
        return Step(False, state)

    def events(self) -> list[str]:
        return sorted({r.event for r in self.rules})


@dataclass
class Run:
    """One run of a machine: its state, since when, and what it keeps (``context``)."""

    machine: Machine
    state: str = ""
    entered_at: float = 0.0
    context: dict = field(default_factory=dict)
    history: list[tuple[float, str, str]] = field(default_factory=list)  # (t, event, state)

    def __post_init__(self) -> None:
        self.state = self.state or self.machine.initial

    @property
    def finished(self) -> bool:
        return self.machine.phase(self.state).final

    def deadline(self) -> float | None:
        """When the current state times out (None: it does not)."""
        timeout = self.machine.phase(self.state).timeout_s
        return None if timeout is None else self.entered_at + timeout

    def feed(self, event: Input, now: float) -> Step:
        result = self.machine.step(self.state, event, self.context)
        if result.accepted:
            # Every accepted rule restarts the state's timer: a rule back to the same state
            # (a message of a loop) is how a per-message timeout is declared.
            self.entered_at = now
            self.state = result.state
            self.history.append((now, event.name, self.state))
        return result

    def expire(self, now: float) -> Step | None:
        """Feed the timeout if the current state's deadline has passed (else None)."""
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return None
        return self.feed(Input(TIMEOUT), now)
