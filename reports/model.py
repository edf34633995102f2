"""The data contract between the scenario runner (which records a run) and the report writers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from charger.iec61851 import current_from_duty

if TYPE_CHECKING:  # pandas is loaded only where tables are built: module processes skip it
    import pandas as pd

# Column order of the timeline table (RunResult.events and timeline.csv).
EVENT_COLUMNS: tuple[str, ...] = ("t", "source", "kind", "name", "value")

UNCHANGED = object()  # what a signal's reader returns for a message that does not concern it


@dataclass(frozen=True)
class Signal:
    """One sampled signal: a column of signals.csv, a plot line, a name scenarios may judge.

    This table is the only place a signal is declared: the sampler, the CSV writer and reader,
    the plots, the scenario vocabulary and the docs all read it.
    """

    name: str
    unit: str  # "" for states
    label: str  # short human name, the plot axis label without its unit
    description: str  # for docs/reports.md and docs/scenarios.md
    source: str  # where the sampler reads it: a ConnectorProbe part, or "grid" (site-wide)
    var: str  # the variable of that source
    read: Callable[[dict], Any]  # its value from one message of that variable, or UNCHANGED
    kind: str = "number"  # "number", "bool" (contactor_closed) or "state" (cp_state)
    decimals: int = 3  # in signals.csv
    initial: Any = math.nan  # before the first message
    values: str = ""  # for docs: the values, when they are not plain numbers in ``unit``
    panel: str = ""  # the report plot it is drawn in (reports.figures.PANELS); "" = its own
    phase: str = ""  # "L1".."L3" for a per-phase current, which the energy tree's sums add up
    # How fast the signal rises after a message (per second, until the next message), or None:
    # a signal whose source reports only its changes and their slope, not every sample.
    slope: Callable[[dict], float] | None = None

    @property
    def panel_key(self) -> str:
        return self.panel or self.name

    @property
    def axis_label(self) -> str:
        return f"{self.label} [{self.unit}]" if self.unit else self.label


def _board_event(wanted: str) -> Callable[[dict], Any]:
    # The board's one "event" variable carries pilot states and contactor changes.
    def read(value: dict) -> Any:
        event = value["event"]
        is_contactor = event in ("PowerOn", "PowerOff")
        if wanted == "contactor":
            return event == "PowerOn" if is_contactor else UNCHANGED
        return UNCHANGED if is_contactor else event
    return read


def _dc_reading(key: str) -> Callable[[dict], Any]:
    # A DC meter reports one total and no phases; an AC meter's rows leave DC signals alone.
    def read(value: dict) -> Any:
        reading = value.get(key, {})
        return UNCHANGED if "L1" in reading or "total" not in reading else reading["total"]
    return read


def _ac_energy_slope(value: dict) -> float:
    # An AC meter that reports every change of current: its energy rises at the reported power.
    power = value.get("power_w", {})
    return power["total"] / 3600.0 if "L1" in power else 0.0


def _phase(key: str, phase: str) -> Callable[[dict], Any]:
    return lambda value: value.get(key, {}).get(phase, 0.0)


SIGNALS: tuple[Signal, ...] = (
    Signal("cp_state", "", "CP state", "control-pilot state the board detected", "board",
           "event", _board_event("cp"), kind="state", initial="A", values="`A` .. `F`",
           panel="pilot"),
    Signal("cp_voltage_v", "V", "CP voltage", "pilot voltage the car side measures", "ev_board",
           "measurement", lambda v: v["cp_voltage_v"], panel="pilot_voltage"),
    Signal("pwm_duty_pct", "%", "PWM duty", "pilot PWM duty cycle (100 = no PWM)", "ev_board",
           "measurement",
           lambda v: math.nan if v["pwm_duty_pct"] is None else v["pwm_duty_pct"],
           panel="duty"),
    Signal("contactor_closed", "", "contactor", "the contactors are closed", "board", "event",
           _board_event("contactor"), kind="bool", initial=False, values="`true` / `false`",
           panel="contactor"),
    Signal("current_l1_a", "A", "L1", "current on phase L1", "meter", "powermeter",
           _phase("current_a", "L1"), initial=0.0, panel="current",
           phase="L1"),
    Signal("current_l2_a", "A", "L2", "current on phase L2", "meter", "powermeter",
           _phase("current_a", "L2"), initial=0.0, panel="current",
           phase="L2"),
    Signal("current_l3_a", "A", "L3", "current on phase L3", "meter", "powermeter",
           _phase("current_a", "L3"), initial=0.0, panel="current",
           phase="L3"),
    Signal("voltage_l1_v", "V", "voltage L1", "voltage of phase L1", "meter", "powermeter",
           _phase("voltage_v", "L1"), decimals=2, initial=0.0, panel="voltage"),
    Signal("power_w", "W", "power", "active power delivered", "meter", "powermeter",
           lambda v: v["power_w"]["total"], decimals=1, initial=0.0, panel="power"),
    Signal("energy_wh", "Wh", "energy", "energy delivered so far (meter)", "meter",
           "powermeter", lambda v: v["energy_wh_import"]["total"], initial=0.0,
           panel="energy", slope=_ac_energy_slope),
    Signal("soc_pct", "%", "SoC", "the car's state of charge", "car", "ev_state",
           lambda v: v["soc_pct"], panel="soc", slope=lambda v: v.get("soc_rate_pct_s", 0.0)),
    # DC charging: the DC meter on the cable side (no phases) and the car's request.
    Signal("dc_voltage_v", "V", "DC voltage", "DC output voltage on the cable side (DC meter)",
           "meter", "powermeter", _dc_reading("voltage_v"), decimals=1, initial=0.0,
           panel="dc_voltage"),
    Signal("dc_current_a", "A", "DC current", "DC output current (DC meter)", "meter",
           "powermeter", _dc_reading("current_a"), decimals=1, initial=0.0, panel="dc_current"),
    Signal("dc_target_voltage_v", "V", "target voltage", "the voltage the car asks for "
           "(EVTargetVoltage) while DC power flows", "car", "ev_state",
           lambda v: v.get("dc_target_voltage_v", math.nan), decimals=1, panel="dc_voltage"),
    Signal("dc_target_current_a", "A", "target current", "the current the car asks for "
           "(EVTargetCurrent) while DC power flows", "car", "ev_state",
           lambda v: v.get("dc_target_current_a", math.nan), decimals=1, panel="dc_current"),
    Signal("grid_limit_a", "A", "grid limit", "current limit of the grid connection in force "
           "(0 in an outage)", "grid", "supply",
           lambda v: v["max_current_a"] if v["available"] else 0.0, panel="current"),
    Signal("pv_power_w", "W", "PV", "the site's PV production (a simulated grid with a site)",
           "grid", "site", lambda v: v["pv_w"], decimals=1, initial=0.0, panel="site"),
    Signal("base_load_w", "W", "base load", "the site's own load, chargers excluded", "grid",
           "site", lambda v: v["base_load_w"], decimals=1, initial=0.0, panel="site"),
    Signal("site_import_w", "W", "site import", "the grid-side meter: import at the "
           "connection point (chargers plus base load less PV)", "grid", "site",
           lambda v: v["import_w"], decimals=1, initial=0.0, panel="site"),
    Signal("price_per_kwh", "/kWh", "price", "the price of imported energy now", "grid", "site",
           lambda v: v["price_per_kwh"], decimals=5, initial=0.0, panel="price"),
)
SIGNAL_BY_NAME: dict[str, Signal] = {s.name: s for s in SIGNALS}
# Signals a scenario can compare with numbers (conditions and signal/total/final expectations);
# the pilot state and the contactor have their own conditions (cp, contactor).
NUMERIC_SIGNALS: tuple[str, ...] = tuple(s.name for s in SIGNALS if s.kind == "number")



@dataclass(frozen=True)
class DerivedSignal:
    """A line the report computes from a recorded signal, sample by sample; it is not a column
    of signals.csv (the recorded signal is), only a plot line beside the measured ones."""

    name: str
    unit: str
    label: str
    description: str
    source: str  # the recorded signal it is computed from
    convert: Callable[[float], float]
    panel: str


def _offered_current_a(duty_pct: float) -> float:
    # No PWM (recorded as missing) offers nothing, like the duty cycles outside 8-97 %.
    return current_from_duty(None if math.isnan(duty_pct) else duty_pct)


DERIVED_SIGNALS: tuple[DerivedSignal, ...] = (
    DerivedSignal("offered_current_a", "A", "offered", "current the PWM duty cycle offers the "
                  "car (IEC 61851-1 Annex A)", "pwm_duty_pct", _offered_current_a, "current"),
)

# Column order of the sampled-signal table (RunResult.signals and signals.csv).
# One row per connector per sample.
SIGNAL_COLUMNS: tuple[str, ...] = ("t", "connector", *(s.name for s in SIGNALS))

# Control-pilot states in the order they are drawn (bottom to top).
CP_STATES: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")

# Event kinds/names the reports give special treatment; everything else is shown generically.
SESSION_EVENT_KIND = "var"
SESSION_EVENT_NAME = "session_event"
ERROR_KINDS: tuple[str, ...] = ("error_raised", "error_cleared", "cmd_error")


def signals_columns() -> list[str]:
    """Column order of the signal table, for the recorder to build its DataFrame with."""
    return list(SIGNAL_COLUMNS)


def events_columns() -> list[str]:
    """Column order of the timeline table."""
    return list(EVENT_COLUMNS)


def empty_events() -> pd.DataFrame:
    """A timeline with the contract's columns and no rows."""
    import pandas as pd

    return pd.DataFrame(
        {
            "t": pd.Series(dtype="float64"),
            "source": pd.Series(dtype="object"),
            "kind": pd.Series(dtype="object"),
            "name": pd.Series(dtype="object"),
            "value": pd.Series(dtype="object"),
        }
    )


