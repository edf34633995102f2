"""The LP optimiser: every limit in every period, needs and stays kept, each policy doing what
it says against the others on the same inputs, and the water-filling fallback."""

from __future__ import annotations

import numpy as np
import pytest

from charger.energy.flat import FlatTree, share
from charger.energy.messages import NodeEntry
from charger.energy.optimiser import POLICIES, Forecast, Problem, evaluate, plan, solve

PERIODS, PERIOD_S = 24, 3600.0


def _site(cars: int = 6) -> FlatTree:
    entries = [NodeEntry("grid", "Grid", None, 3, "L1", (63.0,) * 3),
               NodeEntry("f1", "Fuse", "grid", 3, "L1", (32.0,) * 3),
               NodeEntry("f2", "Fuse", "grid", 3, "L1", (40.0,) * 3)]
    for i in range(cars):
        phases = 1 if i % 3 == 2 else 3
        entries.append(NodeEntry(f"e{i}", "Evse", f"f{1 + i % 2}", phases, ("L1", "L2")[i % 2],
                                 (32.0,) * 3, 32.0, 6.0))
    return FlatTree.from_entries(entries)


def _problem(import_cap: float = np.inf, cars: int = 6, dr: slice = slice(17, 19)) -> Problem:
    hours = np.arange(PERIODS)
    price = np.where((hours >= 7) & (hours < 22), 0.40, 0.10)
    pv = 20000.0 * np.clip(np.sin((hours - 6) / 14 * np.pi), 0, None)
    cap = np.full(PERIODS, np.inf)
    cap[dr] = import_cap
    forecast = Forecast(PERIOD_S, price, pv, np.full(PERIODS, 2000.0), cap)
    rng = np.random.default_rng(4)
    return Problem(_site(cars), np.full(cars, 32.0), rng.integers(6, PERIODS, cars),
                   rng.uniform(10_000, 40_000, cars), forecast)


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_policy_keeps_every_limit_stay_and_need(policy: str) -> None:
    problem = _problem(import_cap=15_000.0)
    schedule = solve(problem, POLICIES[policy])
    assert schedule.solved, schedule.reason
    r = schedule.current_a
    tree = problem.tree
    assert (tree.matrix @ r <= tree.cap[:, None] + 1e-6).all()
    assert (r <= tree.max_a[:, None] + 1e-9).all() and (r >= 0).all()
    for i, leaves in enumerate(problem.departure_period):
        assert (r[i, leaves:] == 0).all()
    power = tree.phase_use.sum(axis=1) * problem.voltage_v
    assert ((r * power[:, None]).sum(axis=1) <= problem.energy_wh + 1e-3).all()
    net = (r * power[:, None]).sum(axis=0) + problem.forecast.base_load_w - problem.forecast.pv_w
    assert (net[17:19] <= 15_000.0 + 1e-3).all()


def test_the_policies_differ_as_their_names_say_on_the_same_inputs() -> None:
    problem = _problem()
    kpis = {name: evaluate(problem, solve(problem, policy).current_a)
            for name, policy in POLICIES.items()}
    unmet = {k["unmet_kwh"] for k in kpis.values()}
    assert max(unmet) - min(unmet) < 1e-3  # every policy meets as much need as the limits allow
    assert kpis["cheapest"]["cost"] < kpis["fastest"]["cost"] - 1.0
    assert kpis["pv_first"]["pv_used_kwh"] > kpis["fastest"]["pv_used_kwh"] + 1.0
    fastest = solve(problem, POLICIES["fastest"]).current_a
    first_hours = fastest[:, :3].sum()
    assert first_hours >= solve(problem, POLICIES["cheapest"]).current_a[:, :3].sum()


def test_fair_share_gives_the_worst_served_car_a_larger_share_of_its_need() -> None:
    problem = _problem(cars=12)  # more cars than the fuses carry at once
    power = problem.tree.phase_use.sum(axis=1) * problem.voltage_v

    def worst(name: str) -> float:
        r = solve(problem, POLICIES[name]).current_a
        return float(((r * power[:, None]).sum(axis=1) / problem.energy_wh).min())

    assert worst("fair_share") >= worst("fastest") - 1e-6


