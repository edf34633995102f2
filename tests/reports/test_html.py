"""report.html: self-contained, escaped, its plots built from the signal table and the run."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from reports import ExpectationResult, RunResult, empty_signals, write_report
from reports.downsample import MAX_POINTS
from reports.figures import panels, site_only
from reports.html_report import render_html
from reports.model import DERIVED_SIGNALS, SIGNALS

HOSTILE = '<script>alert("x")</script>'  # the "note" event value in conftest.build_run


def figures_of(page: str) -> dict:
    """The figure specifications the page hands to plotly.js."""
    found = re.search(r'<script type="application/json" id="report-figures">(.*?)</script>',
                      page, re.S)
    assert found, "no figure data in the page"
    return json.loads(found.group(1))


def figure(spec: dict, figure_id: str) -> dict:
    return next(f for f in spec["figures"] if f["id"] == figure_id)


def trace(fig: dict, name: str) -> dict:
    return next(t for t in fig["data"] if t.get("name") == name)


def without_scripts(page: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", page, flags=re.S)


def test_report_contents(run: RunResult, tmp_path: Path) -> None:
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for e in run.expectations:
        assert e.name in page
    assert "FAILED" in page
    for event in ("SessionStarted", "Authorized", "ChargingStarted"):
        assert f"<td>{event}</td>" in page
    assert "MREC2GroundFailure" in page  # the error table
    assert "<details>" in page
    # The scenario title has "<limit> & friends" in it: escaped like every other text.
    assert "&lt;limit&gt; &amp; friends" in page
    # One plot per panel of the signal table, each with a place in the page.
    spec = figures_of(page)
    ids = [f["id"] for f in spec["figures"]]
    # (the run has no simulated site: no PV, base load or price panels)
    assert ids == [f"plot-{key}" for key, names in panels()
                   if not all(site_only(n) for n in names)]
    for figure_id in ids:
        assert f'id="{figure_id}"' in page
    assert all(f["linked"] for f in spec["figures"])


def test_every_signal_is_drawn_in_its_panel(run: RunResult) -> None:
    spec = figures_of(render_html(run))
    drawn = {f["id"] for f in spec["figures"]}
    for key, names in panels():
        names = [n for n in names if not site_only(n)]  # the run has no simulated site
        if not names:
            assert f"plot-{key}" not in drawn
            continue
        labels = {t.get("name", "") for t in figure(spec, f"plot-{key}")["data"]}
        for name in names:
            signal = next(s for s in SIGNALS if s.name == name)
            if signal.name == "soc_pct" or signal.source == "grid":
                want = signal.label if signal.source == "grid" else f"{signal.label} · connector 1"
            else:
                want = f"{signal.label} · connector 1"
            assert want in labels, (key, want, labels)


def test_offered_current_is_the_duty_in_amperes(run: RunResult) -> None:
    # conftest offers 16 A on connector 1 and 32 A on connector 2 (duty = A / 0.6).
    spec = figures_of(render_html(run))
    offered = DERIVED_SIGNALS[0]
    currents = figure(spec, f"plot-{offered.panel}")
    for connector, amps in ((1, 16.0), (2, 32.0)):
        line = trace(currents, f"{offered.label} · connector {connector}")
        values = [v for v in line["y"] if v is not None]
        assert max(values) == amps
        assert min(values) == 0.0  # state A: no PWM, nothing offered


def test_report_is_self_contained(run: RunResult, tmp_path: Path) -> None:
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    html = without_scripts(page)
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", html)
    assert "<link" not in html
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert "plotly.js v" in page  # the library itself is inline


def test_hostile_values_are_escaped(run: RunResult, tmp_path: Path) -> None:
    run.expectations.append(ExpectationResult(HOSTILE, False, HOSTILE, 200.0))
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    # Only the page's own four scripts: the figure data, plotly.js, the plots' and the table's
    # behaviour (a script element's text runs to the first "</script": no value may hold one).
    assert len(re.findall(r"</script", page, re.I)) == 4
    # In the plots too: plotly.js reads tags in labels, so the name is shown as written.
    label = next(a for a in figures_of(page)["figures"][0]["layout"]["annotations"]
                 if a.get("x") == 200.0)
    assert "&lt;script&gt;" in label["text"] and "<script" not in label["text"]


def test_failed_expectation_markers_link_to_their_rows(run: RunResult) -> None:
    page = render_html(run)
    spec = figures_of(page)
    failed = next(e for e in run.expectations if not e.passed)
    for fig in spec["figures"]:
        labels = [a for a in fig["layout"].get("annotations", []) if a.get("captureevents")]
        assert [a["x"] for a in labels] == [failed.t]
        anchor = labels[0]["name"]
        assert failed.name in labels[0]["text"]
    row = re.search(rf'<tr id="{anchor}" class="fail">(.*?)</tr>', page)
    assert row and failed.name in row.group(1)


def test_steps_and_session_events_are_marked(run: RunResult) -> None:
    spec = figures_of(render_html(run))
    fig = figure(spec, "plot-current")
    steps = [s["x0"] for s in fig["layout"]["shapes"] if s["line"].get("dash") == "dash"
             and s.get("yref") == "paper"]
    assert steps == [10.0, 15.0]
    sessions = trace(fig, "session events")
    assert sessions["x"] == [10.000001, 15.25, 17.0, 60.0]
    assert "connector 1: Authorized" in sessions["text"]


def test_repeated_expectation_names_are_made_unique(
        make_run: Callable[..., RunResult], tmp_path: Path) -> None:
    run = make_run()
    run.expectations = [ExpectationResult("current stays below 32 A", True, "ok", None),
                        ExpectationResult("current stays below 32 A", False, "no", 3.0)]
    paths = write_report(run, tmp_path)
    page = paths["report"].read_text(encoding="utf-8")
    assert 'id="exp-current-stays-below-32-a"' in page
    assert 'id="exp-current-stays-below-32-a-2"' in page
    assert "current stays below 32 A (2)" in page
    summary = json.loads(paths["summary"].read_text(encoding="utf-8"))
    assert [e["name"] for e in summary["expectations"]] == [
        "current stays below 32 A", "current stays below 32 A (2)"]
    assert "current stays below 32 A (2)" in paths["junit"].read_text(encoding="utf-8")


def _with_energy_tree(run: RunResult) -> RunResult:
    def node(uuid: str, node_type: str, limit: float, evses: list | None = None) -> dict:
        found = {"uuid": uuid, "node_type": node_type, "limit_per_phase_a": [limit] * 3}
        return found if evses is None else {**found, "evses": evses}

    evses = ["evse_1", "evse_2"]
    whole = {"nodes": [node("root", "Grid", 40.0, evses), node("fuse", "Fuse", 32.0, evses)],
             "evse_phases": {e: ["L1", "L2", "L3"] for e in evses}}
    rows = [(0.0, "energy_manager.site", "var", "site_limits", json.dumps(whole)),
            (100.0, "energy_manager.site", "var", "site_limits",
             json.dumps({"nodes": [node("root", "Grid", 25.0)]}))]
    extra = pd.DataFrame(rows, columns=list(run.events.columns))
    run.events = pd.concat([extra, run.events], ignore_index=True)
    return run


def test_every_fuse_is_drawn_beside_its_childrens_current(run: RunResult) -> None:
    run = _with_energy_tree(run)
    page = render_html(run)
    spec = figures_of(page)
    trees = [f for f in spec["figures"] if f["id"].startswith("tree-")]
    assert len(trees) == 2 and 'id="energy-tree"' in page
    root, fuse = trees
    assert "Grid root" in root["layout"]["title"]["text"]
    limit = trace(root, "root limit")
    assert limit["x"][:2] == [0.0, 100.0] and limit["y"][:2] == [40.0, 25.0]
    assert trace(fuse, "fuse limit")["y"][0] == 32.0
    # The sum on L1 is both connectors' L1 current, sample by sample.
    summed = trace(fuse, "sum L1")
    by_t = run.signals.groupby("t")["current_l1_a"].sum()
    for t, y in zip(summed["x"][:50], summed["y"][:50]):
        assert abs(by_t.loc[t] - y) < 1e-3


def test_long_runs_are_bounded(make_run: Callable[..., RunResult]) -> None:
    short = figures_of(render_html(make_run(n_samples=MAX_POINTS)))
    run = make_run(n_samples=5 * MAX_POINTS)
    # A one-sample spike in a long run survives the envelope.
    spike = run.signals.index[(run.signals["connector"] == 1)][12345]
    run.signals.loc[spike, "voltage_l1_v"] = 260.0
    page = render_html(run)
    long = figures_of(page)
    for fig in long["figures"]:
        for t in fig["data"]:
            assert len(t["x"]) <= MAX_POINTS
    assert max(trace(figure(long, "plot-voltage"), "voltage L1 · connector 1")["y"]) == 260.0
    size = len(json.dumps(long))
    assert size < 1.2 * len(json.dumps(short)), "figure data grows with the run"
    assert "drawn as the minimum and maximum" in page


def test_run_without_signals_or_events(tmp_path: Path) -> None:
    run = RunResult("bare", "bare.yaml", "st", 3, pd.DataFrame(), empty_signals(), [])
    page = write_report(run, tmp_path)["report"].read_text(encoding="utf-8")
    assert "No signal samples were recorded" in page
    assert "No session events were recorded" in page
    assert "states no expectations" in page and "PASSED" in page
    assert "plotly.js v" not in page  # nothing to draw: no library either


def test_plots_tolerate_gaps_and_unknown_states(run: RunResult) -> None:
    sig = run.signals.copy()
    sig.loc[::7, "cp_state"] = None
    sig.loc[::5, "cp_state"] = "X1"
    sig["soc_pct"] = float("nan")
    sig["contactor_closed"] = sig["contactor_closed"].astype(object)
    sig.loc[::3, "contactor_closed"] = None
    run.signals = sig
    run.sim_time_s = 5 * 3600.0
    spec = figures_of(render_html(run))
    pilot = figure(spec, "plot-pilot")
    states = trace(pilot, "CP state · connector 1")["y"]
    assert None in states and set(states) - {None} <= {0.0, 1.0, 2.0}
    soc = figure(spec, "plot-soc")
    assert soc["data"] == [] or all(t.get("yaxis") == "y2" for t in soc["data"])
    assert figure(spec, "plot-pilot")["layout"]["xaxis"]["range"] == [0.0, 5 * 3600.0]
    assert np.isfinite(len(spec["figures"]))
