"""The energy manager on a simulated site, run as scenarios: the optimiser's policies and its
water-filling fallback, demand response, and the traffic of the flat, delta-only tree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from charger.framework.errors import ConfigError
from charger.framework.yamlio import load_yaml
from evbench.scenario import load_scenario, run_scenario
from evbench.scenario.runner import ScenarioRun
from evbench.sweep.runner import _plain

HERE = Path(__file__).parent
CHEAPEST = HERE / "cheapest_waits_for_cheap_hours.yaml"
DEMAND_RESPONSE = HERE / "demand_response.yaml"
SINGLE_PHASE = HERE / "single_phase_spread.yaml"


def _variant(source: Path, tmp_path: Path, manager: dict) -> Path:
    """The scenario with the energy manager's configuration changed."""
    doc = _plain(load_yaml(source))
    doc["station"] = str((source.parent / doc["station"]).resolve())
    doc.setdefault("module_config", {}).setdefault("energy_manager", {}).update(manager)
    path = tmp_path / source.name
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _failed(result) -> list[str]:
    return [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]


def test_the_cheapest_policy_waits_for_cheap_hours_and_meets_every_need() -> None:
    run = ScenarioRun(load_scenario(CHEAPEST))
    result = run.run()
    assert _failed(result) == []
    assert result.energy_wh[1] == pytest.approx(12_000, abs=100)  # the need, not more
    schedules = [r.value for r in run.recorder.rows if r.name == "schedule"]
    assert schedules and all(s["solved"] for s in schedules)
    # The tree's traffic: after the first, a request up carries only what changed, and a limit
    # goes down only to the EVSE it is for.
    requests = [r.value for r in run.recorder.rows
                if r.kind == "var" and r.source == "grid_connection.energy"
                and r.name == "energy_flow_request"]
    changed = [[e["uuid"] for e in r["changed"]] for r in requests]
    assert {u for c in changed for u in c} == {"fuse", "evse1", "evse2"}
    assert max(len(c) for c in changed) == 1  # one entry per change, never the subtree
    assert len(requests) <= 2 + 2 * 3  # started, then each plug in and unplug once
    for row in run.recorder.rows:
        if row.kind == "cmd" and row.name.startswith("evse") \
                and row.name.endswith(".energy.enforce_limits"):
            assert list(row.value["args"]["limits"]) == [row.name.split(".")[0]]


@pytest.mark.parametrize("late_kwh", [3.0, 8.3, 10.0])
def test_between_solves_every_planned_car_stops_at_its_need(tmp_path: Path,
                                                          late_kwh: float) -> None:
    """With an hour between solves, a car that reaches its need stops there at once: the early
    car, which the first solve did not know yet (it plugged in just after), and the late one,
    whose remainder once shrank without end (1e-12 Wh, its need check due at the same instant
    again and again: the run stood still)."""
    path = _variant(CHEAPEST, tmp_path, {"min_solve_interval_s": 3600})
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["steps"][0]["energy_kwh"] = late_kwh
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    run = ScenarioRun(load_scenario(path))
    result = run.run()
    assert run.stalled is None
    assert result.energy_wh[1] == pytest.approx(late_kwh * 1000, abs=20)
    assert result.energy_wh[2] == pytest.approx(8000, abs=20)  # not an hour at 16 A: 11 kWh


def test_a_plan_detailed_for_an_hour_and_coarse_beyond_still_waits_for_cheap_hours(
        tmp_path: Path) -> None:
    """The late car's cheap hours start 4 h away, in the plan's coarse part: it still waits for
    them, and gets its need by its departure."""
    path = _variant(CHEAPEST, tmp_path, {"detail_horizon_s": 3600, "coarse_period_s": 7200})
    result = ScenarioRun(load_scenario(path)).run()
    assert _failed(result) == []
    assert result.energy_wh[1] == pytest.approx(12_000, abs=100)


def _metered(tmp_path: Path, meters: list[str], evses: list[str]) -> Path:
    """The two-car site with its energy manager reading the given meters."""
    doc = yaml.safe_load((HERE / "site-2-connectors.yaml").read_text(encoding="utf-8"))
    manager = doc["active_modules"]["energy_manager"]
    manager["config"]["metered_evses"] = evses
    manager["connections"]["meters"] = meters
    path = tmp_path / "site-metered.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("metered", [False, True])
def test_with_its_meter_a_car_drawing_less_than_offered_still_gets_its_need(
        tmp_path: Path, metered: bool) -> None:
    """The early car's plan says nothing of its own 16 A: the manager offers it 32 A and, without
    a meter, counts more than it gets and stops it short; reading its meter, it does not."""
    doc = _plain(load_yaml(CHEAPEST))
    doc["station"] = str(_metered(tmp_path, ["board1.meter", "board2.meter"],
                                  ["evse1", "evse2"]) if metered
                         else HERE / "site-2-connectors.yaml")
    del doc["steps"][1]["max_current_a"]
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = ScenarioRun(load_scenario(path)).run()
    if metered:
        assert result.energy_wh[2] == pytest.approx(8000, abs=20)
        assert result.energy_wh[1] == pytest.approx(12_000, abs=100)
    else:
        assert result.energy_wh[2] < 6000  # counted as 16 A more than it drew, for a while


