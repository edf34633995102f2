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
from evbench.scenario.durations import parse_duration

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


def parse_happening(phrase: str) -> Happening:
    """Understand a phrase; a phrase nobody understands fails with the forms that exist."""
    text, connector = connector_of(phrase)
    sel: dict = {} if connector is None else {"connector": connector}
    text = re.sub(r"^(?:the session event|the event|session event)\s+", "", text)
    m = re.fullmatch(r"the contactors? (?:close|closes|closing|to close|has closed|have closed|"
                     r"is closed|are closed)", text)
    if m:
        return Happening(phrase, {"contactor": "closed", **sel})
    m = re.fullmatch(r"the contactors? (?:open|opens|opening|to open|has opened|have opened|"
                     r"is opened|are opened)", text)
    if m:
        return Happening(phrase, {"contactor": "open", **sel})
    m = re.fullmatch(r"(?:the car|the pilot) (?:goes|going|to go|has gone|went|changes|changing)"
                     r" from (?:state )?([A-F]) to (?:state )?([A-F])", text)
    if m:
        return Happening(phrase, {"cp": m.group(2), "was": m.group(1), **sel})
    m = re.fullmatch(r"the pilot (?:enters|entering|to enter|has entered|reaches|reaching|"
                     r"goes to|going to) state ([A-F])", text)
    if m:
        return Happening(phrase, {"cp": m.group(1), **sel})
    if text in session_event_names():
        return Happening(phrase, {"session": text, **sel})
    m = re.fullmatch(r"charging (?:starts|starting|to start|has started|started)", text)
    if m:
        return Happening(phrase, {"session": "ChargingStarted", **sel})
    m = re.fullmatch(r"the error (\S+) (?:is |being |to be |was )?raised", text)
    if m:
        return Happening(phrase, {"error": m.group(1), **sel})
    m = re.fullmatch(r"the error (\S+) (?:is |being |to be |was )?cleared", text)
    if m:
        return Happening(phrase, {"cleared": m.group(1), **sel})
    m = re.fullmatch(r"the token(?: \"([^\"]+)\")? (?:is |being |to be |was )?(" +
                     "|".join(TOKEN_STATUS) + ")", text)
    if m:
        status = TOKEN_STATUS[m.group(2)]
        if m.group(1) is None:
            return Happening(phrase, {"auth": status})
        return Happening(phrase, {"var": "token_validation_status",
                                  "value": {"id_token": m.group(1), "status": status}})
    m = re.fullmatch(r"the card \"([^\"]+)\" (?:is |being )?(?:swiped|presented)", text)
    if m:
        token = m.group(1)
        return Happening(phrase, exact=lambda tl: [
            r.t for r in tl.rows if r.kind == "step" and r.name == "swipe"
            and r.value.get("token") == token])
    for pattern, action in STEP_PHRASES.items():
        if re.fullmatch(pattern, text):
            return Happening(phrase, exact=lambda tl, a=action: [
                r.t for r in tl.rows if r.kind == "step" and r.name == a
                and (connector is None or r.value.get("connector") == connector)])
    m = re.fullmatch(r"the step \"([^\"]+)\"(?: runs| running)?", text)
    if m:
        return Happening(phrase, {"step": m.group(1)})
    return _signal_happening(phrase, text, connector, sel)


def _signal_happening(phrase: str, text: str, connector: int | None, sel: dict) -> Happening:
    n = 1 if connector is None else connector
    m = re.fullmatch(r"the PWM (?:stops|stopping|to stop|has stopped|is switched off)", text)
    if m:
        return Happening(phrase, exact=lambda tl: [
            t for (_, before), (t, after) in zip(tl.pwm(n), tl.pwm(n)[1:])
            if isinstance(before, float) and not isinstance(after, float)])
    m = re.fullmatch(r"the PWM (?:starts|starting|to start|has started|is switched on)", text)
    if m:
        return Happening(phrase, exact=lambda tl: _transitions(
            tl.pwm(n), lambda v: isinstance(v, float)))
    m = re.fullmatch(rf"the PWM duty (?:changes|changing|to change|has changed|goes|going) to "
                     rf"({NUMBER}) ?%", text)
    if m:
        duty, tol = float(m.group(1)), tolerance(m.group(1))
        return Happening(phrase, {"signal": "pwm_duty_pct", "ge": duty - tol, "le": duty + tol,
                                  "connector": n},
                         exact=lambda tl: _transitions(
                             tl.pwm(n), lambda v: isinstance(v, float) and abs(v - duty) <= tol,
                             first_counts=False))
    m = re.fullmatch(rf"the (?:L([123]) )?current (?:drops|dropping|to drop|has dropped|falls|"
                     rf"falling|to fall|has fallen) to ({NUMBER}) A(?: or (?:less|below))?", text)
    if m:
        phase, amps = int(m.group(1) or 1), float(m.group(2))
        return Happening(phrase, {"signal": f"current_l{phase}_a", "le": amps, "connector": n},
                         exact=lambda tl: _transitions(tl.current(n, phase),
                                                       lambda v: v <= amps, first_counts=False))
    m = re.fullmatch(rf"the (?:L([123]) )?current (?:(?:rises|rising|to rise|has risen) to|"
                     rf"reaches|reaching|to reach|has reached) ({NUMBER}) A"
                     rf"(?: or (?:more|above))?", text)
    if m:
        phase, amps = int(m.group(1) or 1), float(m.group(2))
        return Happening(phrase, {"signal": f"current_l{phase}_a", "ge": amps, "connector": n},
                         exact=lambda tl: _transitions(tl.current(n, phase),
                                                       lambda v: v >= amps, first_counts=False))
    m = re.fullmatch(rf"the state of charge (?:reaches|reaching|to reach|has reached) "
                     rf"({NUMBER}) ?%", text)
    if m:
        soc = float(m.group(1))
        return Happening(phrase, {"signal": "soc_pct", "ge": soc, "connector": n},
                         exact=lambda tl: _transitions(
                             [(t, v["soc_pct"]) for t, v in tl.car_states(n)],
                             lambda v: v is not None and v >= soc - 1e-9))
    m = re.fullmatch(r"the (?:charger|connector|EVSE) state (?:becomes|becoming|to become|"
                     r"has become|is) (\w+)", text)
    if m:
        state = m.group(1)
        return Happening(phrase, exact=lambda tl: _transitions(
            tl.evse_states(n), lambda v: v == state))
    raise BenchError(f"no step library phrase matches {phrase!r}. Phrases: 'the contactor "
                     "closes|opens', 'the car goes from B to C', 'the pilot enters state F', "
                     "a session event name (ChargingStarted), 'charging starts', 'the error X is "
                     "raised|cleared', 'the token \"X\" is accepted|rejected|timed out|used to "
                     "stop', 'the card \"X\" is swiped', 'the car is plugged in|unplugged', 'the "
                     "car|charger pauses|resumes charging', 'the grid limit changes', 'the fault "
                     "is injected', 'the transaction is stopped', 'the step \"id\"', 'the PWM "
                     "stops|starts', 'the PWM duty changes to D %', 'the current drops to|rises "
                     "to X A', 'the state of charge reaches X %', 'the charger state becomes S'; "
                     "each may say 'on connector N'")

