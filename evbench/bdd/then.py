"""Then steps: assertions on the recorded timeline (the first one runs the scenario).

Times are simulated seconds read from the timeline, never from a clock. Timing and occurrence
steps reuse the product's scenario selectors and expectation judge, so a feature file and a
scenario file mean the same thing; currents and the PWM are read from the board's measurement
messages, exactly, not from the sampled signals.
"""

from __future__ import annotations

import math
import re

from pytest_bdd import parsers

from .bench import Bench, Timeline, merged_sum, value_at, values_between
from .library import then
from .phrases import DURATION, NUMBER, Happening, parse_happening, seconds, tolerance

CONN = r"(?: (?:on|of) connector (?P<connector>\d+))?"
WINDOW = (rf"(?: (?:after|from) t = (?P<start>{DURATION}))?"
          rf"(?: until t = (?P<end>{DURATION}))?")
COUNT = {"once": 1, "twice": 2}


def _connector(text: str | None) -> int | None:
    return int(text) if text else None


def _window(start: str | None, end: str | None) -> tuple[float, float]:
    return (seconds(start) if start else 0.0, seconds(end) if end else math.inf)


def _where(start: float, end: float) -> str:
    text = f" from t = {start:g} s" if start else ""
    return text + (f" until t = {end:g} s" if end != math.inf else "")


def _fmt(times: list[float], limit: int = 6) -> str:
    shown = ", ".join(f"{t:.3f}" for t in times[:limit])
    return f"[{shown}{', ...' if len(times) > limit else ''}] s"


def _judge(timeline: Timeline, kind: str, spec: dict, name: str):
    from evbench.scenario.expectations import judge
    from evbench.scenario.model import Expectation

    return judge(Expectation(kind, spec, name), timeline.rows, timeline.signals,
                 timeline.energy_wh, timeline.connectors)


def _follows(timeline: Timeline, what: Happening, since: Happening,
             each: bool) -> list[tuple[float, float | None]]:
    """(start, first matching end at or after it) for the first or every start."""
    starts = since.times(timeline)
    assert starts, f"{since.text!r} never happened"
    ends = what.times(timeline)
    return [(t0, next((t for t in ends if t >= t0 - 1e-9), None))
            for t0 in (starts if each else starts[:1])]


# --- timing between two happenings -------------------------------------------------------------
@then(parsers.re(rf"(?P<what>.+) within (?P<limit>{DURATION}) of "
                 r"(?P<each>each time |every time )?(?P<since>.+)"),
      "the contactor closes within 3 s of the car going from B to C",
      "the PWM stops within 100 ms of each time the error evse_manager/RCDTrip is raised")
def within(bench: Bench, what: str, limit: str, each: str | None, since: str) -> None:
    """The first happening follows the second within the time (after its first occurrence,
    or after each one)."""
    timeline = bench.run()
    end, start, limit_s = parse_happening(what), parse_happening(since), seconds(limit)
    if end.exact is None and start.exact is None:
        assert end.selector is not None and start.selector is not None
        outcome = _judge(timeline, "within", {"within": limit_s, "from": start.selector,
                                              "to": end.selector, "each": bool(each)},
                         f"{what} within {limit} of {since}")
        assert outcome.passed, f"{what!r} within {limit} of {since!r}: {outcome.detail}"
        return
    for t0, t1 in _follows(timeline, end, start, bool(each)):
        assert t1 is not None, f"{what!r} did not follow {since!r} at t={t0:.3f} s"
        assert t1 - t0 <= limit_s + 1e-9, (f"{what!r} came {t1 - t0:.3f} s after {since!r} "
                                           f"at t={t0:.3f} s (limit {limit})")


@then(parsers.re(rf"within (?P<limit>{DURATION}) of (?P<each>each time |every time )?"
                 r"(?P<since>.+?), (?P<what>.+)"),
      "within 1 s of each time the car pauses charging, the contactor opens")
def within_first(bench: Bench, what: str, limit: str, each: str | None, since: str) -> None:
    """The same, the condition first."""
    within(bench, what, limit, each, since)


@then(parsers.re(rf"(?P<what>.+) (?P<delay>{DURATION}) \(± ?(?P<tol>{DURATION})\) after "
                 r"(?P<since>.+)"),
      "the current drops to 10 A 3 s (± 50 ms) after the grid limit changes")
