"""The new faults on one connector: welded contactor, jammed lock, silent meter, a board that
refuses or ignores a safety command; and the existing ones (PowerLoss) through the table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.evse_manager.conftest import TOKEN, Connector


def _safe(c: Connector) -> None:
    """The fault's safe state: state Error, no PWM, the contactors commanded open."""
    assert c.evse.state == "Error" == c.published_state()
    assert c.evse.pwm is None and not c.evse.contactor_wanted
    assert c.board.pilot == "off"


def test_a_welded_contactor_is_detected_and_the_pwm_stopped(
        connector: Callable[..., Connector]) -> None:
    c = connector()
    c.charge()
    c.hardware_fault("welded_contactor")
    paused_at = c.env.now
    c.driver("pause")  # C -> B: the contactors must open at once
    c.advance(5.0)
    assert c.board.relays_closed  # welded: the feedback still says closed
    raised = c.raised("ContactorFault")
    assert len(raised) == 1
    # Detected contactor_open_timeout_s after the opening command, sent on C -> B (the car
    # takes reaction_time_s to leave C).
    opened_at = next(r.t for r in c.rows("cmd", "board1.board.allow_power_on")
                     if r.t >= paused_at and r.value["args"]["value"] is False)
    assert raised[0] == pytest.approx(opened_at + c.evse.config["contactor_open_timeout_s"])
    _safe(c)
    # Unplugging alone does not clear it: the contactor is still closed.
    c.driver("unplug")
    c.advance(1.0)
    assert c.cleared("ContactorFault") == [] and c.evse.state == "Error"
    # Freed, it opens (PowerOff): unplugged and open, the fault clears.
    c.hardware_fault("welded_contactor", active=False)
    c.advance(1.0)
    assert not c.board.relays_closed
    assert len(c.cleared("ContactorFault")) == 1 and c.evse.state == "Idle"


def test_the_boards_own_contactor_fault_is_handled(connector: Callable[..., Connector]) -> None:
    c = connector()
    c.charge()
    c.board.raise_error("board", "ContactorFault", "mirror contact mismatch")
    c.advance(1.0)
    assert len(c.raised("ContactorFault")) == 1
    _safe(c)
    assert not c.board.relays_closed
    c.driver("unplug")
    c.advance(1.0)
    assert len(c.cleared("ContactorFault")) == 1 and c.evse.state == "Idle"


def test_a_lock_that_does_not_lock_gives_no_power(connector: Callable[..., Connector]) -> None:
    c = connector()
    c.hardware_fault("lock_jammed")
    c.driver("plug_in")
    c.advance(1.0)
    assert not c.manager("authorize", token=TOKEN)  # the connector is faulted
    c.advance(10.0)
    assert len(c.raised("ConnectorLockFault")) == 1
    assert not any(r.value["relays_closed"] for r in c.rows("var", "measurement"))
    _safe(c)
    c.driver("unplug")
    c.advance(1.0)
    assert len(c.cleared("ConnectorLockFault")) == 1 and c.evse.state == "Idle"
    # Repaired, the next car charges.
    c.hardware_fault("lock_jammed", active=False)
    c.charge()


def test_a_lock_that_fails_while_charging_stops_it(connector: Callable[..., Connector]) -> None:
    c = connector()
    c.charge()
    c.board.raise_error("lock", "ConnectorLockFailedLock", "lock position lost")
    c.advance(1.0)
    assert len(c.raised("ConnectorLockFault")) == 1
    _safe(c)
    assert not c.board.relays_closed


def test_a_silent_meter_stops_charging_until_it_answers(
        connector: Callable[..., Connector]) -> None:
    c = connector()
    c.charge()
    c.hardware_fault("meter_silent")
    c.advance(2.0)
    assert len(c.raised("MeterCommunicationFault")) == 1
    _safe(c)
    assert not c.board.relays_closed
    c.hardware_fault("meter_silent", active=False)
    c.advance(10.0)
    assert len(c.cleared("MeterCommunicationFault")) == 1
    assert c.evse.state == "Charging" and c.board.relays_closed
    assert c.session_events()[-2:] == ["AllErrorsCleared", "ChargingResumed"]


def test_a_refused_pwm_stop_is_a_fault_and_the_contactors_open(
        connector: Callable[..., Connector]) -> None:
    c = connector(board="FaultyBoard", board_config="refuse: [pwm_off]")
    c.charge()
    at = c.env.now
    assert c.manager("pause_charging")
    c.advance(1.0)
    raised = c.raised("SafetyCommandFailed")
    assert raised == [pytest.approx(at)]
    assert c.evse.state == "Error" and not c.board.relays_closed


def test_an_unanswered_opening_is_a_fault_after_the_timeout(
        connector: Callable[..., Connector]) -> None:
    c = connector(board="FaultyBoard", board_config="ignore: [open]",
                  evse_config="safety_command_timeout_s: 0.75")
    c.charge()
    at = c.env.now
    c.driver("pause")
    c.advance(3.0)
    raised = c.raised("SafetyCommandFailed")
    opened_at = next(r.t for r in c.rows("cmd", "board1.board.allow_power_on")
                     if r.t >= at and r.value["args"]["value"] is False)
    assert raised == [pytest.approx(opened_at + 0.75)]
    _safe(c)


def test_power_loss_goes_through_the_table_and_charging_resumes(
        connector: Callable[..., Connector]) -> None:
    c = connector()
    c.charge()
    c.call("grid", "control", "set_supply", available=False)
    c.advance(1.0)
    assert len(c.raised("PowerLoss")) == 1 and c.evse.state == "Error"
    assert not c.board.relays_closed
    c.call("grid", "control", "set_supply", available=True)
    c.advance(10.0)
    assert len(c.cleared("PowerLoss")) == 1
    assert c.evse.state == "Charging" and c.board.relays_closed


def test_x1_until_authorized_then_x2(connector: Callable[..., Connector]) -> None:
    """B1 (+9 V, no PWM) while waiting for authorization, B2 (PWM) once authorized, C2 when
    the car asks for power; no PWM again (x1) when the charger pauses."""
    from charger.iec61851 import pilot_substate

    c = connector()
    c.driver("plug_in")
    c.advance(3.0)
    m = c.rows("var", "measurement")[-1].value
    assert pilot_substate(m["cp_state"], m["pwm_duty_pct"]) == "B1"
    assert c.evse.state == "WaitingForAuthentication"
    c.manager("authorize", token=TOKEN)
    substates = []
    c.advance(5.0)
    substates = [pilot_substate(r.value["cp_state"], r.value["pwm_duty_pct"])
                 for r in c.rows("var", "measurement")]
    assert "B2" in substates and substates[-1] == "C2"
    assert substates.index("B2") < substates.index("C2")
    c.manager("pause_charging")
    c.advance(8.0)
    m = c.rows("var", "measurement")[-1].value
    assert pilot_substate(m["cp_state"], m["pwm_duty_pct"]) == "B1"
    assert c.evse.state == "ChargingPausedEVSE" and not c.board.relays_closed
