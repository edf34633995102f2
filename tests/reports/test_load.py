"""Parquet beside the CSV files, and load_run: a run directory as pandas DataFrames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from reports import RunResult, load_run, write_report
from reports.load import EXPECTATION_COLUMNS
from reports.model import EVENT_COLUMNS, SIGNAL_COLUMNS


def test_parquet_files_hold_the_tables_typed(run: RunResult, tmp_path: Path) -> None:
    paths = write_report(run, tmp_path)
    signals = pq.read_table(paths["signals_parquet"])
    timeline = pq.read_table(paths["timeline_parquet"])
    assert signals.column_names == list(SIGNAL_COLUMNS)
    assert timeline.column_names == list(EVENT_COLUMNS)
    assert str(signals.schema.field("connector").type) == "int64"
    assert str(signals.schema.field("contactor_closed").type) == "bool"
    assert str(signals.schema.field("cp_state").type) == "string"
    assert signals.num_rows == len(run.signals) and timeline.num_rows == len(run.events)
    # Full precision, where the CSV rounds.
    assert signals.column("voltage_l1_v").to_pylist() == run.signals["voltage_l1_v"].tolist()


def test_load_run_gives_dataframes(run: RunResult, tmp_path: Path) -> None:
    write_report(run, tmp_path)
    loaded = load_run(tmp_path)
    assert loaded.summary["scenario"] == run.scenario and loaded.passed is False
    assert list(loaded.timeline.columns) == list(EVENT_COLUMNS)
    assert loaded.timeline["value"].tolist() == run.events["value"].tolist()
    assert list(loaded.signals.columns) == list(SIGNAL_COLUMNS)
    assert loaded.signals["connector"].dtype == np.int64
    assert loaded.signals["contactor_closed"].dtype == bool
    np.testing.assert_array_equal(loaded.signals["power_w"], run.signals["power_w"])
    assert list(loaded.expectations.columns) == list(EXPECTATION_COLUMNS)
    assert loaded.expectations["passed"].tolist() == [e.passed for e in run.expectations]
    assert loaded.session_events()["event"].tolist()[:2] == ["SessionStarted", "Authorized"]
    # From the CSV files the same frames, at the CSV's precision.
    from_csv = load_run(tmp_path, prefer="csv")
    assert from_csv.timeline.equals(loaded.timeline)
    np.testing.assert_allclose(from_csv.signals["power_w"], loaded.signals["power_w"], atol=0.05)
    assert from_csv.signals["cp_state"].tolist() == loaded.signals["cp_state"].tolist()


def test_a_run_written_before_parquet_loads_from_csv(run: RunResult, tmp_path: Path) -> None:
    paths = write_report(run, tmp_path)
    paths["timeline_parquet"].unlink()
    loaded = load_run(tmp_path)
    assert len(loaded.timeline) == len(run.events)
    assert loaded.result().expectations == run.expectations
