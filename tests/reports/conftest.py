"""Hand-built RunResults: two connectors charging, a few events, passed and failed expectations."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from reports import SIGNAL_COLUMNS, ExpectationResult, RunResult

HOSTILE = '<script>alert("x")</script>'


def _connector_samples(
    connector: int, n: int, plug_at: int, charge_at: int, phases: int, amps: float
) -> list[dict]:
    rows = []
    energy = 0.0
    soc = 20.0 + 10 * connector
    for i in range(n):
        t = float(i)
        if i < plug_at:
            state, volt, duty, closed, cur = "A", 12.0, 100.0, False, 0.0
        elif i < charge_at:
            state, volt, duty, closed, cur = "B", 9.0, amps / 0.6, False, 0.0
        else:
            state, volt, duty, closed = "C", 6.0, amps / 0.6, True
            cur = amps * (1 - 0.3 * (i - charge_at) / n)  # a gentle taper
        currents = [cur if p < phases else 0.0 for p in range(3)]
        power = 230.0 * sum(currents)
        energy += power / 3600.0
        soc = min(100.0, soc + power / 3600.0 / 600.0)
        rows.append(
            {
                "t": t,
                "connector": connector,
                "cp_state": state,
                "cp_voltage_v": volt,
                "pwm_duty_pct": duty,
                "contactor_closed": closed,
                "current_l1_a": currents[0],
                "current_l2_a": currents[1],
                "current_l3_a": currents[2],
                "voltage_l1_v": 230.0 + np.sin(i / 7.0),
                "power_w": power,
                "energy_wh": energy,
                "soc_pct": soc,
                "dc_voltage_v": 0.0,
                "dc_current_a": 0.0,
                "dc_target_voltage_v": 0.0,
                "dc_target_current_a": 0.0,
                "grid_limit_a": 32.0 if i < 200 else 20.0,
                "pv_power_w": 0.0,
                "base_load_w": 0.0,
                "price_per_kwh": 0.0,
                "site_import_w": 0.0,
            }
        )
    return rows


def build_run(
    n_samples: int = 300, n_extra_events: int = 0, hostile: bool = True, failed: bool = True
) -> RunResult:
    rows = _connector_samples(1, n_samples, 10, 17, 3, 16.0) + _connector_samples(
        2, n_samples, 60, 70, 1, 32.0
    )
    # The recorder emits one row per connector per sample, interleaved by time.
    signals = (
        pd.DataFrame(rows, columns=list(SIGNAL_COLUMNS))
        .sort_values(["t", "connector"], kind="stable")
        .reset_index(drop=True)
    )

    def se(event: str, connector: int, **extra: object) -> str:
        return json.dumps({"event": event, "connector": connector, **extra})

    events = [
        (0.0, "scenario", "lifecycle", "start", '{"seed": 7}'),
        (10.0, "car_1", "step", "plug_in", "{}"),
        (10.0, "board_1", "var", "event", '{"event": "B"}'),
        (10.000001, "evse_1", "var", "session_event", se("SessionStarted", 1)),
        (15.0, "scenario", "step", "swipe_card", '{"token": "ABC123"}'),
        (15.25, "evse_1", "var", "session_event", se("Authorized", 1, token="ABC123")),
        (17.0, "evse_1", "var", "session_event", se("ChargingStarted", 1)),
        (60.0, "evse_2", "var", "session_event", se("SessionStarted", 2)),
        (65.5, "evse_2", "cmd_error", "enable", '{"error": "busy"}'),
        (120.0, "evse_2", "error_raised", "MREC2GroundFailure", '{"severity": "high"}'),
        (121.0, "evse_2", "error_cleared", "MREC2GroundFailure", "{}"),
        (150.0, "world", "log", "note", HOSTILE if hostile else "plain"),
        (299.0, "scenario", "expect", "energy", '{"ok": true}'),
    ]
    t_extra = np.linspace(0.0, float(n_samples), n_extra_events)
    events += [
        (float(t), "world", "log", "tick", json.dumps({"i": i})) for i, t in enumerate(t_extra)
    ]
    events_df = pd.DataFrame(events, columns=["t", "source", "kind", "name", "value"])

    expectations = [
        ExpectationResult(
            "charging starts within 5 s of authorization",
            True,
            "ChargingStarted 1.750 s after Authorized (limit 5 s)",
            17.0,
        ),
        ExpectationResult("connector 2 never faults", not failed,
                          "error MREC2GroundFailure raised at 120.000 s", 120.0),
        ExpectationResult("run completes", True, "no exception", None),
    ]
    last = signals.groupby("connector")["energy_wh"].last()
    return RunResult(
        scenario="Two cars on a shared grid <limit> & friends",
        scenario_file="scenarios/two_cars_shared_grid.yaml",
        station="config/station_two_ac.yaml",
        seed=7,
        events=events_df,
        signals=signals,
        expectations=expectations,
        sim_time_s=float(n_samples - 1),
        wall_time_s=0.8123,
        energy_wh={int(k): float(v) for k, v in last.items()},
    )


@pytest.fixture(scope="session")
def make_run() -> Callable[..., RunResult]:
    return build_run


@pytest.fixture
def run() -> RunResult:
    return build_run()
