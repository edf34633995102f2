"""SimCar physics on a SimBoard, with the test playing the charger: the CC/CV taper, stopping at
the target state of charge, and following PWM duty changes after its reaction time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from charger.iec61851 import duty_from_current

Plug = Any  # the conftest's Plug: a simulated plug driven by hand
PlugFactory = Callable[..., Plug]


def _start_charging(p: Plug, offer_a: float) -> float:
    """Plug the car in, offer ``offer_a`` and close the contactors once the car asks (C).
    Returns when the contactors closed."""
    p.call("car", "car", "plug_in")
    p.charger("pwm_on", duty_cycle_pct=duty_from_current(offer_a))
    for _ in range(100):
        p.advance(0.1)
        if p.measurement()["cp_state"] == "C":
            break
    assert p.measurement()["cp_state"] == "C"
    p.charger("allow_power_on", value=True, phase_count=3)
    p.advance(0.5)
    closed = [t for t, e in p.board_events() if e == "PowerOn"]
    assert closed
    return closed[0]


def _draws(p: Plug) -> list[tuple[float, float]]:
    """(time, current on L1) every time the board's measurement changed."""
    return [(r.t, r.value["current_a"][0]) for r in p.rows("var", "measurement")]


def _states(p: Plug) -> list[tuple[float, dict]]:
    return [(r.t, r.value) for r in p.rows("var", "ev_state")]


TAPER_CAR = ("profile: sedan-3ph-11kw, soc_pct: 45, cv_start_soc_pct: 50, target_soc_pct: 60, "
             "battery_kwh: 1, max_current_a: 16, efficiency: 1, reaction_time_s: 0.5")


def test_current_tapers_after_cv_start_and_the_car_stops_at_its_target(
        plug: PlugFactory) -> None:
    p = plug(car=TAPER_CAR)
    closed = _start_charging(p, offer_a=32.0)
    p.advance(300.0)
    states = _states(p)
    charging = [(t, s["soc_pct"], s["current_a"]) for t, s in states if s["state"] == "charging"]
    assert charging, states
    # constant current (the on-board charger's 16 A) up to the start of the taper
    assert all(amps == 16.0 for _, soc, amps in charging if soc < 50.0)
    tapering = [(t, soc, amps) for t, soc, amps in charging if soc > 51.0]
    assert len(tapering) >= 5
    assert all(amps < 16.0 for _, _, amps in tapering)
    currents = [amps for _, _, amps in tapering]
    assert currents == sorted(currents, reverse=True)  # never rises again
    # linear to zero at 100 %: at 55 % SoC the battery takes 16 A * 45/50 (one BMS tick stale)
    for _, soc, amps in tapering:
        assert 16.0 * (100 - soc) / 50 - 0.6 <= amps <= 16.0 * (100 - soc) / 50 + 0.6
    # at the target the car opens S2 (C -> B), stops drawing and says it is full
    events = [(t, e) for t, e in p.board_events() if t > closed]
    stop = next(t for t, e in events if e == "B")
    final = states[-1][1]
    assert final["state"] == "full"
    assert 60.0 <= final["soc_pct"] <= 60.5
    assert final["current_a"] == 0.0
    assert all(amps == 0.0 for t, amps in _draws(p) if t >= stop)
    soc_at_stop = max(s["soc_pct"] for t, s in states if t <= stop + 1e-9)
    assert soc_at_stop >= 60.0


@pytest.mark.parametrize("physics", ["events", "ticks"])
def test_energy_into_the_battery_matches_the_meter(plug: PlugFactory, physics: str) -> None:
    p = plug("relay_close_delay_s: 0", car="profile: suv-3ph-22kw, soc_pct: 20, "
             f"battery_kwh: 50, efficiency: 0.9, physics: {physics}")
    _start_charging(p, offer_a=16.0)
    p.advance(600.0)
    meter = p.rows("var", "powermeter")[-1].value["energy_wh_import"]["total"]
    t, car = _states(p)[-1]
    # On events the car reports changes only, with the slope of its state of charge since.
    rise = car.get("soc_rate_pct_s", 0.0) * (p.env.now - t)
    assert (physics == "events") == (rise > 0.0)
    energy = car["energy_wh"] + rise * 500.0  # 50 kWh: 500 Wh a percent
    assert meter > 1500.0
    assert energy == pytest.approx(0.9 * meter, rel=0.01)
    assert car["soc_pct"] + rise == pytest.approx(20.0 + energy / 500.0, abs=0.01)


