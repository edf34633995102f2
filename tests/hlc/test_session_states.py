"""The EVSE manager's session states and events under high-level communication, judged on the
timeline of whole simulated sessions: the V2G session (not the pilot) decides pauses and the
end, ChargingStarted waits until DC energy can flow, and the charger can pause and resume a
session itself (DC on ISO 15118-2 and DIN SPEC 70121, AC on ISO 15118-2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from evbench.scenario import run_scenario
from tests.support.timeline import timeline_rows

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
STATIONS = SCENARIOS / "stations"



def _states(result) -> list[str]:
    return [v for _, v in timeline_rows(result, "state", "evse1.evse")]


def _session_events(result) -> list[tuple[float, dict]]:
    return [(t, v) for t, v in timeline_rows(result, "session_event", "evse1.evse")]


def _first(result, event: str) -> float:
    return next(t for t, v in _session_events(result) if v["event"] == event)


def _failures(result) -> list[str]:
    return [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]


@pytest.fixture(scope="module")
def dc_session():
    return run_scenario(SCENARIOS / "dc_iso15118_session.yaml")


def test_a_dc_session_walks_the_states_without_detours(dc_session) -> None:
    # The car's PowerDelivery Stop, its contactors opening and its state B, the welding
    # detection and the PWM stopping at SessionStop are one ending: Charging -> Finished.
    assert _states(dc_session) == ["Idle", "WaitingForAuthentication", "PrepareCharging",
                                   "Charging", "Finished", "Idle"]
    events = [v["event"] for _, v in _session_events(dc_session)]
    assert "ChargingPausedEV" not in events and "ChargingPausedEVSE" not in events


def test_charging_starts_when_dc_energy_can_flow(dc_session) -> None:
    started = _first(dc_session, "ChargingStarted")
    car_closed = next(t for t, v in timeline_rows(dc_session, "measurement", "dc1.ev_dc")
                      if v["contactors_closed"])
    messages = timeline_rows(dc_session, "v2g_message", "secc1.charger")
    first_demand = next(t for t, v in messages
                        if v["direction"] == "rx" and v["name"] == "CurrentDemandReq")
    power_delivery = next(t for t, v in messages if v["direction"] == "rx"
                          and v["name"] == "PowerDeliveryReq")
    assert power_delivery < car_closed <= started
    assert started == first_demand  # the car's first request for current, contactors closed


def test_a_car_at_its_target_asks_0_a_then_stops_without_detours(tmp_path: Path) -> None:
    # The order the car's end comes in (a CurrentDemandReq for 0 A, then PowerDelivery Stop)
    # must not matter: the 0 A request pauses nothing.
    path = tmp_path / "full.yaml"
    path.write_text(f"""scenario: a car charges to its target
station: {STATIONS / 'dc-1-connector.yaml'}
duration: 2 min
world:
  cars:
    - connector: 1
      profile: polestar-2-lr
      soc_pct: 79.6
      target_soc_pct: 80
      script: "sleep 1;iso_wait_slac_matched;iso_start_v2g_session DC;iso_wait_pwr_ready;\
iso_wait_for_stop 600;iso_wait_v2g_session_stopped;sleep 2;unplug"
steps:
  - at: 5 s
    do: swipe
    token: AABBCCDD
expect:
  - happens: {{session: ChargingStarted}}
  - happens: {{var: session_finished, source: secc1.charger, value: "stopped by the car"}}
""", encoding="utf-8")
    result = run_scenario(path)
    assert not _failures(result)
    requests = [(t, v["name"], v["message"]["V2G_Message"]["Body"][v["name"]])
                for t, v in timeline_rows(result, "v2g_message", "secc1.charger")
                if v["direction"] == "rx" and v["name"] in ("CurrentDemandReq",
                                                            "PowerDeliveryReq")]
    stop = [t for t, name, body in requests if name == "PowerDeliveryReq"][-1]
    zero = [t for t, name, body in requests
            if name == "CurrentDemandReq" and body["EVTargetCurrent"]["Value"] == 0]
    assert zero and zero[-1] < stop  # the case under test happened
    assert _states(result) == ["Idle", "WaitingForAuthentication", "PrepareCharging",
                               "Charging", "Finished", "Idle"]


def test_a_car_s_pause_goes_straight_to_charging_paused_ev() -> None:
    result = run_scenario(SCENARIOS / "dc_pause_resume.yaml")
    assert not _failures(result)
    assert _states(result) == ["Idle", "WaitingForAuthentication", "PrepareCharging",
                               "Charging", "ChargingPausedEV", "PrepareCharging", "Charging",
                               "Finished", "Idle"]
    paused = timeline_rows(result, "session_paused", "secc1.charger")
    assert [t for t, v in _session_events(result) if v["event"] == "ChargingPausedEV"] == \
        [paused[0][0]]


def test_an_ac_hlc_session_walks_the_states_without_detours() -> None:
    result = run_scenario(SCENARIOS / "ac_iso15118_eim.yaml")
    assert not _failures(result)
    assert _states(result) == ["Idle", "WaitingForAuthentication", "PrepareCharging",
                               "Charging", "Finished", "Idle"]


def _scenario(tmp_path: Path, station: str, car: str, script: str, steps: str,
              expect: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(f"""scenario: charger pause