def empty_signals() -> pd.DataFrame:
    """A signal table with the contract's columns and no rows."""
    import pandas as pd

    kinds = {"number": "float64", "bool": "bool", "state": "object"}
    dtypes = {"t": "float64", "connector": "int64", **{s.name: kinds[s.kind] for s in SIGNALS}}
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in SIGNAL_COLUMNS})


@dataclass(frozen=True)
class ExpectationResult:
    name: str  # human text, e.g. "charging starts within 5 s of authorization"
    passed: bool
    detail: str  # why it passed/failed
    t: float | None  # simulated time the verdict refers to, if any
    # "expectation" (the scenario's), "implicit" (every step ran, no exception), "invariant"
    # (a safety invariant, judged on every run) or "invariant-off" (switched off, with reason)
    kind: str = "expectation"


@dataclass
class RunResult:
    scenario: str  # scenario title
    scenario_file: str  # path as the user gave it
    station: str  # station config name/path
    seed: int
    events: pd.DataFrame  # columns EVENT_COLUMNS, in recording order
    signals: pd.DataFrame  # columns SIGNAL_COLUMNS, one row per connector per sample
    expectations: list[ExpectationResult] = field(default_factory=list)
    sim_time_s: float = 0.0
    wall_time_s: float = 0.0
    energy_wh: dict[int, float] = field(default_factory=dict)  # delivered energy per connector

    @property
    def passed(self) -> bool:
        """Every expectation passed. A run without expectations passes: nothing was asserted."""
        return all(e.passed for e in self.expectations)

    @property
    def failed_expectations(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if not e.passed]


