"""report.html: self-contained, escaped, with plots, expectations and session events."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from reports import RunResult, empty_signals, write_report
from reports.plots import make_plots, png_bytes

HOSTILE = '<script>alert("x")</script>'  # the "note" event value in conftest.build_run


def test_report_contents(run: RunResult, tmp_path: Path) -> None:
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for e in run.expectations:
        assert e.name in page
    assert "FAILED" in page
    for event in ("SessionStarted", "Authorized", "ChargingStarted"):
        assert f"<td>{event}</td>" in page
    assert page.count("<img") == 4
    assert page.count("data:image/png;base64,") == 4
    assert "MREC2GroundFailure" in page  # the error table
    assert "<details>" in page
    # The scenario title has "<limit> & friends" in it: escaped like every other text.
    assert "&lt;limit&gt; &amp; friends" in page


def test_report_is_self_contained(run: RunResult, tmp_path: Path) -> None:
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", page)
    assert "<link" not in page


def test_hostile_values_are_escaped(run: RunResult, tmp_path: Path) -> None:
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # The only script element is the page's own filter.
    assert page.count("<script>") == 1


def test_passed_run_badge(make_run: Callable[..., RunResult], tmp_path: Path) -> None:
    page = write_report(make_run(failed=False), tmp_path)["report"].read_text(encoding="utf-8")
    assert "PASSED" in page and "FAILED" not in page


def test_large_run_caps_the_event_table(
    make_run: Callable[..., RunResult], tmp_path: Path
) -> None:
    run = make_run(n_samples=3000, n_extra_events=100_000)
    paths = write_report(run, tmp_path, max_event_rows=1000)
    page = paths["report"].read_text(encoding="utf-8")
    assert "Showing the first 1,000 of 100,013 events" in page
    assert "timeline.csv" in page
    table = page.split('id="ev-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 1001  # header + capped rows
    with open(paths["timeline"], encoding="utf-8") as f:
        assert sum(1 for _ in f) == 100_013 + 1


def test_run_without_signals_or_events(tmp_path: Path) -> None:
    run = RunResult("bare", "bare.yaml", "st", 3, pd.DataFrame(), empty_signals(), [])
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    assert "No signal samples were recorded" in page
    assert "No session events were recorded" in page
    assert "states no expectations" in page and "PASSED" in page


def test_plots_render_to_png(run: RunResult) -> None:
    plots = make_plots(run)
    assert [p.key for p in plots] == ["control_pilot", "currents", "power", "soc_energy"]
    for p in plots:
        assert png_bytes(p.figure).startswith(b"\x89PNG")


def test_plots_tolerate_gaps_and_unknown_states(run: RunResult) -> None:
    sig = run.signals.copy()
    sig.loc[::7, "cp_state"] = None
    sig.loc[::5, "cp_state"] = "X1"
    sig["soc_pct"] = float("nan")
    sig["contactor_closed"] = sig["contactor_closed"].astype(object)
    sig.loc[::3, "contactor_closed"] = None
    run.signals = sig
    run.sim_time_s = 5 * 3600.0  # hours on the axis
    for p in make_plots(run):
        assert png_bytes(p.figure).startswith(b"\x89PNG")