def test_no_solution_falls_back_to_water_filling() -> None:
    problem = _problem(import_cap=500.0, dr=slice(1, 3))  # below the night's base load
    schedule = plan(problem, POLICIES["cheapest"])
    assert not schedule.solved and "no schedule fits" in schedule.reason
    assert np.array_equal(schedule.now_a, share(problem.tree, problem.demand_a))


def test_no_time_falls_back_to_water_filling() -> None:
    problem = _problem(cars=60)
    schedule = plan(problem, POLICIES["fair_share"], time_limit_s=1e-9)
    assert not schedule.solved and "out of time" in schedule.reason
    assert np.array_equal(schedule.now_a, share(problem.tree, problem.demand_a))


def test_no_policy_is_water_filling() -> None:
    problem = _problem()
    schedule = plan(problem, None)
    assert schedule.reason == "water-filling"
    assert np.array_equal(schedule.now_a, share(problem.tree, problem.demand_a))


def _coarse(problem: Problem, group: np.ndarray) -> Problem:
    """The same problem planned on merged periods (departures in the new periods: those the
    car stays to the end of)."""
    ends = np.cumsum(np.bincount(group))
    departure = np.searchsorted(ends, problem.departure_period, side="right")
    return Problem(problem.tree, problem.demand_a, departure, problem.energy_wh,
                   problem.forecast.coarsened(group), problem.voltage_v)


def test_merged_periods_average_the_forecast_and_keep_the_lowest_cap() -> None:
    forecast = _problem(import_cap=15_000.0).forecast  # a cap in hours 17 and 18
    group = np.array([0, 1, 2, 3] + [4 + (k - 4) // 4 for k in range(4, PERIODS)])
    coarse = forecast.coarsened(group)
    assert coarse.periods == 9 and coarse.durations_s.tolist() == [3600.0] * 4 + [14400.0] * 5
    assert coarse.price[:4].tolist() == forecast.price[:4].tolist()
    assert coarse.price[4] == pytest.approx(forecast.price[4:8].mean())
    assert coarse.import_cap_w[7] == 15_000.0  # hours 16-19
    assert np.isinf(coarse.import_cap_w[6])
    assert coarse.durations_s.sum() == forecast.durations_s.sum()


@pytest.mark.parametrize("policy", ["cheapest", "fastest"])
def test_a_plan_coarse_beyond_its_detail_counts_energy_by_each_periods_length(
        policy: str) -> None:
    problem = _problem()
    group = np.array([0, 1, 2, 3] + [4 + (k - 4) // 4 for k in range(4, PERIODS)])
    coarse = _coarse(problem, group)
    schedule = solve(coarse, POLICIES[policy])
    assert schedule.solved, schedule.reason
    r, hours = schedule.current_a, coarse.forecast.durations_s / 3600.0
    power = coarse.power
    delivered = (r * power[:, None] * hours).sum(axis=1)
    assert (delivered <= coarse.energy_wh + 1e-3).all()
    for i, leaves in enumerate(coarse.departure_period):
        assert (r[i, leaves:] == 0).all()
    # As much energy as the detailed plan where the stays allow it, at no lower price.
    detailed = evaluate(problem, solve(problem, POLICIES[policy]).current_a)
    assert evaluate(coarse, r)["delivered_kwh"] == pytest.approx(delivered.sum() / 1000.0)
    assert evaluate(coarse, r)["delivered_kwh"] <= detailed["delivered_kwh"] + 1e-6
    assert evaluate(coarse, r)["delivered_kwh"] >= 0.95 * detailed["delivered_kwh"]


def test_a_car_leaving_partway_through_a_period_takes_that_share_of_it() -> None:
    tree = _site(cars=1)
    forecast = Forecast(3600.0, np.zeros(3), np.zeros(3), np.zeros(3), np.full(3, np.inf),
                        lengths_s=np.array([900.0, 7200.0, 7200.0]))
    problem = Problem(tree, np.array([32.0]), np.array([1.25]), np.array([1e9]), forecast)
    r = solve(problem, POLICIES["fastest"]).current_a
    assert r[0].tolist() == pytest.approx([32.0, 8.0, 0.0])  # a quarter of period 1
