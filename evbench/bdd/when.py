"""When steps: the scenario's actions, and the time or condition each one waits for.

Timing steps (``When 5 s pass``, ``When the clock reaches t = 60 s``, ``When we wait for
ChargingStarted``) apply to the next action; what is left after the last action ends the run.
"""

from __future__ import annotations

from pytest_bdd import parsers

from .bench import Bench
from .library import when
from .phrases import DURATION, NUMBER, parse_happening, seconds

CONN = r"(?: (?:on|of) connector (?P<connector>\d+))?"


def _connector(text: str | None) -> int:
    return int(text) if text else 1


# --- time --------------------------------------------------------------------------------------
@when(parsers.re(rf"(?P<duration>{DURATION}) (?:pass|passes|go by|goes by)"), "30 s pass",
      "100 ms go by", "1 h passes")
def time_passes(bench: Bench, duration: str) -> None:
    """The next action waits this long more (after the last action: the run goes on this
    long)."""
    bench.wait(seconds(duration))


@when(parsers.re(rf"the clock reaches t = (?P<duration>{DURATION})"),
      "the clock reaches t = 60 s")
def clock_reaches(bench: Bench, duration: str) -> None:
    """The next action runs at this simulated time at the earliest."""
    bench.wait_until(seconds(duration))


@when(parsers.re(rf"we wait(?: up to (?P<timeout>{DURATION}))? for (?P<what>.+)"),
      "we wait for ChargingStarted", "we wait up to 30 s for charging to start",
      "we wait for the contactor to open on connector 2")
def wait_for(bench: Bench, what: str, timeout: str | None) -> None:
    """The next action waits for a happening (one the scenario runner can wait for: a session
    event, a pilot state, the contactor, an error, a token status or a signal). With a timeout
    the run fails when it does not come in time."""
    bench.wait_for(parse_happening(what).wait_selector(),
                   seconds(timeout) if timeout else None)


# --- the car -----------------------------------------------------------------------------------
@when(parsers.re(rf"the car{CONN} is plugged in"), "the car is plugged in",
      "the car on connector 2 is plugged in")
def plug_in(bench: Bench, connector: str | None) -> None:
    """The car waiting by the connector is plugged in."""
    bench.do("plug_in", _connector(connector))


@when(parsers.re(rf"the car{CONN} is unplugged"), "the car is unplugged")
def unplug(bench: Bench, connector: str | None) -> None:
    """The car is unplugged (whatever it is doing)."""
    bench.do("unplug", _connector(connector))


@when(parsers.re(rf"the car{CONN} pauses charging"), "the car pauses charging")
def car_pauses(bench: Bench, connector: str | None) -> None:
    """The car stops drawing and goes back to state B."""
    bench.do("pause", _connector(connector))


@when(parsers.re(rf"the car{CONN} resumes charging"), "the car on connector 1 resumes charging")
def car_resumes(bench: Bench, connector: str | None) -> None:
    """The car asks for power again (state C)."""
    bench.do("resume", _connector(connector))


@when(parsers.re(rf'the car{CONN} runs the script "(?P<script>[^"]*)"'),
      'the car runs the script "sleep 1;iec_wait_pwr_ready;draw_power_fixed 16,3"')
def car_script(bench: Bench, connector: str | None, script: str) -> None:
    """The car runs a command script (docs/scenarios.md) from now on."""
    bench.do("ev_script", _connector(connector), script=script)


@when(parsers.re(rf"the state of charge of the car{CONN} is set to (?P<soc>{NUMBER}) ?%"),
      "the state of charge of the car is set to 80 %")
def set_soc(bench: Bench, connector: str | None, soc: str) -> None:
    """The car's battery jumps to this state of charge."""
    bench.do("set_soc", _connector(connector), soc_pct=float(soc))


# --- car-side faults ---------------------------------------------------------------------------
@when(parsers.re(rf"the car{CONN} signals an error \(state E\)"),
      "the car signals an error (state E)")
def state_e(bench: Bench, connector: str | None) -> None:
    """The car shorts the pilot to earth (state E)."""
    bench.do("fault", _connector(connector), fault="error_e")


@when(parsers.re(rf"the pilot diode of the car{CONN} is shorted"),
      "the pilot diode of the car is shorted")
def diode_fail(bench: Bench, connector: str | None) -> None:
    """The car's pilot diode fails short, so the negative half of the PWM is missing."""
    bench.do("fault", _connector(connector), fault="diode_fail")


