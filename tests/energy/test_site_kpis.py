"""The site's KPIs from a recorded timeline and signals (reports.site), the energy manager's
throttled re-solving, and the tree's limits updated in place."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.energy.flat import FlatTree, share
from charger.energy.messages import NodeEntry
from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun
from reports.figures import build_figures
from reports.model import SIGNAL_COLUMNS, SIGNALS, RunResult
from reports.site import car_stays, jain_index, limit_violations, site_kpis
from tests.energy.test_site import CHEAPEST, _failed, _variant


def _events(rows: list[tuple[float, str, str, str, object]]) -> pd.DataFrame:
    return pd.DataFrame([(t, s, k, n, json.dumps(v)) for t, s, k, n, v in rows],
                        columns=["t", "source", "kind", "name", "value"])


def _signals(rows: list[dict]) -> pd.DataFrame:
    blank = {s.name: s.initial for s in SIGNALS}
    return pd.DataFrame([{**blank, **r} for r in rows], columns=list(SIGNAL_COLUMNS))


def _tree(limit: list[tuple[float, float]]) -> list[tuple]:
    """A fuse above evse1 and evse2 (connectors 1 and 2) whose limit is ``limit`` over time."""
    rows: list[tuple] = [(0.0, "evse1.evse", "var", "session_event", {"connector": 1}),
                         (0.0, "evse2.evse", "var", "session_event", {"connector": 2})]
    for i, (t, amps) in enumerate(limit):
        node = {"uuid": "fuse", "node_type": "Fuse", "limit_per_phase_a": [amps] * 3}
        if i == 0:
            node["evses"] = ["evse1", "evse2"]
        rows.append((t, "energy_manager.site", "var", "site_limits", {"nodes": [node]}))
    return rows


def _currents(t: float, c1: float, c2: float) -> list[dict]:
    return [{"t": t, "connector": c, "current_l1_a": a, "current_l2_a": a, "current_l3_a": a}
            for c, a in ((1, c1), (2, c2))]


def test_a_node_over_its_limit_is_a_violation_and_a_car_following_a_drop_is_not() -> None:
    events = _events(_tree([(0.0, 32.0), (100.0, 20.0)]))
    samples = [*_currents(0, 0, 0), *_currents(10, 16, 16), *_currents(20, 16, 17),
               *_currents(101, 16, 16),  # 1 s after the drop: still following
               *_currents(200, 10, 10), *_currents(210, 12, 10)]
    found = limit_violations(events, _signals(samples))
    assert [(t, node, round(a, 3), limit) for t, node, a, limit in found] == \
        [(20.0, "fuse", 33.0, 32.0), (210.0, "fuse", 22.0, 20.0)]


def test_each_car_is_judged_at_its_departure_and_cars_still_there_are_not() -> None:
    rows = [(10.0, "scenario", "step", "plug_in", {"connector": 1}),
            (10.0, "scenario", "step", "car_plan", {"connector": 1, "energy_kwh": 10.0,
                                                    "departure_in_s": 300}),
            (20.0, "scenario", "step", "plug_in", {"connector": 2}),
            (20.0, "scenario", "step", "car_plan", {"connector": 2, "energy_kwh": 5.0,
                                                    "departure_in_s": 9000}),
            (310.0, "scenario", "step", "unplug", {"connector": 1})]
    samples = []
    for t in range(0, 601, 60):
        energy = min(t, 300) / 300 * 8000.0  # 8 kWh by the departure at 310 s
        samples += [{"t": float(t), "connector": 1, "energy_wh": energy, "soc_pct": 20 + t / 30},
                    {"t": float(t), "connector": 2, "energy_wh": t * 10.0, "soc_pct": 50.0}]
    stays = car_stays(_events(rows), _signals(samples))
    assert [(s.connector, s.departure_s, s.need_kwh) for s in stays] == \
        [(1, 310.0, 10.0), (2, None, 5.0)]
    assert stays[0].energy_kwh == pytest.approx(8.0)
    assert stays[0].unmet_kwh == pytest.approx(2.0)
    kpis = site_kpis(_events(rows), _signals(samples))
    assert kpis is not None
    assert kpis["unmet_energy_kwh"] == pytest.approx(2.0) and kpis["cars_unmet"] == 1
    assert kpis["energy_needed_kwh"] == 10.0  # the car still there is not judged yet
    assert kpis["fairness"] == 1.0  # one car judged: nobody got a smaller share


def test_cost_and_peak_come_from_the_import_and_the_price() -> None:
    rows = [(0.0, "grid.supply", "var", "site", {"pv_w": 0})]
    samples = [{"t": 0.0, "connector": 1, "site_import_w": 10_000.0, "price_per_kwh": 0.2},
               {"t": 1800.0, "connector": 1, "site_import_w": 20_000.0, "price_per_kwh": 0.5},
               {"t": 3600.0, "connector": 1, "site_import_w": -5_000.0, "price_per_kwh": 0.5}]
    kpis = site_kpis(_events([*rows, *_tree([(0.0, 63.0)])]), _signals(samples))
    assert kpis is not None
    assert kpis["cost"] == pytest.approx(10 * 0.5 * 0.2 + 20 * 0.5 * 0.5)  # kW x h x price
    assert kpis["peak_import_kw"] == 20.0


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=50))
def test_jain_index_is_between_1_over_n_and_1_and_1_for_equal_shares(shares: list[float]
                                                                     ) -> None:
    index = jain_index(shares)
    assert index is not None
    assert 1.0 / len(shares) - 1e-9 <= index <= 1.0 + 1e-9
    assert jain_index([shares[0]] * len(shares)) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(limits=st.lists(st.floats(0.0, 200.0), min_size=3, max_size=3),
       new=st.lists(st.floats(0.0, 200.0), min_size=3, max_size=3),
       demand=st.lists(st.floats(0.0, 40.0), min_size=4, max_size=4))
def test_limits_updated_in_place_share_as_a_tree_built_anew(limits: list[float],
                                                            new: list[float],
                                                            demand: list[float]) -> None:
    def entries(grid: list[float]) -> dict[str, NodeEntry]:
        table = [NodeEntry("grid", "Grid", None, 3, "L1", tuple(grid)),  # type: ignore[arg-type]
                 NodeEntry("fuse", "Fuse", "grid", 1, "L2", (grid[0] / 2, np.inf, np.inf))]
        table += [NodeEntry(f"e{i}", "Evse", "fuse" if i % 2 else "grid", 1 if i % 2 else 3,
                            "L1", (32.0,) * 3, 0.0, 6.0) for i in range(4)]
        return {e.uuid: e for e in table}

    tree = FlatTree.from_entries(entries(limits).values())
    moved = tree.with_limits(entries(new))
    fresh = FlatTree.from_entries(entries(new).values())
    assert moved is not None
    np.testing.assert_array_equal(moved.cap, fresh.cap)
    assert list(share(moved, np.array(demand))) == list(share(fresh, np.array(demand)))


def test_a_limit_that_appears_or_vanishes_rebuilds_the_tree() -> None:
    def table(limit: float) -> dict[str, NodeEntry]:
        return {e.uuid: e for e in (
            NodeEntry("grid", "Grid", None, 3, "L1", (limit, 63.0, 63.0)),
            NodeEntry("e", "Evse", "grid", 3, "L1", (32.0,) * 3, 10.0, 6.0))}

    assert FlatTree.from_entries(table(50.0).values()).with_limits(table(np.inf)) is None
    assert FlatTree.from_entries(table(np.inf).values()).with_limits(table(50.0)) is None


def test_a_throttled_manager_solves_less_often_and_still_meets_the_plan(tmp_path: Path
                                                                       ) -> None:
    every = ScenarioRun(load_scenario(CHEAPEST))
    every.run()
    throttled = ScenarioRun(load_scenario(_variant(CHEAPEST, tmp_path,
                                                   {"min_solve_interval_s": 1800})))
    result = throttled.run()
    assert _failed(result) == []
    assert result.energy_wh[1] == pytest.approx(12_000, abs=150)  # the need, not more

    def solves(run: ScenarioRun) -> list[float]:
        return [r.t for r in run.recorder.rows if r.name == "schedule"]

    assert len(solves(throttled)) < len(solves(every))
    # Once the cars are plugged in (10 s), the solves are at least the interval apart (those
    # before, with no car wanting current, bind nothing).
    times = np.unique([t for t in solves(throttled) if t >= 10.0])
    assert len(times) > 2 and (np.diff(times) >= 1800 - 1e-6).all()


def _result(events: pd.DataFrame, signals: pd.DataFrame) -> RunResult:
    return RunResult(scenario="s", scenario_file="s.yaml", station="st.yaml", seed=0,
                     events=events, signals=signals, expectations=[], sim_time_s=60.0,
                     wall_time_s=0.0, energy_wh={})


def test_site_panels_are_drawn_only_for_a_station_with_a_simulated_site() -> None:
    samples = _signals([{"t": float(t), "connector": 1, "pv_power_w": 100.0 * t}
                        for t in range(0, 61, 10)])
    without = build_figures(_result(_events(_tree([(0.0, 32.0)])), samples))
    with_site = build_figures(_result(_events([(0.0, "grid.supply", "var", "site",
                                                 {"pv_w": 0})]), samples))
    assert not {"plot-site", "plot-price"} & {f.id for f in without.signals}
    assert {"plot-site", "plot-price"} <= {f.id for f in with_site.signals}
