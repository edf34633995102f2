"""Read a written report directory back into a RunResult (for comparing runs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from reports.model import (
    EVENT_COLUMNS,
    SIGNAL_BY_NAME,
    SIGNAL_COLUMNS,
    ExpectationResult,
    RunResult,
)


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


def load_run(out_dir: Path | str) -> RunResult:
    """The RunResult written to `out_dir` by write_report, at the precision of the files."""
    out_dir = Path(out_dir)
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    expectations = [
        ExpectationResult(
            name=e["name"], passed=bool(e["passed"]), detail=e["detail"], t=e.get("t"),
            kind=e.get("kind", "expectation"),
        )
        for e in summary.get("expectations", [])
    ]
    return RunResult(
        scenario=summary["scenario"],
        scenario_file=summary["scenario_file"],
        station=summary["station"],
        seed=int(summary["seed"]),
        events=read_timeline(out_dir / "timeline.csv"),
        signals=read_signals(out_dir / "signals.csv"),
        expectations=expectations,
        sim_time_s=float(summary.get("sim_time_s") or 0.0),
        wall_time_s=float(summary.get("wall_time_s") or 0.0),
        energy_wh={
            int(k): (float("nan") if v is None else float(v))
            for k, v in summary.get("energy_wh", {}).items()
        },
    )