def test_on_events_each_taper_step_comes_when_the_acceptance_reaches_it(
        plug: PlugFactory) -> None:
    """No tick: the car draws a constant current and steps down by 0.1 A exactly when the
    battery's acceptance falls below the draw less half a step, and stops exactly at its
    target; its state is reported at those events only."""
    p = plug(car=TAPER_CAR + ", physics: events")
    _start_charging(p, offer_a=32.0)
    p.advance(300.0)
    states = _states(p)
    steps = [(t, s["soc_pct"], s["current_a"]) for t, s in states if s["state"] == "charging"]
    changes = [step for before, step in zip(steps, steps[1:]) if step[2] != before[2]]
    tapering = [(t, soc, amps) for t, soc, amps in changes if amps < 16.0]
    assert len(tapering) >= 20
    for (_, _, before), (_, soc, amps) in zip(tapering, tapering[1:]):
        assert amps == pytest.approx(before - 0.1)
        # the acceptance 16 A * (100 - soc) / 50 has just fallen below before - 0.05 A
        assert 16.0 * (100.0 - soc) / 50.0 == pytest.approx(before - 0.05, abs=0.002)
    full = next((t, s) for t, s in states if s["state"] == "full")
    assert full[1]["soc_pct"] == pytest.approx(60.0, abs=0.001)
    assert len(states) < 3 * len(changes) < 300  # not one report a second


@pytest.mark.parametrize("reaction", [0.5, 2.5, 5.0])
def test_the_car_follows_a_duty_change_after_its_reaction_time(
        plug: PlugFactory, reaction: float) -> None:
    p = plug(car=f"profile: suv-3ph-22kw, soc_pct: 20, reaction_time_s: {reaction}")
    _start_charging(p, offer_a=16.0)
    p.advance(10.0)
    assert _draws(p)[-1][1] == 16.0
    for new_limit in (10.0, 20.0, 6.0):
        t0 = p.env.now
        p.charger("pwm_on", duty_cycle_pct=duty_from_current(new_limit))
        p.advance(reaction + 2.0)
        after = [(t, amps) for t, amps in _draws(p) if t >= t0]
        assert all(amps != new_limit for t, amps in after if t < t0 + reaction - 1e-9), after
        first = next(t for t, amps in after if amps == new_limit)
        assert first == pytest.approx(t0 + reaction)


def test_a_duty_that_allows_nothing_makes_the_car_stop_asking(plug: PlugFactory) -> None:
    p = plug(car="profile: suv-3ph-22kw, soc_pct: 20, reaction_time_s: 1.0")
    _start_charging(p, offer_a=16.0)
    p.advance(5.0)
    t0 = p.env.now
    p.charger("pwm_on", duty_cycle_pct=5.0)  # 5 %: digital communication, no current
    p.advance(3.0)
    stop = next(t for t, e in p.board_events() if t >= t0 and e == "B")
    assert stop == pytest.approx(t0 + 1.0)
    assert p.measurement()["current_a"] == [0.0, 0.0, 0.0]


def test_the_car_never_draws_more_than_offered_or_its_own_limit(plug: PlugFactory) -> None:
    p = plug(car="profile: compact-1ph-7kw, soc_pct: 20, reaction_time_s: 0.5")
    _start_charging(p, offer_a=40.0)
    p.advance(20.0)
    assert p.measurement()["current_a"] == [32.0, 0.0, 0.0]  # 1-phase 32 A on-board charger
    p.charger("pwm_on", duty_cycle_pct=duty_from_current(13.3))
    p.advance(2.0)
    assert p.measurement()["current_a"] == [13.3, 0.0, 0.0]


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(soc=st.floats(70.0, 95.0), cv_start=st.floats(60.0, 95.0),
       max_a=st.sampled_from([10.0, 16.0, 32.0]), kwh=st.floats(2.0, 10.0),
       target=st.floats(80.0, 100.0))
def test_events_take_in_what_ticks_take_in_less_the_ticks_late_steps(
        plug: PlugFactory, soc: float, cv_start: float, max_a: float, kwh: float,
        target: float) -> None:
    """For any car, the battery on events takes in the energy the ticking battery takes in,
    less what the ticking one draws by noticing each taper step and its target up to a tick
    late: at most one tick of one step per step, and one tick of full current at the end."""
    assume(target >= soc + 1.0)  # a car that wants charge
    car = (f"profile: sedan-3ph-11kw, soc_pct: {soc}, cv_start_soc_pct: {cv_start}, "
           f"max_current_a: {max_a}, battery_kwh: {kwh}, target_soc_pct: {target}, "
           "efficiency: 1, reaction_time_s: 0.5")
    taken = {}
    for physics in ("ticks", "events"):
        p = plug(car=f"{car}, physics: {physics}")
        _start_charging(p, offer_a=32.0)
        p.advance(900.0)
        t, state = _states(p)[-1]
        rise = state.get("soc_rate_pct_s", 0.0) * (p.env.now - t)
        taken[physics] = (state["soc_pct"] + rise - soc) * kwh * 10.0  # Wh
        steps = len({amps for _, amps in _draws(p)})
    volts_phases = 230.0 * 3
    bound = steps * 0.1 * volts_phases / 3600.0 + max_a * volts_phases / 3600.0 + 0.05
    assert taken["events"] - 0.05 <= taken["ticks"] <= taken["events"] + bound