def test_meters_and_the_evses_they_measure_must_pair_up(tmp_path: Path) -> None:
    doc = _plain(load_yaml(CHEAPEST))
    doc["station"] = str(_metered(tmp_path, ["board1.meter", "board2.meter"], ["evse1"]))
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"site-metered.yaml:\d+: energy_manager: "
                                          r"metered_evses names 1 EVSEs for 2 meters"):
        ScenarioRun(load_scenario(path))


@pytest.mark.parametrize(("phases", "share_of_need"), [(1, 1.0), (3, 1 / 3)])
def test_a_single_phase_cars_energy_is_counted_on_the_phases_it_draws_on(
        tmp_path: Path, phases: int, share_of_need: float) -> None:
    """A 1-phase car on a 3-phase EVSE, no meter read: told it draws on one phase, the manager
    counts its energy right and it gets its need; told three, it counts three times what the car
    gets and stops it at a third."""
    doc = _plain(load_yaml(CHEAPEST))
    doc["station"] = str((HERE / doc["station"]).resolve())
    doc["world"]["cars"][1]["profile"] = "compact-1ph-7kw"
    doc["steps"][1].update({"phases": phases, "energy_kwh": 6, "max_current_a": 32})
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = ScenarioRun(load_scenario(path)).run()
    assert result.energy_wh[2] == pytest.approx(6000 * share_of_need, rel=0.02)


def test_the_tree_is_remembered_whole_and_once_per_instant() -> None:
    """For a restart of their processes the manager and the nodes keep the tree below them; a
    station starting up changes it one EVSE at a time, and they write it once per round of the
    instant, not once per change."""
    run = ScenarioRun(load_scenario(CHEAPEST))
    written: list[tuple[float, str, dict]] = []
    keep = run.bus.remember

    def remember(module_id: str, state: dict) -> None:
        written.append((run.env.now, module_id, state))
        keep(module_id, state)

    run.bus.remember = remember  # type: ignore[method-assign]
    run.run()
    requests = [r for r in run.recorder.rows if r.t == 0.0 and r.name == "energy_flow_request"
                and r.source in ("grid_connection.energy", "fuse.energy")]
    writes = [m for t, m, _ in written if t == 0.0 and m in ("energy_manager", "fuse")]
    assert 0 < len(writes) < len(requests)
    kept = run.bus.recall("energy_manager")
    assert kept is not None
    assert {e["uuid"] for e in kept["entries"]} == {"grid_connection", "fuse", "evse1", "evse2"}
    assert set(run.bus.recall("fuse")["route"]) == {"evse1", "evse2"}  # type: ignore[index]


def test_without_time_to_solve_water_filling_charges_at_once(tmp_path: Path) -> None:
    run = ScenarioRun(load_scenario(_variant(CHEAPEST, tmp_path,
                                             {"solver_time_limit_s": 1e-9})))
    result = run.run()
    failed = _failed(result)
    assert len(failed) == 1 and failed[0].startswith("the late car draws nothing")
    schedules = [r.value for r in run.recorder.rows if r.name == "schedule"]
    assert schedules and not any(s["solved"] for s in schedules)
    assert all("out of time" in s["reason"] for s in schedules)
    assert [e for e in result.expectations if e.kind == "invariant" and not e.passed] == []


@pytest.mark.parametrize("policy", ["fastest", "water_filling"])
def test_a_demand_response_cap_holds_while_it_lasts(tmp_path: Path, policy: str) -> None:
    result = run_scenario(load_scenario(_variant(DEMAND_RESPONSE, tmp_path,
                                                 {"policy": policy})))
    assert _failed(result) == []


def test_single_phase_cars_spread_over_the_phases_share_their_own_phase() -> None:
    result = run_scenario(load_scenario(SINGLE_PHASE))
    assert _failed(result) == []


def test_single_phase_cars_bunched_on_one_phase_share_it(tmp_path: Path) -> None:
    station = _plain(load_yaml(HERE / "site-single-phase.yaml"))
    del station["active_modules"]["fuse"]["config"]["single_phase_children"]
    (tmp_path / "site-single-phase.yaml").write_text(yaml.safe_dump(station), encoding="utf-8")
    scenario = _plain(load_yaml(SINGLE_PHASE))
    scenario["expect"] = [{"signal": "current_l1_a", "connector": c, "min": 9.9, "max": 10.1,
                           "from": 60} for c in (1, 2, 3)]
    (tmp_path / SINGLE_PHASE.name).write_text(yaml.safe_dump(scenario), encoding="utf-8")
    result = run_scenario(load_scenario(tmp_path / SINGLE_PHASE.name))
    assert _failed(result) == []
