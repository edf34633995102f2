"""Float formatting of the CSV cells: fixed decimals, round trip, no negative zero, NaN empty."""

from __future__ import annotations

import csv
import io
import math
import re

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from reports import SIGNAL_COLUMNS, signals_csv
from reports.formatting import SIGNAL_DECIMALS, format_float, json_number

_NEG_ZERO = re.compile(r"-0(\.0*)?")


@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(min_value=0, max_value=9))
def test_format_float(x: float, decimals: int) -> None:
    text = format_float(x, decimals)
    assert not _NEG_ZERO.fullmatch(text)
    if math.isnan(x):
        assert text == ""
        return
    assert "nan" not in text
    if math.isinf(x):
        assert text == ("inf" if x > 0 else "-inf")
        return
    pattern = r"-?\d+" + (rf"\.\d{{{decimals}}}" if decimals else "")
    assert re.fullmatch(pattern, text), text
    back = float(text)
    # Correct rounding to the stated decimals, plus at most one ulp from parsing back.
    assert abs(back - x) <= 0.5 * 10.0**-decimals + math.ulp(x)


def test_format_float_examples() -> None:
    assert format_float(None, 3) == ""
    assert format_float(float("nan"), 3) == ""
    assert format_float(pd.NA, 3) == ""
    assert format_float(-0.0, 3) == "0.000"
    assert format_float(-0.0004, 3) == "0.000"
    assert format_float(-0.0006, 3) == "-0.001"
    assert format_float(12, 1) == "12.0"
    assert format_float(1e20, 0) == "100000000000000000000"
    assert json_number(-0.0, 3) == 0.0 and math.copysign(1, json_number(-1e-9, 3)) == 1
    assert json_number(float("nan"), 3) is None


_cell = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=False, width=64))


@given(st.lists(st.tuples(*[_cell] * len(SIGNAL_DECIMALS)), min_size=1, max_size=20))
def test_signals_csv_cells_round_trip(rows: list[tuple[float | None, ...]]) -> None:
    float_cols = list(SIGNAL_DECIMALS)
    data = [dict(zip(float_cols, r), connector=1, cp_state="C", contactor_closed=True)
            for r in rows]
    frame = pd.DataFrame(data, columns=list(SIGNAL_COLUMNS))
    parsed = list(csv.reader(io.StringIO(signals_csv(frame))))
    header, body = parsed[0], parsed[1:]
    assert len(body) == len(rows)
    for raw, cells in zip(rows, body):
        by_col = dict(zip(header, cells))
        for col, x in zip(float_cols, raw):
            text = by_col[col]
            if x is None or math.isnan(x):
                assert text == ""
                continue
            assert not _NEG_ZERO.fullmatch(text) and "nan" not in text
            assert abs(float(text) - x) <= 0.5 * 10.0 ** -SIGNAL_DECIMALS[col] + math.ulp(x)
