"""The data contract between the scenario runner (which records a run) and the report writers."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is loaded only where tables are built: module processes skip it
    import pandas as pd

# Column order of the timeline table (RunResult.events and timeline.csv).
EVENT_COLUMNS: tuple[str, ...] = ("t", "source", "kind", "name", "value")

# Column order of the sampled-signal table (RunResult.signals and signals.csv).
# One row per connector per sample.
SIGNAL_COLUMNS: tuple[str, ...] = (
    "t",
    "connector",
    "cp_state",
    "cp_voltage_v",
    "pwm_duty_pct",
    "contactor_closed",
    "current_l1_a",
    "current_l2_a",
    "current_l3_a",
    "voltage_l1_v",
    "power_w",
    "energy_wh",
    "soc_pct",
    "grid_limit_a",
)

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

    dtypes = {c: "float64" for c in SIGNAL_COLUMNS}
    dtypes.update(connector="int64", cp_state="object", contactor_closed="bool")
    return pd.DataFrame({c: pd.Series(dtype=dtypes[c]) for c in SIGNAL_COLUMNS})


@dataclass(frozen=True)
class ExpectationResult:
    name: str  # human text, e.g. "charging starts within 5 s of authorization"
    passed: bool
    detail: str  # why it passed/failed
    t: float | None  # simulated time the verdict refers to, if any


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
