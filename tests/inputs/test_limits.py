"""Bounded runs and checked outputs: a run that reaches a recording cap stops there with a
failed verdict and keeps (and writes) everything recorded so far; runs that would exceed the
caps are refused up front; the report directory is checked before the run, and a report that
cannot be written after it does not lose the verdict; energy trees are checked generically."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from charger.framework.config import load_station
from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from evbench.cli import main
from evbench.scenario import load_scenario
from evbench.scenario.limits import run_size_problems
from evbench.scenario.world import build_world
from tests.inputs.corpus import GOOD_SCENARIO, REPO

pytestmark = pytest.mark.usefixtures("cached_cli_registries")


def _evbench(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def good(corpus_dir: Path) -> Path:
    path = corpus_dir / "good.yaml"
    path.write_text(GOOD_SCENARIO, encoding="utf-8")
    return path


@pytest.mark.parametrize(("cap", "rows", "what"), [("MAX_TIMELINE_ROWS", 150, "timeline"),
                                                   ("MAX_SIGNAL_ROWS", 40, "signal record")])
def test_a_full_record_ends_the_run_with_a_failed_verdict_and_keeps_what_it_has(
        cap: str, rows: int, what: str, good: Path, corpus_dir: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"reports.recorder.{cap}", rows)
    out_dir = corpus_dir / "out"
    code, out, err = _evbench("run", str(good), "--out", str(out_dir))
    assert (code, err) == (1, ""), err
    assert "FAIL  the run stayed within its recording limits: the " + what in out
    assert f"reached its limit of {rows} rows" in out and out.rstrip().endswith("FAILED")
    summary = json.loads((out_dir / "summary.json").read_text())
    stopped_at = summary["sim_time_s"]
    assert 0 < stopped_at < 120  # stopped well before the scenario's 2 min
    timeline = (out_dir / "timeline.csv").read_text().splitlines()
    signals = (out_dir / "signals.csv").read_text().splitlines()
    if what == "timeline":
        assert any("recording stopped: the timeline reached its limit" in r for r in timeline)
        events = [r for r in timeline[1:] if ",expect," not in r]
        assert len(events) == rows + 1  # the cap, and the row that says why it ends
    else:
        assert len(signals) - 1 == rows  # one connector: one row a second until the cap
    assert sum(",expect," in r for r in timeline) == len(summary["expectations"])
    assert (out_dir / "report.html").is_file() and (out_dir / "junit.xml").is_file()


def test_shipped_scenarios_are_within_the_limits(registry: ModuleRegistry) -> None:
    """The up-front check refuses nothing real (the benchmark runs 4 h)."""
    paths = sorted((REPO / "scenarios").glob("*.yaml")) + sorted(
        (REPO / "benchmarks").glob("*.yaml"))
    assert len(paths) > 10
    for path in paths:
        scenario = load_scenario(path)
        assert run_size_problems(scenario, len(build_world(scenario, registry).probes)) == []


def test_a_run_refused_up_front_starts_nothing_and_leaves_no_report_directory(
        good: Path, corpus_dir: Path) -> None:
    good.write_text(GOOD_SCENARIO.replace("duration: 2 min", "duration: 1000 h"), "utf-8")
    code, out, err = _evbench("run", str(good), "--out", str(corpus_dir / "deep" / "out"))
    assert code == 2 and out == ""
    assert f"error: {good}:3: the run would record 3,600,001 signal rows (duration " \
           "3,600,000 s / sample_interval 1 s); the limit is 1,000,000" in err
    assert "timeline rows (2 per second per connector over 3,600,000 s); the limit is " \
           "1,000,000: at most 500,000 s (138.9 h) on this station" in err
    assert not (corpus_dir / "deep").exists()


def test_a_report_that_cannot_be_written_after_the_run_keeps_the_verdict(
        good: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("reports.write_report", disk_full)
    code, out, err = _evbench("run", str(good), "--out", str(corpus_dir / "out"))
    assert code == 2
    assert "cannot write the report: No space left on device" in err
    assert "report: not written" in out and out.rstrip().endswith(("PASSED", "FAILED"))


def test_an_existing_report_directory_is_reused(good: Path, corpus_dir: Path) -> None:
    out_dir = corpus_dir / "out"
    out_dir.mkdir()
    (out_dir / "timeline.csv").write_text("old")
    code, _out, err = _evbench("run", str(good), "--out", str(out_dir), "--quiet")
    assert code in (0, 1) and err == ""
    assert (out_dir / "timeline.csv").read_text() != "old"


def test_stations_whose_modules_require_each_other_are_accepted(
        registry: ModuleRegistry) -> None:
    """Only requirements declared as trees are checked for cycles: an OCPP module and an EVSE
    manager that require each other are a legitimate cycle."""
    for name in ("ac-1-connector-ocpp16.yaml", "ac-1-connector-ocpp201.yaml"):
        station = load_station(REPO / "scenarios" / "stations" / name, registry)
        assert station.modules


def test_the_energy_manifests_declare_their_trees(registry: ModuleRegistry) -> None:
    assert registry.get("EnergyNode").manifest.requires["children"].tree
    assert registry.get("EnergyManager").manifest.requires["root"].tree
    assert not registry.get("EnergyNode").manifest.requires["supply"].tree


def test_a_manifest_tree_flag_must_be_a_boolean(tmp_path: Path,
                                                registry: ModuleRegistry) -> None:
    from charger.framework.manifest import load_manifest

    path = tmp_path / "Bad.yaml"
    path.write_text("description: bad\nrequires:\n  kids:\n    interface: energy_node\n"
                    "    tree: sometimes\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"Bad.yaml:5: .*tree"):
        load_manifest("Bad", path, registry.schemas)
