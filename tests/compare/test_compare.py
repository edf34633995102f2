"""evbench compare: two runs of a scenario side by side, with exit 1 beyond the tolerances."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evbench.cli import main
from evbench.compare import Tolerances, compare_runs
from evbench.scenario import run_scenario
from reports import write_report

ROOT = Path(__file__).resolve().parents[2]
SESSION = ROOT / "scenarios" / "rfid_session.yaml"


def write_run(tmp: Path, name: str, edit=None) -> Path:
    """The shipped RFID session shortened to 10 min of charging (``edit`` changes it more),
    run in virtual time and written to a run directory."""
    doc = yaml.safe_load(SESSION.read_text(encoding="utf-8"))
    doc["station"] = str(SESSION.parent / doc["station"])
    doc["duration"] = "15 min"
    doc["steps"][-1]["after"] = "10 min"
    doc["expect"] = [e for e in doc["expect"] if "energy_wh" not in e]
    if edit:
        edit(doc)
    scenario = tmp / f"{name}.yaml"
    scenario.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    out = tmp / name
    write_report(run_scenario(scenario), out)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("runs")

    def later_unplug(doc: dict) -> None:
        doc["steps"][-1]["after"] = "11 min"

    def no_swipe(doc: dict) -> None:
        doc["steps"] = [s for s in doc["steps"] if s.get("do") != "swipe"]
        doc["expect"] = []

    return {"a": write_run(tmp, "a"), "same": write_run(tmp, "same"),
            "later": write_run(tmp, "later", later_unplug),
            "refused": write_run(tmp, "refused", no_swipe)}


def test_two_runs_of_one_story_agree(runs: dict[str, Path], capsys) -> None:
    assert main(["compare", str(runs["a"]), str(runs["same"])]) == 0
    out = capsys.readouterr().out
    assert "the runs agree within the tolerances" in out
    assert "connector 1, session events: 10 in both, largest shift +0.000 s" in out
    page = (runs["same"] / "compare.html").read_text(encoding="utf-8")
    assert 'id="c1-current_l1_a"' in page and "Plotly.newPlot" in page


def test_a_shift_beyond_the_time_tolerance_fails(runs: dict[str, Path], capsys) -> None:
    comparison = compare_runs(runs["a"], runs["later"], Tolerances(time_s=0.5, energy_pct=50))
    shifted = [p for p in comparison.problems() if "+60.000 s" in p]
    assert shifted and all("tolerance 0.5 s" in p for p in shifted)
    assert any("session event SessionFinished" in p for p in shifted)
    assert any("CP state A" in p for p in shifted)  # the unplugging
    # Energy: ten minutes against eleven, beyond 2 %, within 15 %.
    assert any("energy" in p and "+10.00 %" in p
               for p in compare_runs(runs["a"], runs["later"], Tolerances()).problems())
    assert main(["compare", str(runs["a"]), str(runs["later"]), "--time-tolerance", "61",
                 "--energy-tolerance", "15", "--out", str(runs["later"] / "x.html")]) == 0
    assert main(["compare", str(runs["a"]), str(runs["later"])]) == 1


def test_events_one_run_lacks_are_listed(runs: dict[str, Path]) -> None:
    problems = compare_runs(runs["a"], runs["refused"], Tolerances()).problems()
    assert any("session event ChargingStarted" in p and "only in A" in p for p in problems)
    assert any("CP state C" in p and "only in A" in p for p in problems)
    assert any(p.startswith("expectation 'charging starts within 5 s of authorization': "
                            "passed in A, absent in B") for p in problems)


def test_a_directory_that_is_no_run_is_refused(runs: dict[str, Path], tmp_path: Path,
                                               capsys) -> None:
    assert main(["compare", str(runs["a"]), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not a run directory" in err and "Traceback" not in err
