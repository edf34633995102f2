"""Locale-free, deterministic text for the cells of the CSV files and numbers in summary.json.

Rules (documented in docs/reports.md):
- floats: fixed number of decimals per column, never "-0.000" (negative zero and negative values
  that round to zero are written unsigned), +/-infinity as "inf"/"-inf";
- missing values (None, NaN, pandas NA): empty cell;
- booleans: "true"/"false";
- integers: plain digits;
- text: as is; non-string event values are encoded as compact JSON with sorted keys.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from reports.model import SIGNALS, is_missing

TIME_DECIMALS = 6  # microseconds

# Decimals per float column of signals.csv (from the signal table); chosen finer than any
# instrument the bench reads.
SIGNAL_DECIMALS: dict[str, int] = {
    "t": TIME_DECIMALS, **{s.name: s.decimals for s in SIGNALS if s.kind == "number"}}


def format_float(x: Any, decimals: int) -> str:
    """Fixed-point text with exactly `decimals` decimals; "" for a missing value."""
    if is_missing(x):
        return ""
    x = float(x)
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{decimals}f}"  # f-format ignores the locale and rounds correctly
    if text[0] == "-" and not text.strip("-0."):
        text = text[1:]  # "-0.000" -> "0.000"
    return text


def format_int(x: Any) -> str:
    if is_missing(x):
        return ""
    return str(int(x))


def format_bool(x: Any) -> str:
    if is_missing(x):
        return ""
    return "true" if bool(x) else "false"


def format_text(x: Any) -> str:
    """Text cell: missing -> "", strings as is, anything else as compact sorted JSON."""
    if is_missing(x):
        return ""
    if isinstance(x, str):
        return x
    if isinstance(x, np.generic):
        x = x.item()
    try:
        return json.dumps(x, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        return str(x)


def json_number(x: Any, decimals: int) -> float | None:
    """A float for summary.json: rounded, no negative zero, None (JSON null) when not finite."""
    if is_missing(x):
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
