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
