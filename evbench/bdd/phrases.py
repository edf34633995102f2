"""Plain-language phrases for things that happen, and the numbers steps are written with.

A *happening* is a phrase such as ``the contactor closes``, ``the car goes from C to B``,
``ChargingStarted on connector 2``, ``the error evse_manager/RCDTrip is raised`` or
``the PWM duty changes to 26.67 %``. Each becomes a :class:`Happening`: the product's own scenario
selector where one fits (so a feature and a scenario file mean the same thing, and a When step
can wait for it), or an exact reading of the timeline where the sampled signals are too coarse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

import charger

from .bench import BenchError, Timeline, times_of

DURATION = r"\d+(?:\.\d+)?\s*(?:ms|s|sec|min|h)"
NUMBER = r"-?\d+(?:\.\d+)?"
CONNECTOR = re.compile(r"\s+(?:on|of|at) connector (\d+)\b")

# Scenario actions a phrase may name ("the car being unplugged" is the unplug step).
STEP_PHRASES = {
    r"the car (?:is |being |gets |getting )?plugged in": "plug_in",
    r"the car (?:is |being |gets |getting )?unplugged": "unplug",
    r"the car (?:pauses|pausing|paused) charging": "pause",
    r"the car (?:resumes|resuming|resumed) charging": "resume",
    r"the charger (?:pauses|pausing|paused) charging": "charger_pause",
    r"the charger (?:resumes|resuming|resumed) charging": "charger_resume",
    r"the grid (?:supply )?limit (?:changes|changing|is changed|being changed)": "grid",
    r"the fault (?:is |being )?injected": "fault",
    r"the transaction (?:is |being )?stopped": "stop_transaction",
}
TOKEN_STATUS = {"accepted": "Accepted", "rejected": "Rejected", "timed out": "TimedOut",
                "used to stop": "UsedToStop", "processed": "Processing"}


def seconds(text: str) -> float:
    """``3 s``, ``100 ms``, ``5 min``, ``1 h`` (the scenario files' duration forms)."""
    from evbench.scenario.durations import parse_duration  # not at import: the plugin loads fast

    return parse_duration(text.strip())


def tolerance(text: str) -> float:
    """Half a unit of the last digit written: ``26.7`` means 26.65-26.75, ``16`` 15.5-16.5."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10 ** -decimals + 1e-9


def connector_of(text: str, default: int | None = None) -> tuple[str, int | None]:
    """Take ``on connector N`` out of a phrase: (the phrase without it, N or the default)."""
    match = CONNECTOR.search(text)
    if not match:
        return text.strip(), default
    return (text[:match.start()] + text[match.end():]).strip(), int(match.group(1))


@cache
def session_event_names() -> tuple[str, ...]:
    types = Path(charger.__file__).parent / "types" / "evse.yaml"
    doc = yaml.safe_load(types.read_text(encoding="utf-8"))
    return tuple(doc["types"]["SessionEventName"]["enum"])


@dataclass(frozen=True)
class Happening:
    """Something that happens at instants of a run."""

    text: str
    selector: dict | None = None  # the product's scenario selector, when one fits
    exact: Callable[[Timeline], list[float]] | None = None  # else: read the timeline

    def times(self, timeline: Timeline) -> list[float]:
        if self.exact is not None:
            return self.exact(timeline)
        assert self.selector is not None
        return times_of(self.selector, timeline)

    def wait_selector(self) -> dict:
        if self.selector is None:
            raise BenchError(f"a scenario step cannot wait for {self.text!r}; wait for a session "
                             "event, a pilot state, the contactor, an error or a signal")
        return self.selector


def _transitions(trace: list[tuple[float, object]], into: Callable[[object], bool],
                 first_counts: bool = True) -> list[float]:
    """Instants at which the trace enters the condition (it did not hold just before); the
    first value counts as entering only if ``first_counts``."""
    out = []
    for index, (t, value) in enumerate(trace):
        if not into(value):
            continue
        if index == 0 and first_counts or index > 0 and not into(trace[index - 1][1]):
            out.append(t)
    return out


@dataclass(frozen=True)
class Said:
    """What a phrase said: its text (without ``on connector N``) and the connector it named."""

    phrase: str
    connector: int | None

    @property
    def selector(self) -> dict:
        """The connector part of a product selector."""
        return {} if self.connector is None else {"connector": self.connector}

    @property
    def n(self) -> int:
        """The connector measured (1 when the phrase names none)."""
        return 1 if self.connector is None else self.connector


@dataclass(frozen=True)
class HappeningForm:
    """One way of saying that something happens: the words, and what they mean."""

    pattern: str  # matched against the whole phrase, without its "on connector N"
    build: Callable[[re.Match, Said], Happening]
    examples: tuple[str, ...]  # shown in docs/bdd-steps.md, and tested to be understood
    summary: str


def _step_times(action: str) -> Callable[[re.Match, Said], Happening]:
    def build(_m: re.Match, said: Said) -> Happening:
        return Happening(said.phrase, exact=lambda tl: [
            r.t for r in tl.rows if r.kind == "step" and r.name == action
            and (said.connector is None or r.value.get("connector") == said.connector)])
    return build


def _token(m: re.Match, said: Said) -> Happening:
    status = TOKEN_STATUS[m.group(2)]
    if m.group(1) is None:
        return Happening(said.phrase, {"auth": status})
    return Happening(said.phrase, {"var": "token_validation_status",
                                   "value": {"id_token": m.group(1), "status": status}})


def _swipe(m: re.Match, said: Said) -> Happening:
    token = m.group(1)
    return Happening(said.phrase, exact=lambda tl: [
        r.t for r in tl.rows if r.kind == "step" and r.name == "swipe"
        and r.value.get("token") == token])


def _pwm_stops(_m: re.Match, said: Said) -> Happening:
    return Happening(said.phrase, exact=lambda tl: [
        t for (_, before), (t, after) in zip(tl.pwm(said.n), tl.pwm(said.n)[1:])
        if isinstance(before, float) and not isinstance(after, float)])


def _pwm_duty(m: re.Match, said: Said) -> Happening:
    duty, tol = float(m.group(1)), tolerance(m.group(1))
    return Happening(said.phrase, {"signal": "pwm_duty_pct", "ge": duty - tol, "le": duty + tol,
                                   "connector": said.n},
                     exact=lambda tl: _transitions(
                         tl.pwm(said.n), lambda v: isinstance(v, float) and abs(v - duty) <= tol,
                         first_counts=False))


def _current(m: re.Match, said: Said, falling: bool) -> Happening:
    phase, amps = int(m.group(1) or 1), float(m.group(2))
    bound = {"le": amps} if falling else {"ge": amps}
    return Happening(said.phrase, {"signal": f"current_l{phase}_a", **bound, "connector": said.n},
                     exact=lambda tl: _transitions(
                         tl.current(said.n, phase),
                         (lambda v: v <= amps) if falling else (lambda v: v >= amps),
                         first_counts=False))


def _soc(m: re.Match, said: Said) -> Happening:
    soc = float(m.group(1))
    return Happening(said.phrase, {"signal": "soc_pct", "ge": soc, "connector": said.n},
                     exact=lambda tl: _transitions(
                         [(t, v["soc_pct"]) for t, v in tl.car_states(said.n)],
                         lambda v: v is not None and v >= soc - 1e-9))


def _evse_state(m: re.Match, said: Said) -> Happening:
    state = m.group(1)
    return Happening(said.phrase, exact=lambda tl: _transitions(
        tl.evse_states(said.n), lambda v: v == state))


def _selector(make: Callable[[re.Match], dict]) -> Callable[[re.Match, Said], Happening]:
    return lambda m, said: Happening(said.phrase, {**make(m), **said.selector})


SESSION_EVENT = "<a session event name>"  # stands for the names in charger/types/evse.yaml
HAPPENINGS: tuple[HappeningForm, ...] = (
    HappeningForm(r"the contactors? (?:close|closes|closing|to close|has closed|have closed|"
                  r"is closed|are closed)", _selector(lambda m: {"contactor": "closed"}),
                  ("the contactor closes", "the contactor closing on connector 2"),
                  "the contactor closes"),
    HappeningForm(r"the contactors? (?:open|opens|opening|to open|has opened|have opened|"
                  r"is opened|are opened)", _selector(lambda m: {"contactor": "open"}),
                  ("the contactor opens", "the contactor to open"), "the contactor opens"),
    HappeningForm(r"(?:the car|the pilot) (?:goes|going|to go|has gone|went|changes|changing)"
                  r" from (?:state )?([A-F]) to (?:state )?([A-F])",
                  _selector(lambda m: {"cp": m.group(2), "was": m.group(1)}),
                  ("the car goes from B to C", "the pilot changing from state C to state B"),
                  "the control pilot goes from one state to another (IEC 61851-1 A-F)"),
    HappeningForm(r"the pilot (?:enters|entering|to enter|has entered|reaches|reaching|"
                  r"goes to|going to) state ([A-F])", _selector(lambda m: {"cp": m.group(1)}),
                  ("the pilot enters state F",), "the control pilot enters a state"),
    HappeningForm(SESSION_EVENT, _selector(lambda m: {"session": m.group(0)}),
                  ("ChargingStarted", "the session event SessionFinished on connector 1"),
                  "the EVSE manager publishes this session event: "
                  + ", ".join(session_event_names())),
    HappeningForm(r"charging (?:starts|starting|to start|has started|started)",
                  _selector(lambda m: {"session": "ChargingStarted"}),
                  ("charging starts", "charging to start"), "ChargingStarted"),
    HappeningForm(r"the error (\S+) (?:is |being |to be |was )?raised",
                  _selector(lambda m: {"error": m.group(1)}),
                  ("the error evse_manager/RCDTrip is raised",),
                  "a module raises the error (``interface/ErrorType``)"),
    HappeningForm(r"the error (\S+) (?:is |being |to be |was )?cleared",
                  _selector(lambda m: {"cleared": m.group(1)}),
                  ("the error evse_manager/RCDTrip being cleared",), "the error is cleared"),
    HappeningForm(r"the token(?: \"([^\"]+)\")? (?:is |being |to be |was )?(" +
                  "|".join(TOKEN_STATUS) + ")", _token,
                  ('the token "AABBCCDD" is accepted', "the token being rejected",
                   "the token to be timed out"),
                  "auth validates the token (or any token) with this status"),
    HappeningForm(r"the card \"([^\"]+)\" (?:is |being )?(?:swiped|presented)", _swipe,
                  ('the card "AABBCCDD" is swiped',), "the scenario swipes the card"),
    *(HappeningForm(pattern, _step_times(action), (example,),
                    f"the scenario's ``{action}`` step runs")
      for pattern, action, example in (
          (r"the car (?:is |being |gets |getting )?plugged in", "plug_in",
           "the car being plugged in"),
          (r"the car (?:is |being |gets |getting )?unplugged", "unplug", "the car is unplugged"),
          (r"the car (?:pauses|pausing|paused) charging", "pause", "the car pausing charging"),
          (r"the car (?:resumes|resuming|resumed) charging", "resume", "the car resumes charging"),
          (r"the charger (?:pauses|pausing|paused) charging", "charger_pause",
           "the charger pauses charging"),
          (r"the charger (?:resumes|resuming|resumed) charging", "charger_resume",
           "the charger resuming charging"),
          (r"the grid (?:supply )?limit (?:changes|changing|is changed|being changed)", "grid",
           "the grid limit changes"),
          (r"the fault (?:is |being )?injected", "fault", "the fault is injected"),
          (r"the transaction (?:is |being )?stopped", "stop_transaction",
           "the transaction being stopped"))),
    HappeningForm(r"the step \"([^\"]+)\"(?: runs| running)?",
                  lambda m, said: Happening(said.phrase, {"step": m.group(1)}),
                  ('the step "unplug-early" runs',), "the scenario step with this id runs"),
    HappeningForm(r"the PWM (?:stops|stopping|to stop|has stopped|is switched off)", _pwm_stops,
                  ("the PWM stops",), "the charger stops generating the PWM"),
    HappeningForm(r"the PWM (?:starts|starting|to start|has started|is switched on)",
                  lambda m, said: Happening(said.phrase, exact=lambda tl: _transitions(
                      tl.pwm(said.n), lambda v: isinstance(v, float))),
                  ("the PWM starts",), "the charger starts generating a PWM"),
    HappeningForm(rf"the PWM duty (?:changes|changing|to change|has changed|goes|going) to "
                  rf"({NUMBER}) ?%", _pwm_duty, ("the PWM duty changes to 16.67 %",),
                  "the PWM duty becomes this one, to the digits written"),
    HappeningForm(rf"the (?:L([123]) )?current (?:drops|dropping|to drop|has dropped|falls|"
                  rf"falling|to fall|has fallen) to ({NUMBER}) A(?: or (?:less|below))?",
                  lambda m, said: _current(m, said, falling=True),
                  ("the current drops to 10 A", "the L2 current falling to 0 A"),
                  "the measured current (L1 unless named) falls to this or below"),
    HappeningForm(rf"the (?:L([123]) )?current (?:(?:rises|rising|to rise|has risen) to|"
                  rf"reaches|reaching|to reach|has reached) ({NUMBER}) A"
                  rf"(?: or (?:more|above))?", lambda m, said: _current(m, said, falling=False),
                  ("the current rises to 16 A", "the L3 current reaching 6 A"),
                  "the measured current (L1 unless named) rises to this or above"),
    HappeningForm(rf"the state of charge (?:reaches|reaching|to reach|has reached) "
                  rf"({NUMBER}) ?%", _soc, ("the state of charge reaches 80 %",),
                  "the car's state of charge reaches this"),
    HappeningForm(r"the (?:charger|connector|EVSE) state (?:becomes|becoming|to become|"
                  r"has become|is) (\w+)", _evse_state,
                  ("the charger state becomes Charging",),
                  "the EVSE manager's published state becomes this"),
)


def _matches(form: HappeningForm, text: str) -> re.Match | None:
    if form.pattern == SESSION_EVENT:
        return re.fullmatch(r"\w+", text) if text in session_event_names() else None
    return re.fullmatch(form.pattern, text)


def parse_happening(phrase: str) -> Happening:
    """Understand a phrase; a phrase nobody understands fails with the forms that exist."""
    text, connector = connector_of(phrase)
    text = re.sub(r"^(?:the session event|the event|session event)\s+", "", text)
    said = Said(phrase, connector)
    for form in HAPPENINGS:
        match = _matches(form, text)
        if match:
            return form.build(match, said)
    forms = "; ".join(f"'{form.examples[0]}'" for form in HAPPENINGS)
    raise BenchError(f"no step library phrase matches {phrase!r}. Phrases: {forms}; each may "
                     "say 'on connector N' (docs/bdd-steps.md lists them all)")
