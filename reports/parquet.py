"""timeline.parquet and signals.parquet: the two tables typed, for pandas, Arrow and DuckDB.

The same rows and columns as the CSV files, in the same order, with a fixed schema taken from
the contract (reports.model): numbers are float64 at full precision (the CSV files round them),
states and event texts strings, the contactor a boolean, missing values null.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reports.formatting import format_text
from reports.model import EVENT_COLUMNS, SIGNAL_COLUMNS, SIGNALS, is_missing

_ARROW_TYPES = {"number": pa.float64(), "bool": pa.bool_(), "state": pa.string()}
TIMELINE_SCHEMA = pa.schema([("t", pa.float64()), *((c, pa.string()) for c in EVENT_COLUMNS[1:])])
SIGNALS_SCHEMA = pa.schema([("t", pa.float64()), ("connector", pa.int64()),
                            *((s.name, _ARROW_TYPES[s.kind]) for s in SIGNALS)])


def _array(series: pd.Series, kind: str, arrow_type: pa.DataType) -> pa.Array:
    """One column as Arrow, missing values (None, NaN, NA) as null."""
    if kind == "number":
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        return pa.array(values, type=arrow_type, from_pandas=True)
    if kind == "int":
        return pa.array(series.astype("Int64"), type=arrow_type, from_pandas=True)
    values = series.tolist()
    if kind == "bool":
        cells = [None if is_missing(v) else bool(v) for v in values]
    elif kind == "state":
        cells = [None if is_missing(v) else str(v) for v in values]
    else:  # event text: non-string values as the CSV writes them (compact JSON)
        cells = [v if isinstance(v, str) else None if is_missing(v) else format_text(v)
                 for v in values]
    return pa.array(cells, type=arrow_type)


def _table(df: pd.DataFrame | None, schema: pa.Schema, kinds: dict[str, str]) -> pa.Table:
    columns = schema.names
    if df is None or len(df) == 0:
        return schema.empty_table()
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"the table is missing column(s) {', '.join(missing)}")
    arrays = [_array(df[c], kinds[c], schema.field(c).type) for c in columns]
    return pa.Table.from_arrays(arrays, schema=schema)


def timeline_table(events: pd.DataFrame | None) -> pa.Table:
    kinds = {"t": "number", **{c: "text" for c in EVENT_COLUMNS[1:]}}
    return _table(events, TIMELINE_SCHEMA, kinds)


def signals_table(signals: pd.DataFrame | None) -> pa.Table:
    kinds = {"t": "number", "connector": "int", **{s.name: s.kind for s in SIGNALS}}
    assert list(kinds) == list(SIGNAL_COLUMNS)
    return _table(signals, SIGNALS_SCHEMA, kinds)


def write_parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path, compression="zstd")
    return path


def read_parquet(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()
