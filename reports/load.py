"""Read a run directory back: its tables as pandas DataFrames, its summary, its RunResult.

    run = reports.load_run("out/my_run")
    run.signals[run.signals.connector == 1].plot(x="t", y="current_l1_a")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.model import (
    EVENT_COLUMNS,
    SIGNAL_BY_NAME,
    SIGNAL_COLUMNS,
    ExpectationResult,
    RunResult,
    is_missing,
    session_events,
)
from reports.parquet import read_parquet
from reports.writer import FILE_NAMES


def _read_cells(path: Path) -> pd.DataFrame:
    # Every cell as text first: pandas would otherwise turn event values such as "null" or "NA"
    # into NaN. Empty cells stay "" and are converted per column below.
    return pd.read_csv(
        path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8"
    )


def _floats(s: pd.Series) -> pd.Series:
    return s.replace("", np.nan).astype("float64")


def read_timeline(path: Path) -> pd.DataFrame:
    df = _read_cells(path)
    df = df.loc[:, list(EVENT_COLUMNS)]
    df["t"] = _floats(df["t"])
    for c in EVENT_COLUMNS[1:]:
        df[c] = df[c].astype(object)
    return df


def read_signals(path: Path) -> pd.DataFrame:
    df = _read_cells(path)
    df = df.loc[:, list(SIGNAL_COLUMNS)]
    out: dict[str, pd.Series] = {}
    kinds = {c: SIGNAL_BY_NAME[c].kind if c in SIGNAL_BY_NAME else "number"
             for c in SIGNAL_COLUMNS}
    for c in SIGNAL_COLUMNS:
        s = df[c]
        if c == "connector":
            has_missing = bool((s == "").any())
            out[c] = s.replace("", None).astype("Int64" if has_missing else "int64")
        elif kinds[c] == "bool":
            mapped = s.map({"true": True, "false": False, "": pd.NA})
            out[c] = mapped.astype("boolean" if mapped.isna().any() else "bool")
        elif kinds[c] == "state":
            out[c] = s.map(lambda v: None if v == "" else v).astype(object)
        else:
            out[c] = _floats(s)
    return pd.DataFrame(out, columns=list(SIGNAL_COLUMNS))


def _normalise_timeline(df: pd.DataFrame) -> pd.DataFrame:
    df = df.loc[:, list(EVENT_COLUMNS)].copy()
    df["t"] = df["t"].astype("float64")
    for c in EVENT_COLUMNS[1:]:
        df[c] = pd.Series([None if is_missing(v) else str(v) for v in df[c].tolist()],
                          index=df.index, dtype=object)
    return df


def _normalise_signals(df: pd.DataFrame) -> pd.DataFrame:
    """Parquet's columns with the dtypes read_signals gives the CSV's."""
    out: dict[str, pd.Series] = {}
    for c in SIGNAL_COLUMNS:
        s = df[c]
        kind = SIGNAL_BY_NAME[c].kind if c in SIGNAL_BY_NAME else "number"
        if c == "connector":
            out[c] = s.astype("Int64" if s.isna().any() else "int64")
        elif kind == "bool":
            out[c] = s.astype("boolean" if s.isna().any() else "bool")
        elif kind == "state":
            out[c] = pd.Series([None if is_missing(v) else str(v) for v in s.tolist()],
                               index=df.index, dtype=object)
        else:
            out[c] = s.astype("float64")
    return pd.DataFrame(out, columns=list(SIGNAL_COLUMNS))


EXPECTATION_COLUMNS: tuple[str, ...] = ("name", "passed", "detail", "t", "kind")


@dataclass
class Run:
    """A run directory read back: the tables as pandas DataFrames and the summary as a dict.

    ``timeline``: columns EVENT_COLUMNS, one row per event in recording order.
    ``signals``: columns SIGNAL_COLUMNS, one row per connector per sample.
    ``expectations``: columns EXPECTATION_COLUMNS, one row per expectation and invariant.
    ``summary``: summary.json as written.
    """

    path: Path
    summary: dict[str, Any]
    timeline: pd.DataFrame
    signals: pd.DataFrame
    expectations: pd.DataFrame

    @property
    def passed(self) -> bool:
        return bool(self.summary["passed"])

    def session_events(self) -> pd.DataFrame:
        """The session events: columns t, connector, event, details."""
        return session_events(self.timeline)

    def result(self) -> RunResult:
        """The RunResult the files were written from (at the files' precision)."""
        summary = self.summary
        return RunResult(
            scenario=summary["scenario"],
            scenario_file=summary["scenario_file"],
            station=summary["station"],
            seed=int(summary["seed"]),
            events=self.timeline,
            signals=self.signals,
            expectations=[
                ExpectationResult(name=e["name"], passed=bool(e["passed"]), detail=e["detail"],
                                  t=e.get("t"), kind=e.get("kind", "expectation"))
                for e in summary.get("expectations", [])
            ],
            sim_time_s=float(summary.get("sim_time_s") or 0.0),
            wall_time_s=float(summary.get("wall_time_s") or 0.0),
            energy_wh={
                int(k): (float("nan") if v is None else float(v))
                for k, v in summary.get("energy_wh", {}).items()
            },
        )


def load_run(out_dir: Path | str, *, prefer: str = "parquet") -> Run:
    """Read the run written to ``out_dir`` by write_report.

    The tables come from the Parquet files (full precision) when they are there and ``prefer``
    is "parquet", else from the CSV files (at their precision; runs written before the Parquet
    files existed have only those).
    """
    out_dir = Path(out_dir)
    if prefer not in ("parquet", "csv"):
        raise ValueError(f"prefer is 'parquet' or 'csv', not {prefer!r}")
    summary = json.loads((out_dir / FILE_NAMES["summary"]).read_text(encoding="utf-8"))
    timeline_pq = out_dir / FILE_NAMES["timeline_parquet"]
    signals_pq = out_dir / FILE_NAMES["signals_parquet"]
    if prefer == "parquet" and timeline_pq.is_file() and signals_pq.is_file():
        timeline = _normalise_timeline(read_parquet(timeline_pq))
        signals = _normalise_signals(read_parquet(signals_pq))
    else:
        timeline = read_timeline(out_dir / FILE_NAMES["timeline"])
        signals = read_signals(out_dir / FILE_NAMES["signals"])
    rows = [{c: e.get(c) for c in EXPECTATION_COLUMNS} for e in summary.get("expectations", [])]
    expectations = pd.DataFrame(rows, columns=list(EXPECTATION_COLUMNS))
    expectations["t"] = expectations["t"].astype("float64")
    expectations["passed"] = expectations["passed"].astype(bool)
    return Run(out_dir, summary, timeline, signals, expectations)


def load_result(out_dir: Path | str) -> RunResult:
    """The RunResult written to ``out_dir``, read from its CSV files (for comparing runs)."""
    return load_run(out_dir, prefer="csv").result()
