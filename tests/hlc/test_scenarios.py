"""Every high-level-communication scenario passes in the simulated world (its expectations and
the run invariants), and the EvManager DC script of EVerest runs unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from evbench.scenario import run_scenario
from tests.support.timeline import timeline_rows

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
HLC_SCENARIOS = sorted([*SCENARIOS.glob("dc_*.yaml"), *SCENARIOS.glob("ac_iso15118*.yaml"),
                        SCENARIOS / "ac_basic_car_on_iso15118_station.yaml"])
EVMANAGER_DC_SCRIPT = ("sleep 1;iso_wait_slac_matched;iso_start_v2g_session DC;iso_wait_pwr_ready;"
                       "iso_wait_for_stop 20;iso_wait_v2g_session_stopped;unplug")


def _failures(result) -> list[str]:
    return [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]


def test_the_issue_s_scenarios_are_all_there() -> None:
    names = {p.stem for p in HLC_SCENARIOS}
    assert {"ac_iso15118_eim", "dc_din_session", "dc_iso15118_session", "dc_stop_by_charger",
            "dc_pause_resume", "dc_slac_failure", "dc_timeout_cable_check",
            "dc_timeout_current_demand", "dc_cable_check_failure",
            "dc_precharge_failure"} <= names


@pytest.mark.parametrize("path", HLC_SCENARIOS, ids=lambda p: p.stem)
def test_hlc_scenario_passes(path: Path) -> None:
    result = run_scenario(path)
    assert not _failures(result)



def test_the_evmanager_dc_script_runs_unchanged(tmp_path: Path) -> None:
    scenario = tmp_path / "evmanager_dc.yaml"
    scenario.write_text(f"""scenario: EvManager DC script
station: {SCENARIOS / 'stations' / 'dc-1-connector.yaml'}
duration: 2 min
world:
  cars:
    - connector: 1
      profile: polestar-2-lr
      soc_pct: 40
      script: "{EVMANAGER_DC_SCRIPT}"
steps:
  - at: 3 s
    do: swipe
    token: AABBCCDD
expect:
  - happens: {{session: ChargingStarted}}
  - happens: {{session: SessionFinished}}
""", encoding="utf-8")
    result = run_scenario(scenario)
    assert not _failures(result)
    started = timeline_rows(result, "power_delivery_started", "car1_evcc.ev")
    finished = timeline_rows(result, "session_finished", "car1_evcc.ev")
    assert len(started) == 1 and len(finished) == 1
    # iso_wait_for_stop 20: the charger did not stop, so the car stops itself 20 s after
    # power was ready, then welding detection and SessionStop.
    assert finished[0][1] == "stopped by the car"
    assert 20.0 <= finished[0][0] - started[0][0] < 25.0
    unplugged = [t for t, v in timeline_rows(result, "session_event")
                 if v["event"] == "SessionFinished"]
    assert unplugged and unplugged[0] >= finished[0][0]
    assert result.energy_wh[1] > 200  # about 20 s at the car's power


def test_a_dc_session_s_cable_check_voltage_and_pre_charge_follow_the_rules() -> None:
    from charger.dc_rules import PRECHARGE_TOLERANCE_V, cable_check_voltage

    result = run_scenario(SCENARIOS / "dc_iso15118_session.yaml")
    check = timeline_rows(result, "start_cable_check", "secc1.charger")
    assert check and check[0][1]["voltage_v"] == pytest.approx(cable_check_voltage(760, 1000))
    phases = [v for _, v in timeline_rows(result, "hlc_phase")]
    dc_states = [p["dc"] for p in phases]
    order = ["CableCheck", "IsolationCheck", "WaitingForPreCharge", "PreCharge",
             "WaitingForPowerDelivery", "CurrentDemand", "WeldingDetection", "Finished"]
    assert [s for s in order if s in dc_states] == order
    # the car closed its contactors on an inlet within 20 V of its battery
    inlet = timeline_rows(result, "measurement", "dc1.ev_dc")
    closing = next(v for _, v in inlet if v["contactors_closed"])
    targets = [v for _, v in timeline_rows(result, "dc_ev_target_voltage_current", "secc1.charger")]
    assert abs(closing["voltage_v"] - targets[0]["voltage_v"]) <= PRECHARGE_TOLERANCE_V