@when(parsers.re(rf"the car{CONN} requests ventilation \(state D\)"),
      "the car requests ventilation (state D)")
def ventilation(bench: Bench, connector: str | None) -> None:
    """The car asks for power with ventilation (state D)."""
    bench.do("fault", _connector(connector), fault="ventilation")


@when(parsers.re(rf"the car{CONN} no longer (?P<what>signals an error|requests ventilation|"
                 r"has a shorted pilot diode)"),
      "the car no longer signals an error", "the car no longer requests ventilation",
      "the car on connector 1 no longer has a shorted pilot diode")
def fault_removed(bench: Bench, connector: str | None, what: str) -> None:
    """The car-side fault ends."""
    fault = {"signals an error": "error_e", "requests ventilation": "ventilation",
             "has a shorted pilot diode": "diode_fail"}[what]
    bench.do("fault", _connector(connector), fault=fault, active=False)


@when(parsers.re(rf"a residual current of (?P<ma>{NUMBER}) mA (?P<kind>AC|DC) leaks{CONN}"),
      "a residual current of 30 mA AC leaks", "a residual current of 6 mA DC leaks on connector 2")
def residual_current(bench: Bench, ma: str, kind: str, connector: str | None) -> None:
    """A residual (leakage) current flows, for the RCD to detect."""
    bench.do("fault", _connector(connector), fault="rcd", current_ma=float(ma), dc=kind == "DC")


@when(parsers.re(rf"the residual current{CONN} stops"), "the residual current stops")
def residual_current_stops(bench: Bench, connector: str | None) -> None:
    """The residual current no longer flows."""
    bench.do("fault", _connector(connector), fault="rcd", active=False)


# --- the driver and the charger ----------------------------------------------------------------
@when(parsers.re(r'the driver swipes the card "(?P<token>[^"]+)"'
                 r'(?: at the reader "(?P<reader>[^"]+)")?'),
      'the driver swipes the card "AABBCCDD"',
      'the driver swipes the card "AABBCCDD" at the reader "rfid"')
def swipe(bench: Bench, token: str, reader: str | None) -> None:
    """A card is presented to the (named) simulated RFID reader."""
    bench.do("swipe", token=token, **({"reader": reader} if reader else {}))


@when(parsers.re(rf"the charger pauses charging{CONN}"), "the charger pauses charging")
def charger_pauses(bench: Bench, connector: str | None) -> None:
    """The EVSE manager is told to pause charging."""
    bench.do("charger_pause", _connector(connector))


@when(parsers.re(rf"the charger resumes charging{CONN}"),
      "the charger resumes charging on connector 1")
def charger_resumes(bench: Bench, connector: str | None) -> None:
    """The EVSE manager is told to resume charging."""
    bench.do("charger_resume", _connector(connector))


@when(parsers.re(rf"the transaction{CONN} is stopped(?: with reason (?P<reason>\w+))?"),
      "the transaction is stopped", "the transaction on connector 1 is stopped with reason Remote")
def stop_transaction(bench: Bench, connector: str | None, reason: str | None) -> None:
    """The EVSE manager is told to stop the transaction (reason ``Local`` by default)."""
    bench.do("stop_transaction", _connector(connector), reason=reason or "Local")


@when(parsers.re(r"connector (?P<connector>\d+) is (?P<what>enabled|disabled)"),
      "connector 1 is disabled", "connector 1 is enabled")
def enable_disable(bench: Bench, connector: str, what: str) -> None:
    """The connector is taken out of service, or back into it."""
    bench.do("enable" if what == "enabled" else "disable", int(connector))


# --- the grid ----------------------------------------------------------------------------------
@when(parsers.re(rf"the grid supply limit (?:changes|is changed|drops|is lowered|rises|is raised)"
                 rf" to (?P<amps>{NUMBER}) A"),
      "the grid supply limit drops to 10 A", "the grid supply limit rises to 32 A",
      "the grid supply limit changes to 16 A")
def grid_limit(bench: Bench, amps: str) -> None:
    """The simulated grid supplies at most this current from now on."""
    bench.do("grid", max_current_a=float(amps))


@when(parsers.re(r"the grid supply (?P<what>fails|is restored)"), "the grid supply fails",
      "the grid supply is restored")
def grid_outage(bench: Bench, what: str) -> None:
    """The grid supply goes down, or comes back."""
    bench.do("grid", available=what == "is restored")