def after_delay(bench: Bench, what: str, delay: str, tol: str, since: str) -> None:
    """The first happening follows the first occurrence of the second after this delay,
    within the tolerance."""
    timeline = bench.run()
    ((t0, t1),) = _follows(timeline, parse_happening(what), parse_happening(since), False)
    assert t1 is not None, f"{what!r} did not follow {since!r} at t={t0:.3f} s"
    wanted, slack = seconds(delay), seconds(tol)
    assert abs((t1 - t0) - wanted) <= slack + 1e-9, (
        f"{what!r} came {t1 - t0:.3f} s after {since!r} at t={t0:.3f} s "
        f"(wanted {wanted:g} s ± {slack:g} s)")


# --- occurrences -------------------------------------------------------------------------------
@then(parsers.re(rf"the timeline shows (?P<what>.+?)"
                 r"(?: (?P<count>once|twice|\d+ times))?"
                 rf"(?: before t = (?P<before>{DURATION}))?"),
      "the timeline shows ChargingStarted", "the timeline shows the contactor closing twice",
      "the timeline shows the error evse_manager/RCDTrip being raised once before t = 60 s")
def shows(bench: Bench, what: str, count: str | None, before: str | None) -> None:
    """The happening happened (exactly so many times, when a count is given)."""
    timeline = bench.run()
    happening = parse_happening(what)
    deadline = seconds(before) if before else math.inf
    times = [t for t in happening.times(timeline) if t <= deadline]
    if count is None:
        assert times, f"{what!r} never happened" + (f" before t = {before}" if before else "")
        return
    wanted = COUNT.get(count) or int(count.split()[0])
    assert len(times) == wanted, f"{what!r} happened {len(times)} times at {_fmt(times)}, " \
                                 f"wanted {wanted}"


@then(parsers.re(rf"the timeline never shows (?P<what>.+?){WINDOW}"),
      "the timeline never shows ChargingPausedEVSE",
      "the timeline never shows the contactor closing after t = 10 s until t = 60 s")
def never_shows(bench: Bench, what: str, start: str | None, end: str | None) -> None:
    """The happening never happened (in the window)."""
    timeline = bench.run()
    t0, t1 = _window(start, end)
    times = [t for t in parse_happening(what).times(timeline) if t0 <= t < t1]
    assert not times, f"{what!r} happened at {_fmt(times)}{_where(t0, t1)}"


@then(parsers.re(rf"the error (?P<error>\S+) is (?P<how>raised|cleared){CONN}"),
      "the error evse_manager/RCDTrip is raised",
      "the error evse_manager/RCDTrip is cleared on connector 1")
def error_reported(bench: Bench, error: str, how: str, connector: str | None) -> None:
    """A module raised (or cleared) this error, written ``interface/ErrorType``."""
    timeline = bench.run()
    spec: dict = {"error" if how == "raised" else "cleared": error}
    if connector:
        spec["connector"] = int(connector)
    outcome = _judge(timeline, "happens", {"happens": spec}, f"error {error} {how}")
    reported = sorted({r.name for r in timeline.errors(how == "raised")})
    assert outcome.passed, f"error {error} was never {how} (errors {how}: {reported or 'none'})"


@then("no error is raised", "no error is raised")
def no_error(bench: Bench) -> None:
    """No module raised any error during the run."""
    raised = [f"{r.name} at t={r.t:.3f} s" for r in bench.run().errors()]
    assert not raised, "errors raised: " + ", ".join(raised)


@then(parsers.re(r'the token(?: "(?P<token>[^"]+)")? is (?P<never>never )?'
                 r"(?P<status>accepted|rejected|timed out|used to stop)"),
      'the token "AABBCCDD" is accepted', 'the token "DEADBEEF" is never accepted',
      "the token is timed out")
def token_status(bench: Bench, token: str | None, never: str | None, status: str) -> None:
    """Auth validated the token (or any token) with this status, or never did."""
    timeline = bench.run()
    seen = [(t, s) for t, tok, s in timeline.token_statuses() if token in (None, tok)]
    token = token or "(any)"
    wanted = {"accepted": "Accepted", "rejected": "Rejected", "timed out": "TimedOut",
              "used to stop": "UsedToStop"}[status]
    hits = [t for t, s in seen if s == wanted]
    history = ", ".join(f"{s} at t={t:.3f} s" for t, s in seen) or "nothing"
    if never:
        assert not hits, f"token {token} was {status} at {_fmt(hits)} (history: {history})"
    else:
        assert hits, f"token {token} was never {status} (history: {history})"


