"""The plugin's run fixtures: a scenario or a station run in a test, its timeline a DataFrame."""

from __future__ import annotations

import json

import pandas as pd


def _session_events(events: pd.DataFrame) -> list[tuple[float, str]]:
    rows = events[(events.kind == "var") & (events.name == "session_event")]
    return [(t, json.loads(value)["event"]) for t, value in zip(rows.t, rows.value)]


def test_a_station_runs_for_a_while_and_its_timeline_is_a_dataframe(evbench_station) -> None:
    result = evbench_station("evbench:ac-1-connector", 60,
                             cars={1: {"profile": "sedan-3ph-11kw"}},
                             module_config={"auth": {"free_charging": True}},
                             steps=[{"at": 2, "do": "plug_in"}])
    assert list(result.events.columns[:5]) == ["t", "source", "kind", "name", "value"]
    events = _session_events(result.events)
    names = [name for _, name in events]
    assert names.index("SessionStarted") < names.index("ChargingStarted")
    assert all(t >= 2.0 for t, _ in events if _ == "SessionStarted")
    assert result.sim_time_s == 60
    # A 3-phase 16 A car: the sampled current reaches its on-board charger's limit, no more.
    charging = result.signals[result.signals.t > 30]
    assert charging.current_l1_a.max() <= 16.0 + 1e-6
    assert charging.current_l1_a.min() > 15.0
    assert result.energy_wh[1] > 0


def test_a_station_without_a_car_never_charges(evbench_station) -> None:
    result = evbench_station("../../scenarios/stations/ac-1-connector.yaml", 10)
    assert "ChargingStarted" not in [name for _, name in _session_events(result.events)]
    assert result.energy_wh.get(1, 0.0) == 0.0


def test_a_shipped_scenario_runs_with_its_verdict(evbench_scenario) -> None:
    result = evbench_scenario("evbench:rcd_trip")
    assert result.expectations and result.passed, [
        (e.name, e.detail) for e in result.failed_expectations]
    raised = result.events[result.events.kind == "error_raised"]
    assert any(name.endswith("RCDTrip") for name in raised.name), set(raised.name)
