"""timeline.csv, signals.csv and summary.json: the machine-readable outputs of a run."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from reports.formatting import (
    SIGNAL_DECIMALS,
    TIME_DECIMALS,
    format_bool,
    format_float,
    format_int,
    format_text,
    json_number,
)
from reports.model import (
    EVENT_COLUMNS,
    SIGNAL_BY_NAME,
    SIGNAL_COLUMNS,
    RunResult,
    named_expectations,
)
from reports.site import site_kpis

SUMMARY_FORMAT_VERSION = 1


def _frame(df: pd.DataFrame | None, columns: Sequence[str], what: str) -> pd.DataFrame:
    """The contract's columns of `df`, in contract order; extra columns are not written."""
    if df is None or (len(df) == 0 and len(df.columns) == 0):
        return pd.DataFrame({c: [] for c in columns})
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing column(s) {', '.join(missing)}")
    return df.loc[:, list(columns)]


def _signal_formatter(column: str) -> Callable[[Any], str]:
    if column == "connector":
        return format_int
    kind = SIGNAL_BY_NAME[column].kind if column in SIGNAL_BY_NAME else "number"
    if kind == "bool":
        return format_bool
    if kind == "state":
        return format_text
    decimals = SIGNAL_DECIMALS[column]
    return lambda x: format_float(x, decimals)


def _csv_text(header: Sequence[str], columns: list[list[str]]) -> str:
    buf = io.StringIO()
    # "\n" everywhere so the bytes do not depend on the platform writing them.
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(zip(*columns))
    return buf.getvalue()


def timeline_csv(events: pd.DataFrame | None) -> str:
    """The text of timeline.csv: one row per event, in recording order."""
    df = _frame(events, EVENT_COLUMNS, "events")
    cells = [[format_float(v, TIME_DECIMALS) for v in df["t"].tolist()]]
    for c in EVENT_COLUMNS[1:]:
        cells.append([format_text(v) for v in df[c].tolist()])
    return _csv_text(EVENT_COLUMNS, cells)


def signals_csv(signals: pd.DataFrame | None) -> str:
    """The text of signals.csv: one row per connector per sample, in recording order."""
    df = _frame(signals, SIGNAL_COLUMNS, "signals")
    cells = []
    for c in SIGNAL_COLUMNS:
        fmt = _signal_formatter(c)
        cells.append([fmt(v) for v in df[c].tolist()])
    return _csv_text(SIGNAL_COLUMNS, cells)


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The content of summary.json."""
    events = 0 if result.events is None else len(result.events)
    samples = 0 if result.signals is None else len(result.signals)
    failed = len(result.failed_expectations)
    named = named_expectations(result.expectations)
    return {
        "format_version": SUMMARY_FORMAT_VERSION,
        "passed": result.passed,
        "scenario": result.scenario,
        "scenario_file": result.scenario_file,
        "station": result.station,
        "seed": int(result.seed),
        "sim_time_s": json_number(result.sim_time_s, TIME_DECIMALS),
        "wall_time_s": json_number(result.wall_time_s, 3),
        # JSON object keys are strings; sorted numerically so connector 10 follows 9.
        "energy_wh": {
            str(k): json_number(v, 3) for k, v in sorted(result.energy_wh.items(), key=_conn_key)
        },
        # Names as the report shows them: a repeated one is numbered, so each names one entry.
        "expectations": [
            {
                "name": n.name,
                "passed": bool(n.result.passed),
                "detail": n.result.detail,
                "t": json_number(n.result.t, TIME_DECIMALS),
                "kind": n.result.kind,
            }
            for n in named
        ],
        # The safety invariants judged on every run (also among "expectations", by kind).
        "invariants": {
            "judged": sum(e.kind == "invariant" for e in result.expectations),
            "violated": [n.name for n in named
                         if n.result.kind == "invariant" and not n.result.passed],
            "switched_off": {n.name: n.result.detail for n in named
                             if n.result.kind == "invariant-off"},
        },
        # The site's KPIs (reports.site), when cars came and went by steps or there is an
        # energy tree; null otherwise.
        "site": site_kpis(result.events, result.signals),
        "counts": {
            "events": events,
            "samples": samples,
            "expectations": len(result.expectations),
            "expectations_passed": len(result.expectations) - failed,
            "expectations_failed": failed,
        },
    }


def _conn_key(item: tuple[Any, Any]) -> tuple[int, str]:
    k = item[0]
    try:
        return (int(k), "")
    except (TypeError, ValueError):
        return (2**31, str(k))


def summary_json(result: RunResult) -> str:
    return json.dumps(summary_dict(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_text(path: Path, text: str) -> Path:
    # newline="" keeps "\n" as written on every platform.
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path