# --- the session -------------------------------------------------------------------------------
def _names(text: str) -> list[str]:
    return [n for n in re.split(r",\s*|\s+and\s+|\s+then\s+", text.strip()) if n]


@then(parsers.re(rf"the session events{CONN} (?P<how>are|include) (?P<names>[\w ,]+?) "
                 r"in this order"),
      "the session events are SessionStarted, AuthRequired, Authorized in this order",
      "the session events on connector 1 include ChargingStarted and ChargingFinished in this "
      "order")
def session_order(bench: Bench, connector: str | None, how: str, names: str) -> None:
    """The session events, exactly (``are``) or as a subsequence (``include``)."""
    wanted = _names(names)
    events = [v["event"] for _, v in bench.run().session_events(_connector(connector))]
    if how == "are":
        assert events == wanted, f"session events: {events}\nwanted:         {wanted}"
        return
    position = 0
    for event in events:
        if position < len(wanted) and event == wanted[position]:
            position += 1
    assert position == len(wanted), (f"session events {events} do not include {wanted} in this "
                                     f"order (missing from {wanted[position]})")


@then(parsers.re(rf"the session events{CONN} do not include (?P<names>[\w ,]+)"),
      "the session events do not include ChargingPausedEVSE, Deauthorized")
def session_excludes(bench: Bench, connector: str | None, names: str) -> None:
    """None of these session events was published."""
    timeline = bench.run()
    events = [(t, v["event"]) for t, v in timeline.session_events(_connector(connector))]
    found = [f"{name} at t={t:.3f} s" for t, name in events if name in _names(names)]
    assert not found, "unexpected session events: " + ", ".join(found)


@then(parsers.re(rf"charging never starts{CONN}"), "charging never starts",
      "charging never starts on connector 2")
def never_charges(bench: Bench, connector: str | None) -> None:
    """No ChargingStarted, the contactor never closed and no current flowed."""
    timeline = bench.run()
    n = _connector(connector) or 1
    started = [t for t, v in timeline.session_events(n) if v["event"] == "ChargingStarted"]
    assert not started, f"ChargingStarted at {_fmt(started)}"
    closed = [t for t, v in timeline.relays(n) if v]
    assert not closed, f"the contactor closed at {_fmt(closed)}"
    flowing = [t for p in (1, 2, 3) for t, a in timeline.current(n, p) if a > 0]
    assert not flowing, f"current flowed at {_fmt(sorted(flowing))}"


@then(parsers.re(rf"the state of connector (?P<connector>\d+) is (?P<state>\w+)"
                 rf"(?: (?:at the end|at t = (?P<at>{DURATION})))"),
      "the state of connector 1 is Charging at t = 60 s", "the state of connector 1 is Idle at "
      "the end")
def evse_state(bench: Bench, connector: str, state: str, at: str | None) -> None:
    """The EVSE manager's published state at that time."""
    timeline = bench.run()
    t = seconds(at) if at else timeline.end_t
    states = timeline.evse_states(int(connector))
    actual = value_at(states, t)
    history = ", ".join(f"{s} at {w:.3f}" for w, s in states)
    assert actual == state, f"connector {connector} was {actual} at t={t:.3f} s ({history})"


# --- contactor and pilot -----------------------------------------------------------------------
@then(parsers.re(rf"the contactor{CONN} never closes{WINDOW}"), "the contactor never closes",
      "the contactor on connector 1 never closes after t = 30 s")
def contactor_never_closes(bench: Bench, connector: str | None, start: str | None,
                           end: str | None) -> None:
    """The contactor stayed open (in the window), read from the board's measurements."""
    t0, t1 = _window(start, end)
    trace = bench.run().relays(_connector(connector) or 1)
    closed = [t for t, v in values_between(trace, t0, t1, False) if v]
    assert not closed, f"the contactor was closed at {_fmt(closed)}{_where(t0, t1)}"


@then(parsers.re(rf"the contactor{CONN} is (?P<state>open|closed) "
                 rf"(?:at the end|at t = (?P<at>{DURATION}))"),
      "the contactor is open at the end", "the contactor on connector 2 is closed at t = 45 s")
