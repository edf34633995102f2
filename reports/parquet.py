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


def _column(values: list, kind: str) -> list:
    if kind == "text":
        return [None if is_missing(v) else format_text(v) for v in values]
    if kind == "bool":
        return [None if is_missing(v) else bool(v) for v in values]
    if kind == "state":
        return [None if is_missing(v) else str(v) for v in values]
    if kind == "int":
        return [None if is_missing(v) else int(v) for v in values]
    return [None if is_missing(v) else float(v) for v in values]


def _table(df: pd.DataFrame | None, schema: pa.Schema, kinds: dict[str, str]) -> pa.Table:
    columns = schema.names
    if df is None or len(df) == 0:
        return schema.empty_table()
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"the table is missing column(s) {', '.join(missing)}")
    arrays = [pa.array(_column(df[c].tolist(), kinds[c]), type=schema.field(c).type)
              for c in columns]
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
