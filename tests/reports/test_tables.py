"""timeline.csv, signals.csv, summary.json and reading a written run back."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from reports import (
    EVENT_COLUMNS,
    SIGNAL_COLUMNS,
    RunResult,
    empty_events,
    empty_signals,
    load_result,
    load_run,
    signals_csv,
    timeline_csv,
    write_report,
)
from reports.formatting import SIGNAL_DECIMALS


@pytest.fixture(scope="module")
def written(
    make_run: Callable[..., RunResult], tmp_path_factory: pytest.TempPathFactory
) -> tuple[RunResult, dict[str, Path]]:
    """The example run written once, for tests that only read the files."""
    run = make_run()
    return run, write_report(run, tmp_path_factory.mktemp("report") / "out")


def _rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_writes_all_files(written: tuple[RunResult, dict[str, Path]]) -> None:
    _, paths = written
    out = paths["report"].parent
    assert set(paths) == {"timeline", "signals", "timeline_parquet", "signals_parquet",
                          "summary", "report", "junit"}
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["timeline.csv", "signals.csv", "timeline.parquet", "signals.parquet", "summary.json",
         "report.html", "junit.xml"]
    )
    assert all(p.parent == out for p in paths.values())


def test_csv_headers_and_row_counts(written: tuple[RunResult, dict[str, Path]]) -> None:
    run, paths = written
    timeline = _rows(paths["timeline"])
    signals = _rows(paths["signals"])
    assert timeline[0] == ["t", "source", "kind", "name", "value"]
    assert signals[0] == list(SIGNAL_COLUMNS)
    assert len(timeline) - 1 == len(run.events) == 13
    assert len(signals) - 1 == len(run.signals) == 600
    # Unix line ends regardless of platform.
    assert b"\r\n" not in paths["timeline"].read_bytes()


def test_two_writes_are_byte_identical(
    make_run: Callable[..., RunResult], tmp_path: Path
) -> None:
    a = write_report(make_run(), tmp_path / "a")
    b = write_report(make_run(), tmp_path / "b")
    for key in ("timeline", "signals"):
        assert a[key].read_bytes() == b[key].read_bytes()


def test_wall_time_does_not_reach_the_csv_files(run: RunResult, tmp_path: Path) -> None:
    a = write_report(run, tmp_path / "a")
    run.wall_time_s = 1234.5
    b = write_report(run, tmp_path / "b")
    for key in ("timeline", "signals"):
        assert a[key].read_bytes() == b[key].read_bytes()


def test_signal_floats_have_fixed_decimals(written: tuple[RunResult, dict[str, Path]]) -> None:
    rows = _rows(written[1]["signals"])
    header = rows[0]
    for row in rows[1:]:
        for col, cell in zip(header, row):
            if col in SIGNAL_DECIMALS:
                assert re.fullmatch(rf"-?\d+\.\d{{{SIGNAL_DECIMALS[col]}}}", cell), (col, cell)
                assert not re.fullmatch(r"-0\.0*", cell)
    assert {r[header.index("contactor_closed")] for r in rows[1:]} == {"true", "false"}
    assert rows[1][header.index("connector")] == "1"


def test_times_are_microseconds_and_no_negative_zero() -> None:
    events = pd.DataFrame(
        [(-0.0, "a", "log", "x", "{}"), (1 / 3, "b", "log", "y", "{}"),
         (-1e-9, "c", "log", "z", "{}"), (2.0000004, "d", "log", "w", "{}")],
        columns=list(EVENT_COLUMNS),
    )
    lines = timeline_csv(events).splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == [
        "0.000000", "0.333333", "0.000000", "2.000000"
    ]


def test_missing_values_are_empty_cells() -> None:
    row = {c: np.nan for c in SIGNAL_COLUMNS}
    row.update(t=1.0, connector=1, cp_state=None, contactor_closed=None,
               power_w=float("inf"), energy_wh=float("-inf"), soc_pct=-0.0)
    sig = pd.DataFrame([row], columns=list(SIGNAL_COLUMNS))
    line = signals_csv(sig).split("\n")[1]
    cells = dict(zip(SIGNAL_COLUMNS, next(csv.reader(io.StringIO(line)))))
    assert cells["cp_state"] == "" and cells["contactor_closed"] == ""
    assert cells["current_l1_a"] == "" and cells["grid_limit_a"] == ""
    assert cells["power_w"] == "inf" and cells["energy_wh"] == "-inf"
    assert cells["soc_pct"] == "0.000"
    assert "nan" not in signals_csv(sig).lower()


def test_event_values_with_commas_quotes_and_newlines_round_trip(tmp_path: Path) -> None:
    values = ['{"a": "x,y"}', 'say "hi"', "two\nlines", "", "null", "NA", "<b>é</b>"]
    events = pd.DataFrame(
        {"t": [float(i) for i in range(len(values))], "source": "s", "kind": "log",
         "name": "n", "value": values}
    )
    path = tmp_path / "timeline.csv"
    path.write_text(timeline_csv(events), encoding="utf-8", newline="")
    assert [r[4] for r in _rows(path)[1:]] == values


def test_non_string_values_are_written_as_json() -> None:
    events = pd.DataFrame(
        {"t": [0.0], "source": ["s"], "kind": ["var"], "name": ["n"],
         "value": [{"b": 1, "a": [1, 2]}]}
    )
    assert timeline_csv(events).splitlines()[1].endswith('"{""a"":[1,2],""b"":1}"')


def test_missing_contract_column_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="soc_pct"):
        signals_csv(empty_signals().drop(columns=["soc_pct"]))


def test_extra_columns_are_not_written() -> None:
    sig = empty_signals()
    sig["debug"] = pd.Series(dtype=float)
    assert signals_csv(sig).splitlines()[0] == ",".join(SIGNAL_COLUMNS)


def test_empty_run_writes_headers_only(tmp_path: Path) -> None:
    run = RunResult("empty", "e.yaml", "st", 0, pd.DataFrame(), pd.DataFrame(), [])
    paths = write_report(run, tmp_path)
    assert paths["timeline"].read_text() == "t,source,kind,name,value\n"
    assert paths["signals"].read_text() == ",".join(SIGNAL_COLUMNS) + "\n"
    assert json.loads(paths["summary"].read_text())["passed"] is True


def test_summary_json(written: tuple[RunResult, dict[str, Path]]) -> None:
    run, paths = written
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert summary["passed"] is False
    assert summary["scenario"] == run.scenario
    assert summary["scenario_file"] == "scenarios/two_cars_shared_grid.yaml"
    assert summary["station"] == "config/station_two_ac.yaml"
    assert summary["seed"] == 7
    assert summary["sim_time_s"] == 299.0
    assert summary["wall_time_s"] == 0.812
    assert list(summary["energy_wh"]) == ["1", "2"]
    assert summary["energy_wh"]["1"] == pytest.approx(run.energy_wh[1], abs=1e-3)
    assert [e["passed"] for e in summary["expectations"]] == [True, False, True]
    assert summary["expectations"][1] == {
        "name": "connector 2 never faults",
        "passed": False,
        "detail": "error MREC2GroundFailure raised at 120.000 s",
        "t": 120.0,
        "kind": "expectation",
    }
    assert summary["expectations"][2]["t"] is None
    assert summary["counts"] == {
        "events": 13, "samples": 600, "expectations": 3,
        "expectations_passed": 2, "expectations_failed": 1,
    }


def test_summary_nan_is_null(run: RunResult, tmp_path: Path) -> None:
    run.energy_wh = {2: float("nan"), 10: 1.0, 1: -0.0}
    summary = json.loads(write_report(run, tmp_path)["summary"].read_text())
    assert summary["energy_wh"] == {"1": 0.0, "2": None, "10": 1.0}
    assert list(summary["energy_wh"]) == ["1", "2", "10"]


def test_load_run_round_trip(run: RunResult, tmp_path: Path) -> None:
    a = write_report(run, tmp_path / "a")
    loaded = load_result(tmp_path / "a")
    assert loaded.scenario == run.scenario and loaded.seed == run.seed
    assert loaded.expectations == run.expectations
    assert loaded.passed is False
    assert list(loaded.events.columns) == list(EVENT_COLUMNS)
    assert list(loaded.signals.columns) == list(SIGNAL_COLUMNS)
    assert loaded.events["value"].tolist() == run.events["value"].tolist()
    assert loaded.signals["connector"].dtype == np.int64
    assert loaded.signals["contactor_closed"].dtype == bool
    np.testing.assert_allclose(loaded.signals["power_w"], run.signals["power_w"], atol=0.05)
    assert loaded.energy_wh.keys() == run.energy_wh.keys()
    b = write_report(loaded, tmp_path / "b")
    for key in ("timeline", "signals"):
        assert a[key].read_bytes() == b[key].read_bytes()


def test_load_run_keeps_missing_values(tmp_path: Path) -> None:
    row = {c: np.nan for c in SIGNAL_COLUMNS}
    row.update(t=0.0, connector=1, cp_state=None, contactor_closed=None)
    sig = pd.DataFrame([row], columns=list(SIGNAL_COLUMNS))
    events = pd.DataFrame({"t": [0.0], "source": ["s"], "kind": ["log"], "name": ["NA"],
                           "value": ["null"]})
    write_report(RunResult("x", "x.yaml", "st", 1, events, sig, []), tmp_path)
    loaded = load_result(tmp_path)
    assert loaded.signals["cp_state"].tolist() == [None]
    assert pd.isna(loaded.signals["contactor_closed"].iloc[0])
    assert np.isnan(loaded.signals["soc_pct"].iloc[0])
    assert loaded.events["name"].tolist() == ["NA"]
    assert loaded.events["value"].tolist() == ["null"]
    assert len(load_result(tmp_path).events) == len(empty_events()) + 1
    assert load_run(tmp_path).timeline["value"].tolist() == ["null"]
    assert load_run(tmp_path).signals["cp_state"].tolist() == [None]