def contactor_state(bench: Bench, connector: str | None, state: str, at: str | None) -> None:
    """The contactor's state at that time."""
    timeline = bench.run()
    t = seconds(at) if at else timeline.end_t
    closed = value_at(timeline.relays(_connector(connector) or 1), t, False)
    assert closed == (state == "closed"), f"the contactor was {'closed' if closed else 'open'} " \
                                          f"at t={t:.3f} s"


def _duties(timeline: Timeline, connector: int) -> list[tuple[float, float | str]]:
    return timeline.pwm(connector)


@then(parsers.re(rf"the PWM duty{CONN} is (?P<duty>{NUMBER}) ?%(?: at t = (?P<at>{DURATION}))?"),
      "the PWM duty is 26.67 %", "the PWM duty on connector 1 is 16.7 % at t = 40 s")
def pwm_duty(bench: Bench, connector: str | None, duty: str, at: str | None) -> None:
    """Every duty offered (or the one at that time) is this one, to the digits written."""
    timeline = bench.run()
    trace = _duties(timeline, _connector(connector) or 1)
    wanted, tol = float(duty), tolerance(duty)
    if at is not None:
        actual = value_at(trace, seconds(at))
        assert isinstance(actual, float) and abs(actual - wanted) <= tol, \
            f"the pilot was {actual!r} at t = {at} (wanted a duty of {duty} %)"
        return
    offered = [(t, d) for t, d in trace if isinstance(d, float)]
    assert offered, "the charger never generated a PWM"
    wrong = [(t, d) for t, d in offered if abs(d - wanted) > tol]
    assert not wrong, f"the PWM duty was {wrong[0][1]} % at t={wrong[0][0]:.3f} s " \
                      f"(wanted {duty} %; all: {offered})"


@then(parsers.re(rf"the PWM duties{CONN} are (?P<duties>{NUMBER} ?%(?:(?:, | and | then )"
                 rf"{NUMBER} ?%)*) in this order"),
      "the PWM duties on connector 1 are 53.33 %, 16.67 % in this order")
def pwm_sequence(bench: Bench, connector: str | None, duties: str) -> None:
    """The duties offered, in order (a duty offered again after the PWM stopped counts
    again)."""
    texts = re.findall(NUMBER, duties)
    offered: list[float] = []
    last: float | None = None  # a duty offered again after the PWM stopped counts again
    for _, d in _duties(bench.run(), _connector(connector) or 1):
        if isinstance(d, float) and d != last:
            offered.append(d)
        last = d if isinstance(d, float) else None
    ok = len(offered) == len(texts) and all(
        abs(d - float(w)) <= tolerance(w) for d, w in zip(offered, texts))
    assert ok, f"PWM duties offered: {offered}, wanted {texts}"


@then(parsers.re(rf"the (?:pilot|PWM){CONN} is (?P<what>off|in state F|a PWM) "
                 rf"(?:at the end|at t = (?P<at>{DURATION}))"),
      "the pilot is off at the end", "the PWM on connector 1 is in state F at t = 12 s",
      "the pilot is a PWM at t = 5 s")
def pilot_at(bench: Bench, connector: str | None, what: str, at: str | None) -> None:
    """The pilot generator's output at that time: constant +12 V (off), -12 V (state F) or a
    PWM."""
    timeline = bench.run()
    t = seconds(at) if at else timeline.end_t
    actual = value_at(_duties(timeline, _connector(connector) or 1), t)
    ok = {"off": actual == "off", "in state F": actual == "F",
          "a PWM": isinstance(actual, float)}[what]
    assert ok, f"the pilot was {actual!r} at t={t:.3f} s (wanted {what})"


@then(parsers.re(rf"the PWM{CONN} never starts"), "the PWM never starts")
def pwm_never(bench: Bench, connector: str | None) -> None:
    """The charger never generated a PWM."""
    offered = [t for t, d in _duties(bench.run(), _connector(connector) or 1)
               if isinstance(d, float)]
    assert not offered, f"a PWM was generated at {_fmt(offered)}"


# --- currents ----------------------------------------------------------------------------------
def _phases(text: str | None) -> list[int]:
    return [int(p) for p in re.findall(r"L([123])", text or "L1 L2 L3")]