def is_missing(v: Any) -> bool:
    """None, NaN and pandas' NA all mean "no value"."""
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    import pandas as pd

    return v is pd.NA


def parse_value(text: Any) -> Any:
    """Decode an event's JSON value; text that is not JSON is returned unchanged."""
    if not isinstance(text, str):
        return None if is_missing(text) else text
    try:
        return json.loads(text)
    except ValueError:
        return text


def session_events(events: pd.DataFrame) -> pd.DataFrame:
    """Session events (kind "var", name "session_event") as columns t, connector, event, details.

    connector is taken from the value's "connector" key (None when absent), event from its "event"
    key (the raw value when it is not a JSON object), and details is the rest of the object as
    compact JSON with sorted keys ("" when nothing is left).
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    if len(events):
        mask = (events["kind"] == SESSION_EVENT_KIND) & (events["name"] == SESSION_EVENT_NAME)
        for t, value in zip(events.loc[mask, "t"].tolist(), events.loc[mask, "value"].tolist()):
            decoded = parse_value(value)
            if isinstance(decoded, dict):
                rest = {k: v for k, v in decoded.items() if k not in ("event", "connector")}
                rows.append(
                    {
                        "t": t,
                        "connector": decoded.get("connector"),
                        "event": str(decoded.get("event", "")),
                        "details": json.dumps(rest, sort_keys=True, separators=(",", ":"))
                        if rest
                        else "",
                    }
                )
            else:
                text = "" if decoded is None else str(value)
                rows.append({"t": t, "connector": None, "event": text, "details": ""})
    return pd.DataFrame(rows, columns=["t", "connector", "event", "details"])


def unique_names(names: Sequence[str]) -> list[str]:
    """The names in order, a repeated one numbered from its second use on ("x", "x (2)"), so
    that each names one row of the report, one JUnit test case and one summary entry."""
    taken = set(names)
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        candidate, n = name, seen[name]
        if n > 1:
            candidate = f"{name} ({n})"
            while candidate in taken:  # "x (2)" may itself be a name given by the scenario
                n += 1
                candidate = f"{name} ({n})"
            seen[name] = n
            taken.add(candidate)
        out.append(candidate)
    return out


def anchor_ids(names: Sequence[str], prefix: str) -> list[str]:
    """HTML ids readable in a link ("exp-the-fuse-is-never-exceeded"), one per name, unique."""
    out, taken = [], set()
    for i, name in enumerate(names, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].rstrip("-")
        base = f"{prefix}-{slug}" if slug else f"{prefix}-{i}"
        ident, n = base, 1
        while ident in taken:
            n += 1
            ident = f"{base}-{n}"
        taken.add(ident)
        out.append(ident)
    return out


@dataclass(frozen=True)
class NamedExpectation:
    """An expectation with the name and HTML id the report gives it, both unique in the run."""

    result: ExpectationResult
    name: str
    anchor: str


def named_expectations(expectations: Sequence[ExpectationResult]) -> list[NamedExpectation]:
    """The run's expectations and invariants, in order, each with a unique name and anchor
    ("exp-..." for the scenario's, "inv-..." for the safety invariants)."""
    names = unique_names([e.name for e in expectations])
    is_invariant = [e.kind.startswith("invariant") for e in expectations]
    exp_ids = iter(anchor_ids([n for n, inv in zip(names, is_invariant) if not inv], "exp"))
    inv_ids = iter(anchor_ids([n.removeprefix("invariant: ") for n, inv in zip(names, is_invariant)
                               if inv], "inv"))
    return [NamedExpectation(e, n, next(inv_ids) if inv else next(exp_ids))
            for e, n, inv in zip(expectations, names, is_invariant)]
