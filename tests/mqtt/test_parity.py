"""The same scenario in-process (virtual time) and over MQTT (module processes, wall clock)
gives the same session events, the same pilot states and the same energy within 1 %."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.broker import PrivateBroker
from evbench.scenario.runner import run_scenario
from reports.model import RunResult

pytestmark = pytest.mark.mqtt

SCENARIOS = Path(__file__).parents[2] / "scenarios"
FACTOR = 0.02  # fifty times faster than real time


def _sequences(result: RunResult) -> tuple[dict, dict]:
    sessions: dict[int, list[str]] = {}
    pilots: dict[str, list[str]] = {}
    for row in result.events.itertuples():
        if row.kind != "var":
            continue
        value = __import__("json").loads(row.value)
        if row.name == "session_event":
            sessions.setdefault(value["connector"], []).append(value["event"])
        elif row.name == "event" and value["event"] in "ABCDEF":
            pilots.setdefault(row.source, []).append(value["event"])
    return sessions, pilots


@pytest.mark.parametrize("name", ["ev_script_session", "rcd_trip", "pause_resume"])
def test_in_process_and_mqtt_runs_agree(name: str, tmp_path: Path) -> None:
    scenario = SCENARIOS / f"{name}.yaml"
    local = run_scenario(scenario)
    with PrivateBroker() as broker:
        remote = run_scenario(scenario, bus_url=broker.url, factor=FACTOR,
                              log_dir=tmp_path / "logs")
    local_sessions, local_pilots = _sequences(local)
    remote_sessions, remote_pilots = _sequences(remote)
    assert remote_sessions == local_sessions
    assert remote_pilots == local_pilots
    assert local_sessions  # the comparison compared something
    for connector, energy in local.energy_wh.items():
        assert energy > 0
        assert remote.energy_wh[connector] == pytest.approx(energy, rel=0.01)
    # The MQTT run's timeline records the same kinds of events as the in-process one.
    kinds = {"cmd", "result", "var", "lifecycle", "step", "expect"}
    assert kinds <= set(remote.events["kind"])
