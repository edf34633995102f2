"""The HLC and DC sub-machines on their own: their sequences, a timeout in every timed phase,
the guards, and random event streams that never leave the declared states."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.evse_manager.dc import DC, cable_check_voltage_v
from charger.evse_manager.hlc import HLC
from charger.evse_manager.submachine import TIMEOUT, Input, Machine, Phase, Rule, Run

HLC_AC = ["car_plugged", "slac_matched", "session_setup", "message", "payment_selected",
          "authorized", "power_delivery_start", "message", "power_delivery_stop",
          "session_stop"]


def _drive(machine: Machine, events: list[Input | str], step_s: float = 1.0) -> Run:
    run = Run(machine)
    for i, event in enumerate(events):
        event = Input(event) if isinstance(event, str) else event
        assert run.feed(event, i * step_s).accepted, (run.state, event)
    return run


def test_hlc_sequence_and_its_actions() -> None:
    run = Run(HLC)
    actions = [a for i, e in enumerate(HLC_AC) for a in run.feed(Input(e), float(i)).actions]
    assert run.state == "Finished" and run.finished
    assert actions == ["pwm_5pct", "request_authorization", "start_power", "stop_power",
                       "pwm_off"]


@pytest.mark.parametrize("phase", [p for p in HLC.phases if p.timeout_s is not None],
                         ids=lambda p: p.name)
def test_every_timed_hlc_phase_fails_at_its_timeout(phase: Phase) -> None:
    prefix = HLC_AC[:next(i for i in range(len(HLC_AC) + 1)
                          if _drive(HLC, HLC_AC[:i]).state == phase.name)]
    run = _drive(HLC, prefix)
    entered = run.entered_at
    assert run.expire(entered + phase.timeout_s - 0.001) is None
    step = run.expire(entered + phase.timeout_s)
    assert step is not None and run.state == "Failed"
    assert "report_failure" in step.actions and "pwm_off" in step.actions


def test_a_message_restarts_the_sequence_timeout() -> None:
    run = _drive(HLC, HLC_AC[:3])  # Negotiating since t = 2
    run.feed(Input("message"), 50.0)
    assert run.expire(100.0) is None and run.deadline() == 110.0


def test_hlc_refuses_out_of_sequence_events() -> None:
    run = _drive(HLC, HLC_AC[:2])
    step = run.feed(Input("power_delivery_start"), 5.0)
    assert not step.accepted and run.state == "WaitingForSessionSetup"


def test_unplugging_ends_hlc_from_anywhere() -> None:
    for n in range(1, len(HLC_AC) + 1):
        run = _drive(HLC, HLC_AC[:n])
        step = run.feed(Input("car_unplugged"), 100.0)
        assert step.accepted and run.state == "Off" and "pwm_off" in step.actions


def _dc_session(present: float = 395.0) -> list[Input | str]:
    return ["cable_check_requested", Input("output_voltage", {"present_v": 492, "target_v": 500}),
            "isolation_ok", "precharge_requested",
            Input("output_voltage", {"present_v": present, "target_v": 400}),
            "power_delivery_start", "current_demand", "current_demand", "power_delivery_stop",
            Input("output_voltage", {"present_v": 20, "target_v": 0})]


def test_dc_sequence_and_its_actions() -> None:
    run = Run(DC)
    actions = [a for i, e in enumerate(_dc_session())
               for a in run.feed(Input(e) if isinstance(e, str) else e, float(i)).actions]
    assert run.state == "Finished"
    assert actions == ["close_dc_contactors", "cable_check_voltage", "start_isolation_check",
                       "supply_off", "precharge_voltage", "follow_demand", "follow_demand",
                       "follow_demand", "supply_off", "open_dc_contactors"]


def test_precharge_waits_for_the_battery_voltage_within_20_v() -> None:
    run = _drive(DC, _dc_session()[:4])
    assert not run.feed(Input("output_voltage", {"present_v": 379, "target_v": 400}), 5).accepted
    assert run.state == "PreCharge"
    step = run.expire(run.entered_at + 7.0)
    assert step is not None and run.state == "Failed" and "report_failure" in step.actions


def test_a_welded_dc_contactor_keeps_the_voltage_and_fails() -> None:
    run = _drive(DC, _dc_session()[:9])
    assert run.state == "WeldingDetection"
    assert not run.feed(Input("output_voltage", {"present_v": 390, "target_v": 0}), 9).accepted
    assert run.expire(run.entered_at + 10.0) is not None and run.state == "Failed"


@pytest.mark.parametrize("phase", [p for p in DC.phases if p.timeout_s is not None],
                         ids=lambda p: p.name)
def test_every_timed_dc_phase_fails_at_its_timeout(phase: Phase) -> None:
    session = _dc_session()
    n = next(i for i in range(len(session) + 1)
             if _drive(DC, session[:i]).state == phase.name)
    run = _drive(DC, session[:n])
    assert run.expire(run.entered_at + phase.timeout_s) is not None
    assert run.state == "Failed"


def test_an_isolation_fault_fails_the_cable_check() -> None:
    run = _drive(DC, _dc_session()[:2])
    step = run.feed(Input("isolation_fault"), 3.0)
    assert run.state == "Failed"
    assert step.actions == ("supply_off", "open_dc_contactors", "report_failure")


@pytest.mark.parametrize(("ev_max", "evse_max", "volts"), [
    (400, 1000, 450), (480, 1000, 500), (400, 420, 420), (800, 1000, 880), (950, 1000, 1000)])
def test_cable_check_voltage(ev_max: float, evse_max: float, volts: float) -> None:
    assert cable_check_voltage_v(ev_max, evse_max) == pytest.approx(volts)


def test_a_machine_with_a_timeout_and_no_rule_for_it_is_refused() -> None:
    with pytest.raises(ValueError, match="no rule"):
        Machine("bad", (Phase("A", 1.0), Phase("B", None)), (Rule("A", "go", "B"),), "A")


@settings(max_examples=150, deadline=None)
@given(machine=st.sampled_from([HLC, DC]), data=st.data())
def test_random_event_streams_move_only_along_declared_rules(machine: Machine, data) -> None:
    names = [*machine.events(), "nonsense"]
    declared = {(r.source, r.event, r.target) for r in machine.rules}
    run, now = Run(machine), 0.0
    for _ in range(data.draw(st.integers(1, 40))):
        now += data.draw(st.floats(0.0, 70.0))
        before = run.state
        step = run.expire(now)
        event = TIMEOUT
        if step is None:
            event = data.draw(st.sampled_from(names))
            value = {"present_v": data.draw(st.floats(0, 1000)), "target_v": 400.0}
            step = run.feed(Input(event, value), now)
        if step.accepted:
            assert (before, event, run.state) in declared
        else:
            assert run.state == before
        # A timed state is never overdue after a step; a final one has no timer.
        deadline = run.deadline()
        assert deadline is None or deadline > now
        assert not (run.finished and deadline is not None)
