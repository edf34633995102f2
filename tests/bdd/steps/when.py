"""When steps: the scenario's actions, and the time or condition each one waits for.

Timing steps (``When 5 s pass``, ``When the clock reaches t = 60 s``, ``When we wait for
ChargingStarted``) apply to the next action; what is left after the last action ends the run.
"""

from __future__ import annotations

from pytest_bdd import parsers, when

from .bench import Bench
from .phrases import DURATION, NUMBER, parse_happening, seconds

CONN = r"(?: (?:on|of) connector (?P<connector>\d+))?"


def _connector(text: str | None) -> int:
    return int(text) if text else 1


# --- time --------------------------------------------------------------------------------------
@when(parsers.re(rf"(?P<duration>{DURATION}) (?:pass|passes|go by|goes by)"))
def time_passes(bench: Bench, duration: str) -> None:
    bench.wait(seconds(duration))


@when(parsers.re(rf"the clock reaches t = (?P<duration>{DURATION})"))
def clock_reaches(bench: Bench, duration: str) -> None:
    bench.wait_until(seconds(duration))


@when(parsers.re(rf"we wait(?: up to (?P<timeout>{DURATION}))? for (?P<what>.+)"))
def wait_for(bench: Bench, what: str, timeout: str | None) -> None:
    bench.wait_for(parse_happening(what).wait_selector(),
                   seconds(timeout) if timeout else None)


# --- the car -----------------------------------------------------------------------------------
@when(parsers.re(rf"the car{CONN} is plugged in"))
def plug_in(bench: Bench, connector: str | None) -> None:
    bench.do("plug_in", _connector(connector))


@when(parsers.re(rf"the car{CONN} is unplugged"))
def unplug(bench: Bench, connector: str | None) -> None:
    bench.do("unplug", _connector(connector))


@when(parsers.re(rf"the car{CONN} pauses charging"))
def car_pauses(bench: Bench, connector: str | None) -> None:
    bench.do("pause", _connector(connector))


@when(parsers.re(rf"the car{CONN} resumes charging"))
def car_resumes(bench: Bench, connector: str | None) -> None:
    bench.do("resume", _connector(connector))


@when(parsers.re(rf'the car{CONN} runs the script "(?P<script>[^"]*)"'))
def car_script(bench: Bench, connector: str | None, script: str) -> None:
    bench.do("ev_script", _connector(connector), script=script)


@when(parsers.re(rf"the state of charge of the car{CONN} is set to (?P<soc>{NUMBER}) ?%"))
def set_soc(bench: Bench, connector: str | None, soc: str) -> None:
    bench.do("set_soc", _connector(connector), soc_pct=float(soc))


# --- car-side faults ---------------------------------------------------------------------------
@when(parsers.re(rf"the car{CONN} signals an error \(state E\)"))
def state_e(bench: Bench, connector: str | None) -> None:
    bench.do("fault", _connector(connector), fault="error_e")


@when(parsers.re(rf"the pilot diode of the car{CONN} is shorted"))
def diode_fail(bench: Bench, connector: str | None) -> None:
    bench.do("fault", _connector(connector), fault="diode_fail")


@when(parsers.re(rf"the car{CONN} requests ventilation \(state D\)"))
def ventilation(bench: Bench, connector: str | None) -> None:
    bench.do("fault", _connector(connector), fault="ventilation")


@when(parsers.re(rf"the car{CONN} no longer (?P<what>signals an error|requests ventilation|"
                 r"has a shorted pilot diode)"))
def fault_removed(bench: Bench, connector: str | None, what: str) -> None:
    fault = {"signals an error": "error_e", "requests ventilation": "ventilation",
             "has a shorted pilot diode": "diode_fail"}[what]
    bench.do("fault", _connector(connector), fault=fault, active=False)


@when(parsers.re(rf"a residual current of (?P<ma>{NUMBER}) mA (?P<kind>AC|DC) leaks{CONN}"))
def residual_current(bench: Bench, ma: str, kind: str, connector: str | None) -> None:
    bench.do("fault", _connector(connector), fault="rcd", current_ma=float(ma), dc=kind == "DC")


@when(parsers.re(rf"the residual current{CONN} stops"))
def residual_current_stops(bench: Bench, connector: str | None) -> None:
    bench.do("fault", _connector(connector), fault="rcd", active=False)


# --- the driver and the charger ----------------------------------------------------------------
@when(parsers.re(r'the driver swipes the card "(?P<token>[^"]+)"'
                 r'(?: at the reader "(?P<reader>[^"]+)")?'))
def swipe(bench: Bench, token: str, reader: str | None) -> None:
    bench.do("swipe", token=token, **({"reader": reader} if reader else {}))


@when(parsers.re(rf"the charger pauses charging{CONN}"))
def charger_pauses(bench: Bench, connector: str | None) -> None:
    bench.do("charger_pause", _connector(connector))


@when(parsers.re(rf"the charger resumes charging{CONN}"))
def charger_resumes(bench: Bench, connector: str | None) -> None:
    bench.do("charger_resume", _connector(connector))


@when(parsers.re(rf"the transaction{CONN} is stopped(?: with reason (?P<reason>\w+))?"))
def stop_transaction(bench: Bench, connector: str | None, reason: str | None) -> None:
    bench.do("stop_transaction", _connector(connector), reason=reason or "Local")


@when(parsers.re(r"connector (?P<connector>\d+) is (?P<what>enabled|disabled)"))
def enable_disable(bench: Bench, connector: str, what: str) -> None:
    bench.do("enable" if what == "enabled" else "disable", int(connector))


# --- the grid ----------------------------------------------------------------------------------
@when(parsers.re(rf"the grid supply limit (?:changes|is changed|drops|is lowered|rises|is raised)"
                 rf" to (?P<amps>{NUMBER}) A"))
def grid_limit(bench: Bench, amps: str) -> None:
    bench.do("grid", max_current_a=float(amps))


@when(parsers.re(r"the grid supply (?P<what>fails|is restored)"))
def grid_outage(bench: Bench, what: str) -> None:
    bench.do("grid", available=what == "is restored")