@then(parsers.re(rf"the current(?: on (?P<phase>L[123]))?{CONN} never exceeds "
                 rf"(?P<amps>{NUMBER}) A{WINDOW}"),
      "the current never exceeds 16 A", "the current on L1 on connector 2 never exceeds 10 A "
      "from t = 40 s")
def current_max(bench: Bench, phase: str | None, connector: str | None, amps: str,
                start: str | None, end: str | None) -> None:
    """The measured current on the phase (or every phase) stays at most this (in the
    window)."""
    timeline = bench.run()
    t0, t1 = _window(start, end)
    for p in _phases(phase):
        trace = timeline.current(_connector(connector) or 1, p)
        over = [(t, a) for t, a in values_between(trace, t0, t1, 0.0) if a > float(amps) + 1e-9]
        assert not over, f"L{p} carried {over[0][1]} A at t={over[0][0]:.3f} s " \
                         f"(limit {amps} A{_where(t0, t1)})"


@then(parsers.re(rf"the current(?: on (?P<phase>L[123]))?{CONN} stays between "
                 rf"(?P<low>{NUMBER}) and (?P<high>{NUMBER}) A{WINDOW}"),
      "the current on connector 1 stays between 10 and 10 A from t = 45 s")
def current_range(bench: Bench, phase: str | None, connector: str | None, low: str, high: str,
                  start: str | None, end: str | None) -> None:
    """The measured current on the phase (default L1) stays in the range (in the window)."""
    timeline = bench.run()
    t0, t1 = _window(start, end)
    for p in _phases(phase or "L1"):
        trace = timeline.current(_connector(connector) or 1, p)
        bad = [(t, a) for t, a in values_between(trace, t0, t1, 0.0)
               if not float(low) - 1e-9 <= a <= float(high) + 1e-9]
        assert not bad, f"L{p} carried {bad[0][1]} A at t={bad[0][0]:.3f} s " \
                        f"(wanted {low}-{high} A{_where(t0, t1)})"


@then(parsers.re(rf"the current(?: on (?P<phase>L[123]))?{CONN} is (?P<amps>{NUMBER}) A "
                 rf"at t = (?P<at>{DURATION})"),
      "the current is 16 A at t = 40 s", "the current on L2 on connector 1 is 0 A at t = 90 s")
def current_at(bench: Bench, phase: str | None, connector: str | None, amps: str,
               at: str) -> None:
    """The measured current on the phase (default L1) at that time, to the digits written."""
    timeline = bench.run()
    for p in _phases(phase or "L1"):
        actual = value_at(timeline.current(_connector(connector) or 1, p), seconds(at), 0.0)
        assert abs(actual - float(amps)) <= tolerance(amps), \
            f"L{p} carried {actual} A at t = {at} (wanted {amps} A)"


@then(parsers.re(r"the current on (?P<phases>L[123](?:(?:, | and )L[123])*) of connector "
                 rf"(?P<connector>\d+) reaches (?P<amps>{NUMBER}) A"),
      "the current on L1, L2 and L3 of connector 1 reaches 16 A")
def current_reaches(bench: Bench, phases: str, connector: str, amps: str) -> None:
    """Each of these phases carried at least this current at some time."""
    timeline = bench.run()
    for p in _phases(phases):
        peak = max((a for _, a in timeline.current(int(connector), p)), default=0.0)
        assert peak >= float(amps) - tolerance(amps), \
            f"L{p} of connector {connector} carried at most {peak} A (wanted {amps} A)"


@then(parsers.re(r"no current flows on (?P<phases>L[123](?:(?:, | and )L[123])*) of connector "
                 r"(?P<connector>\d+)"),
      "no current flows on L2 and L3 of connector 1")
def no_current(bench: Bench, phases: str, connector: str) -> None:
    """These phases never carried any current."""
    timeline = bench.run()
    for p in _phases(phases):
        flowing = [(t, a) for t, a in timeline.current(int(connector), p) if a > 0]
        assert not flowing, f"L{p} of connector {connector} carried {flowing[0][1]} A at " \
                            f"t={flowing[0][0]:.3f} s"


@then(parsers.re(rf"the sum of the connectors' (?P<phase>L[123]) currents never exceeds "
                 rf"(?P<amps>{NUMBER}) A{WINDOW}"),
      "the sum of the connectors' L1 currents never exceeds 32 A")
