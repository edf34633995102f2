"""evbench fuzz: valid random scenarios, a clean sweep of the shipped stations, and a planted
defect found, shrunk, and reproduced by ``evbench run``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.cli import main
from evbench.fuzz import fuzz, generate_scenario, station_facts
from evbench.fuzz.actions import ACTIONS
from evbench.fuzz.shrink import shrink
from evbench.scenario.actions import ACTIONS as SCENARIO_ACTIONS
from evbench.scenario.loader import load_scenario
from evbench.scenario.world import build_world

REPO = Path(__file__).resolve().parents[2]
STATIONS = REPO / "scenarios" / "stations"
SIMULATED = ["ac-1-connector", "ac-2-connectors-shared-fuse", "ac-4-connectors-two-fuses",
             "ac-1-connector-ocpp16", "ac-1-connector-ocpp201"]
PLANTED = Path(__file__).parent / "slow_overcurrent_trip.yaml"


@pytest.fixture(scope="module")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


def test_every_fuzz_action_is_a_scenario_action_the_fuzzer_can_place() -> None:
    assert {a.action for a in ACTIONS} <= set(SCENARIO_ACTIONS)
    assert {a.needs for a in ACTIONS} <= {"car", "evse", "reader", "grid", "csms"}


@pytest.mark.parametrize("station", SIMULATED)
def test_generated_scenarios_are_valid_for_the_station(station: str, tmp_path: Path,
                                                       registry: ModuleRegistry) -> None:
    facts = station_facts(STATIONS / f"{station}.yaml", registry)
    seen_actions, car_counts = set(), set()
    for index in range(40):
        doc = generate_scenario(facts, random.Random(f"1:{index}"), seed=index)
        path = tmp_path / f"{index}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        build_world(load_scenario(path), registry)  # raises ConfigError if anything is off
        seen_actions |= {s["do"] for s in doc["steps"]}
        car_counts.add(len(doc["world"]["cars"]))
    assert car_counts == set(range(1, len(facts.connectors) + 1))
    assert len(seen_actions) >= 10


def test_the_same_seed_and_index_give_the_same_scenario(registry: ModuleRegistry) -> None:
    facts = station_facts(STATIONS / "ac-4-connectors-two-fuses.yaml", registry)
    first = generate_scenario(facts, random.Random("5:17"))
    assert generate_scenario(facts, random.Random("5:17")) == first
    assert generate_scenario(facts, random.Random("5:18")) != first


def test_shrinking_keeps_only_what_the_failure_needs() -> None:
    doc = {"duration": "600 s", "world": {"cars": [{"connector": 1}, {"connector": 2}]},
           "steps": [{"at": f"{t} s", "do": "plug_in", "connector": 1 + t % 2}
                     for t in range(1, 11)]}

    def still_fails(d: dict) -> bool:  # "fails" while the plug-in at 7 s is there
        return any(s["at"] == "7 s" for s in d["steps"])

    small = shrink(doc, still_fails)
    assert small["steps"] == [{"at": "7 s", "do": "plug_in", "connector": 2}]
    assert small["world"]["cars"] == [{"connector": 2}]
    assert small["duration"] == "37 s"


@pytest.mark.parametrize(("station", "runs", "seed"), [
    ("ac-2-connectors-shared-fuse", 200, 11),
    ("ac-4-connectors-two-fuses", 60, 12),
])
def test_a_few_hundred_random_scenarios_keep_every_invariant(station: str, runs: int,
                                                             seed: int, tmp_path: Path) -> None:
    report = fuzz(STATIONS / f"{station}.yaml", runs, seed=seed, out=tmp_path, jobs=2)
    assert [(v.index, v.failed, v.detail) for v in report.violations] == []
    assert report.summary == f"{runs} runs, 0 invariant violations"
    assert list(tmp_path.iterdir()) == []


def test_fuzz_finds_a_planted_defect_and_writes_a_scenario_that_reproduces_it(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "found"
    code = main(["fuzz", str(PLANTED), "--runs", "20", "--seed", "0", "--out", str(out),
                 "--jobs", "1"])
    printed = capsys.readouterr()
    assert code == 1
    assert printed.out == "20 runs, 1 invariant violations\n"
    files = sorted(out.glob("*.yaml"))
    assert len(files) == 1 and str(files[0]) in printed.err
    doc = yaml.safe_load(files[0].read_text())
    assert len(doc["steps"]) <= 3  # shrunk
    assert not Path(doc["station"]).is_absolute()

    # evbench run reproduces it from the file alone (the station path is relative to it).
    assert main(["run", str(files[0]), "--out", str(tmp_path / "again"), "--quiet"]) == 1
    summary = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert any("over-drawing car is cut off within 3 s" in name
               for name in summary["invariants"]["violated"])


def test_the_same_scenarios_on_the_shipped_station_are_clean(tmp_path: Path) -> None:
    # The planted defect is the station's, not the generator's: the same seed on the shipped
    # station (10 s trip delay back to 2 s) finds nothing.
    assert main(["fuzz", str(STATIONS / "ac-1-connector.yaml"), "--runs", "20", "--seed", "0",
                 "--out", str(tmp_path), "--jobs", "1"]) == 0


@pytest.mark.parametrize("argv", [["--runs", "0"], ["--runs", "x"], ["--jobs", "0"]])
def test_bad_fuzz_arguments_are_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["fuzz", str(PLANTED), *argv])
    assert caught.value.code == 2


def test_a_station_that_is_not_one_is_refused_with_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("active_modules:\n  x: {module: NoSuchModule}\n", encoding="utf-8")
    assert main(["fuzz", str(bad), "--runs", "1"]) == 2
    assert f"{bad}:2" in capsys.readouterr().err


def test_a_run_whose_clock_stops_is_reported_not_waited_for(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from evbench.fuzz import explore

    def stuck(self) -> None:  # what a zero-delay loop in a module looks like from outside
        while True:
            pass

    monkeypatch.setattr(explore, "STALL_S", 0.2)
    monkeypatch.setattr(explore.ScenarioRun, "run", stuck)
    worker = explore._Worker(str(STATIONS / "ac-1-connector.yaml"), 0, None)
    found = worker.failures(worker.document(0))
    assert [name for name, _ in found] == [explore.STALL_CHECK]


def test_an_out_path_that_is_a_file_is_refused_before_running(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    taken = tmp_path / "taken"
    taken.write_text("")
    assert main(["fuzz", str(PLANTED), "--runs", "1", "--out", str(taken)]) == 2
    assert "--out: directory for violating scenarios" in capsys.readouterr().err
