"""Fleet scenarios: the block is checked with file and line, expands seeded and reproducibly into
a station, cars and steps, and runs through the whole stack with the site's KPIs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.scenario.fleet import AUTH_GROUP, population, station_document, with_fleet
from evbench.scenario.loader import load_scenario
from evbench.scenario.runner import ScenarioRun
from evbench.scenario.world import build_world
from sim.car.profiles import car_profiles

REPO = Path(__file__).resolve().parents[2]

SMALL = """\
scenario: four chargers
fleet:
  chargers: 4
  connection_a: 100
  feeders: {count: 2, limit_a: 64}
  energy_manager: {policy: water_filling}
  metering: 60 s
  cars:
    profiles: {sedan-3ph-11kw: 1, compact-1ph-7kw: 1}
    arrival: {uniform: [1 min, 5 min]}
    departure: {uniform: [30 min, 35 min]}
    energy_kwh: {uniform: [1, 2.5]}
    soc_pct: 40
duration: 40 min
sample_interval: 60 s
expect:
  - site: limit_violations
    max: 0
  - site: unmet_energy_kwh
    max: 0.2
"""


def _write(tmp_path: Path, text: str, name: str = "fleet.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


def test_the_same_seed_gives_the_same_cars_and_another_seed_others(tmp_path: Path) -> None:
    scenario = load_scenario(_write(tmp_path, SMALL))
    one, again, other = (with_fleet(scenario, seed) for seed in (3, 3, 4))
    assert [c.config for c in one.cars] == [c.config for c in again.cars]
    assert one.fleet_steps == again.fleet_steps
    assert one.fleet_steps != other.fleet_steps


def test_each_car_plugs_in_gets_its_plan_and_unplugs_in_time_order(tmp_path: Path) -> None:
    scenario = with_fleet(load_scenario(_write(tmp_path, SMALL)), 0)
    times = [s.at for s in scenario.fleet_steps]
    assert times == sorted(times)
    for connector in range(1, 5):
        mine = [s for s in scenario.fleet_steps if s.connector == connector]
        assert [s.action for s in mine] == ["plug_in", "car_plan", "unplug"]
        plug, plan, unplug = mine
        assert plan.at == plug.at and unplug.at - plug.at == plan.args["departure_in_s"]


def test_the_station_has_every_charger_under_its_feeders_and_auth_groups(
        tmp_path: Path, registry: ModuleRegistry) -> None:
    text = SMALL.replace("chargers: 4", "chargers: 130").replace("count: 2", "count: 3")
    scenario = with_fleet(load_scenario(_write(tmp_path, text)), 0)
    world = build_world(scenario, registry)
    assert sorted(world.connectors.evse) == list(range(1, 131))
    assert len(world.connectors.car) == 130
    modules = station_document(scenario.fleet)["active_modules"]
    feeders = [modules[f"feeder{k}"]["connections"]["children"] for k in (1, 2, 3)]
    assert sorted(e for f in feeders for e in f) == sorted(f"evse{i}.energy"
                                                           for i in range(1, 131))
    auths = [m["connections"]["evse_manager"] for m in modules.values()
             if m["module"] == "Auth"]
    assert max(len(a) for a in auths) <= AUTH_GROUP
    assert sum(len(a) for a in auths) == 130


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cars=st.integers(1, 30),
       mean_h=st.floats(0.0, 5.0), spread_h=st.floats(0.0, 3.0),
       need=st.floats(0.0, 200.0))
def test_every_drawn_visit_is_one_a_car_can_make(seed: int, cars: int, mean_h: float,
                                                   spread_h: float, need: float) -> None:
    from evbench.scenario.fleet import Distribution, Fleet

    profiles = car_profiles()
    fleet = Fleet("f.yaml", 1, cars, 32.0, 100.0, None, 1, 100.0, {}, None, 60.0, cars,
                  (("sedan-3ph-11kw", 1.0), ("phev-1ph-3kw", 2.0)),
                  Distribution("normal", mean_h * 3600, spread_h * 3600),
                  Distribution("normal", (mean_h + 2) * 3600, spread_h * 3600), 900.0,
                  Distribution("uniform", 0.0, need), Distribution("uniform", 0.0, 100.0))
    duration = 6 * 3600.0
    for v in population(fleet, seed, duration, profiles):
        profile = profiles[v.profile]
        assert 1.0 <= v.arrival_s <= duration
        assert v.departure_s >= v.arrival_s + 900.0
        room = profile["battery_kwh"] * (100 - v.soc_pct) / 100 / profile["efficiency"]
        assert 0.0 <= v.need_kwh <= room + 0.01
        assert v.soc_pct <= v.target_soc_pct <= 100.0
        assert v.max_current_a <= min(profile["max_current_a"], 32.0)


@pytest.mark.parametrize(("old", "new", "line", "reason"), [
    ("    profiles: {sedan-3ph-11kw: 1, compact-1ph-7kw: 1}",
     "    profiles: {sedan-3ph-11kw: 1, hovercraft: 1}", 9, "unknown car profile 'hovercraft'"),
    ("    soc_pct: 40", "    soc_pct: 40\n    count: 9", 14, "9 cars for 4 chargers"),
    ("    arrival: {uniform: [1 min, 5 min]}", "    arrival: {uniform: [5 min, 1 min]}", 10,
     "uniform low 300 is greater than high 60"),
    ("    arrival: {uniform: [1 min, 5 min]}", "    arrival: {normal: [1 min, soon]}", 10,
     "is not a duration"),
    ("    arrival: {uniform: [1 min, 5 min]}", "    arrival: 2 h", 10,
     "the cars would come after the end of the run"),
    ("fleet:\n", "station: stations/ac-1-connector.yaml\nfleet:\n", 3,
     "a fleet scenario describes its own station"),
    ("  chargers: 4\n", "  chargers: 4\n  chargrs: 5\n", 4, "unknown key"),
])
def test_a_broken_fleet_is_refused_with_its_line(tmp_path: Path, old: str, new: str, line: int,
                                                 reason: str) -> None:
    assert old in SMALL
    path = _write(tmp_path, SMALL.replace(old, new))
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert any(p.line == line and reason in p.reason for p in caught.value.problems), \
        caught.value.problems


def test_a_bad_energy_manager_setting_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, SMALL.replace("{policy: water_filling}", "{policy: greedy}"))
    done = subprocess.run([sys.executable, "-m", "evbench.cli", "run", str(path), "--out",
                           str(tmp_path / "out"), "--quiet"], capture_output=True, text=True,
                          cwd=REPO, check=False)
    assert done.returncode == 2
    assert f"{path}:6: fleet.energy_manager: policy: 'greedy' is not one of" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_small_fleet_runs_through_the_stack_and_meets_its_needs(
        tmp_path: Path, registry: ModuleRegistry) -> None:
    run = ScenarioRun(load_scenario(_write(tmp_path, SMALL)), registry=registry)
    result = run.run()
    assert [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed] == []
    plugged = [r for r in run.recorder.rows if r.kind == "step" and r.name == "plug_in"]
    assert sorted(r.value["connector"] for r in plugged) == [1, 2, 3, 4]
    # every car charged (water-filling, 32 A each under the 64 A feeders)
    assert all(wh > 900 for wh in result.energy_wh.values())


def test_the_shipped_fleet_scenarios_load_and_expand(registry: ModuleRegistry) -> None:
    for path in (REPO / "scenarios" / "fleet_depot_day.yaml",
                 REPO / "benchmarks" / "fleet_day.yaml"):
        scenario = with_fleet(load_scenario(path), 0)
        world = build_world(scenario, registry)
        assert len(world.probes) == scenario.fleet.chargers == len(scenario.cars)
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert doc["fleet"]["energy_manager"]["min_solve_interval_s"] > 0


def test_validate_counts_a_fleets_steps_for_its_seed(capsys: pytest.CaptureFixture[str]) -> None:
    from evbench.cli import EXIT_OK, main

    path = REPO / "scenarios" / "fleet_depot_day.yaml"
    expanded = with_fleet(load_scenario(path), load_scenario(path).seed)
    assert main(["validate", str(path)]) == EXIT_OK
    out = capsys.readouterr().out
    n = len(expanded.fleet_steps)
    assert n >= 2 * expanded.fleet.chargers  # each car plugs in and is planned, at least
    assert f"{n} steps ({n} of its fleet's cars, seed {expanded.seed})" in out