def total_current(bench: Bench, phase: str, amps: str, start: str | None,
                  end: str | None) -> None:
    """The currents of all connectors on the phase, added at every instant, stay at most this
    (in the window)."""
    timeline = bench.run()
    t0, t1 = _window(start, end)
    p = _phases(phase)[0]
    traces = [timeline.current(c, p) for c in sorted(timeline.connectors.evse)]
    over = [(t, a) for t, a in merged_sum(traces, t0, t1) if a > float(amps) + 1e-9]
    assert not over, f"the connectors carried {over[0][1]} A in total on L{p} at " \
                     f"t={over[0][0]:.3f} s (limit {amps} A{_where(t0, t1)})"


# --- sampled signals, as scenario files judge them ---------------------------------------------
@then(parsers.re(rf"the signal (?P<signal>\w+){CONN} stays (?:(?:at most (?P<max>{NUMBER}))|"
                 rf"(?:at least (?P<min>{NUMBER}))|(?:between (?P<low>{NUMBER}) and "
                 rf"(?P<high>{NUMBER}))){WINDOW}"),
      "the signal current_l1_a stays at most 16", "the signal soc_pct on connector 1 stays "
      "between 20 and 80 from t = 10 s")
def signal_bounds(bench: Bench, signal: str, connector: str | None, max: str | None,
                  min: str | None, low: str | None, high: str | None, start: str | None,
                  end: str | None) -> None:
    """A sampled signal (docs/scenarios.md lists them) stays within the bounds (in the
    window), judged as a scenario file's ``signal`` expectation."""
    spec: dict = {"signal": signal}
    if connector:
        spec["connector"] = int(connector)
    lowest, highest = min or low, max or high
    if lowest is not None:
        spec["min"] = float(lowest)
    if highest is not None:
        spec["max"] = float(highest)
    t0, t1 = _window(start, end)
    spec["from"], spec["until"] = t0, t1
    outcome = _judge(bench.run(), "signal", spec, f"signal {signal}")
    assert outcome.passed, f"signal {signal}: {outcome.detail}"


@then(parsers.re(rf"at (?P<how>least|most) (?P<amount>{NUMBER}) (?P<unit>kWh|Wh) (?:were|was) "
                 rf"delivered{CONN}"),
      "at least 10 kWh were delivered", "at most 500 Wh were delivered on connector 2")
def energy(bench: Bench, how: str, amount: str, unit: str, connector: str | None) -> None:
    """The energy the meter counted (on the connector, or in all)."""
    wh = float(amount) * (1000.0 if unit == "kWh" else 1.0)
    spec: dict = {"energy_wh": {"min" if how == "least" else "max": wh}}
    if connector:
        spec["connector"] = int(connector)
    outcome = _judge(bench.run(), "energy_wh", spec, "energy delivered")
    assert outcome.passed, f"energy delivered: {outcome.detail}"


@then(parsers.re(rf"the state of charge of the car{CONN} ends (?P<how>above|below) "
                 rf"(?P<soc>{NUMBER}) ?%"),
      "the state of charge of the car ends above 80 %")
def final_soc(bench: Bench, connector: str | None, how: str, soc: str) -> None:
    """The car's last reported state of charge."""
    states = bench.run().car_states(_connector(connector) or 1)
    assert states, "the car never reported its state of charge"
    final = states[-1][1]["soc_pct"]
    ok = final > float(soc) if how == "above" else final < float(soc)
    assert ok, f"the state of charge ended at {final} % (wanted {how} {soc} %)"


# --- the scenario itself -----------------------------------------------------------------------
@then(parsers.re(r'the scenario is refused(?: because "(?P<reason>[^"]+)")?'),
      "the scenario is refused", 'the scenario is refused because "no car"')
def refused(bench: Bench, reason: str | None) -> None:
    """The product refused the scenario before it ran, with file and line (and this text)."""
    refusal = str(bench.refusal())
    assert re.search(r"scenario\.yaml:\d+", refusal), f"no file and line in: {refusal}"
    if reason:
        assert reason in refusal, f"the refusal does not say {reason!r}: {refusal}"


@then("every scenario step ran", "every scenario step ran")
def steps_ran(bench: Bench) -> None:
    """The run ended with no step left undone (a wait that timed out fails)."""
    bench.run()
    assert bench._run is not None and not bench._run.step_failures, bench._run.step_failures