station: {STATIONS / station}
duration: 3 min
world:
  cars:
    - connector: 1
      profile: {car}
      soc_pct: 30
      script: "{script}"
steps:
  - at: 5 s
    do: swipe
    token: AABBCCDD
{steps}
expect:
{expect}
""", encoding="utf-8")
    return path


DC_SCRIPT = ("sleep 1;iso_wait_slac_matched;iso_start_v2g_session DC;iso_wait_pwr_ready;"
             "sleep 100;iso_stop_charging;iso_wait_v2g_session_stopped;sleep 2;unplug")
PAUSE_STEPS = """  - when: {session: ChargingStarted}
    timeout: 60 s
    after: 20 s
    do: charger_pause
  - after: 20 s
    do: charger_resume"""


def test_the_charger_pauses_a_din_session_by_its_limits(tmp_path: Path) -> None:
    """DIN SPEC 70121 has no renegotiation: the pause is no current and limits of 0 A in
    CurrentDemandRes, the loop and the car's contactors go on."""
    result = run_scenario(_scenario(
        tmp_path, "dc-1-connector.yaml", "tesla-model3-lr", DC_SCRIPT, PAUSE_STEPS, """
  - happens: {session: ChargingPausedEVSE}
    times: 1
  - happens: {session: ChargingResumed}
    times: 1
  - within: 2 s
    from: {step: charger_pause}
    to: {signal: dc_current_a, lt: 1}
  - within: 5 s
    from: {step: charger_resume}
    to: {signal: dc_current_a, gt: 50}
  - never: {var: evse_notification, source: car1_evcc.ev}
  - happens: {var: start_cable_check, source: secc1.charger}
    times: 1
  - happens: {var: session_finished, source: secc1.charger, value: "stopped by the car"}"""))
    assert not _failures(result)
    assert _states(result) == ["Idle", "WaitingForAuthentication", "PrepareCharging",
                               "Charging", "ChargingPausedEVSE", "Charging", "Finished", "Idle"]
    paused = _first(result, "ChargingPausedEVSE")
    resumed = _first(result, "ChargingResumed")
    limits = [(t, v["message"]["V2G_Message"]["Body"]["CurrentDemandRes"])
              for t, v in timeline_rows(result, "v2g_message", "secc1.charger")
              if v["direction"] == "tx" and v["name"] == "CurrentDemandRes"]
    during = [body for t, body in limits if paused + 0.5 < t < resumed]
    assert during and all(body["EVSEMaximumCurrentLimit"]["Value"] == 0
                          and body["EVSECurrentLimitAchieved"] for body in during)
    assert any(body["EVSEMaximumCurrentLimit"]["Value"] > 0
               for t, body in limits if t > resumed + 0.5)


def test_the_energy_limit_pauses_and_resumes_a_dc_session(tmp_path: Path) -> None:
    steps = """  - when: {session: ChargingStarted}
    timeout: 60 s
    after: 20 s
    do: call
    module: evse1
    impl: energy
    command: enforce_limits
    args: {limits: {evse1: 0}}
  - after: 20 s
    do: call
    module: evse1
    impl: energy
    command: enforce_limits
    args: {limits: {evse1: 32}}"""
    result = run_scenario(_scenario(
        tmp_path, "dc-1-connector.yaml", "polestar-2-lr", DC_SCRIPT, steps, """
  - happens: {session: ChargingPausedEVSE}
    times: 1
  - happens: {var: session_event, value: {event: ChargingPausedEVSE, reason: EnergyLimit}}
  - happens: {session: ChargingResumed}
    times: 1
  - happens: {var: renegotiation_requested, source: secc1.charger}
    times: 2"""))
    assert not _failures(result)
    assert "ChargingPausedEVSE" in _states(result)


def test_the_charger_pauses_an_ac_hlc_session(tmp_path: Path) -> None:
    """AC on ISO 15118-2: EVSEMaxCurrent 0 A, learnt by the car through a ReNegotiation; the
    contactors open once the car has had pwm_stop_timeout_s to stop drawing."""
    script = ("sleep 1;iso_wait_slac_matched;iso_start_v2g_session AC,ExternalPayment;"
              "iso_wait_pwr_ready;iso_draw_power_regulated 16,3;sleep 100;iso_stop_charging;"
              "iso_wait_v2g_session_stopped;sleep 2;unplug")
    result = run_scenario(_scenario(
        tmp_path, "ac-1-connector-iso15118.yaml", "hyundai-ioniq5-72", script, PAUSE_STEPS, """
  - happens: {var: charge_parameters, source: car1_evcc.ev, value: {EVSEMaxCurrent: 0}}
  - name: the car stops drawing within 2 s of the pause
    within: 2 s
    from: {step: charger_pause}
    to: {signal: current_l1_a, lt: 0.5}
  - name: the contactors open after the car had pwm_stop_timeout_s to stop
    within: 7 s
    from: {step: charger_pause}
    to: {contactor: open}
  - within: 3 s
    from: {step: charger_resume}
    to: {signal: current_l1_a, gt: 10}
  - happens: {session: ChargingResumed}
    times: 1"""))
    assert not _failures(result)
    # On the resume the contactors close again (PrepareCharging until their feedback).
    assert _states(result) == ["Idle", "WaitingForAuthentication", "PrepareCharging",
                               "Charging", "ChargingPausedEVSE", "PrepareCharging", "Charging",
                               "Finished", "Idle"]
