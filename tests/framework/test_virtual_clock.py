"""Virtual time that refuses to stand still: a process that keeps re-scheduling itself at the
same instant ends the run with a clear error, naming the module, instead of hanging it."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from charger.framework.virtualclock import TimeStalled, VirtualClockEnvironment
from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun

FREE_CHARGING = Path(__file__).resolve().parents[2] / "scenarios" / "free_charging.yaml"


def _always_due_now(env: VirtualClockEnvironment) -> Generator:
    while True:
        yield env.timeout(0)


def _busy_but_moving(env: VirtualClockEnvironment, ticks: list[int]) -> Generator:
    while True:
        for _ in range(50):  # many events at each instant, but time moves on
            yield env.timeout(0)
        ticks.append(1)
        yield env.timeout(1e-6)


def test_a_process_stuck_at_one_instant_stops_the_run_and_is_named() -> None:
    env = VirtualClockEnvironment(max_events_per_instant=1000)
    env.process(_always_due_now(env))
    env.timeout(5.0)
    with pytest.raises(TimeStalled, match=r"t=0 s: 1,000 events .* _always_due_now") as stalled:
        env.run(until=10.0)
    assert stalled.value.now == 0.0


def test_many_events_per_instant_with_time_moving_are_not_a_stall() -> None:
    env = VirtualClockEnvironment(max_events_per_instant=100)
    ticks: list[int] = []
    env.process(_busy_but_moving(env, ticks))
    env.run(until=1e-3)
    assert len(ticks) >= 900  # 51 events per instant, 1,000 instants: far past the bound


def test_a_stalled_scenario_run_keeps_its_timeline_and_fails_with_the_module_named() -> None:
    run = ScenarioRun(load_scenario(FREE_CHARGING))
    run.env.max_events_per_instant = 10_000  # type: ignore[attr-defined]

    def stuck() -> Generator:
        while True:
            yield run.env.timeout(0)

    def at_30_s() -> Generator:  # the charging session's manager gets stuck half a minute in
        yield run.env.timeout(30.0)
        run.station.modules["evse1"].start(stuck())  # type: ignore[union-attr]

    run.env.process(at_30_s())
    result = run.run()
    assert not result.passed
    stalled = [e for e in result.expectations if e.name == "simulated time kept moving"]
    assert len(stalled) == 1 and not stalled[0].passed
    assert "t=30 s" in stalled[0].detail and "stuck of module evse1" in stalled[0].detail
    # What happened before the stall is kept: the car was plugged in and charging.
    assert (result.events["t"] <= 30.0).all()
    assert "SessionStarted" in result.events["value"].astype(str).str.cat()
    assert len(result.signals) > 0


def test_full_collections_wait_while_virtual_time_runs_and_resume_after() -> None:
    import gc

    before = gc.get_threshold()
    env = VirtualClockEnvironment()
    seen: list[tuple[int, int, int]] = []

    def look() -> Generator:
        yield env.timeout(1.0)
        seen.append(gc.get_threshold())

    env.process(look())
    env.run(until=2.0)
    assert seen[0][:2] == before[:2] and seen[0][2] > 1_000_000  # young ones still collected
    assert gc.get_threshold() == before
