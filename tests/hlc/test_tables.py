"""The glue's tables against what they join: every action the HLC and DC sub-machines declare
has one entry, every event the glue and the car react to is a variable of the interface they
subscribe to, and iso_start_v2g_session's words parse as the EVerest car simulator writes them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.evse_manager.dc import DC
from charger.evse_manager.hlc import HLC
from charger.evse_manager.hlc_glue import DC_ACTIONS, HLC_ACTIONS, SECC_HANDLERS
from charger.framework.schema import SchemaRegistry
from sim.car.car import HLC_EVENTS, SCRIPT_STEPS
from sim.car.script import V2G_MODES, ScriptError, parse_script


def _actions(machine) -> set[str]:
    found = {a for phase in machine.phases for a in phase.entry}
    return found | {a for rule in machine.rules for a in rule.actions}


def test_every_sub_machine_action_has_one_entry() -> None:
    assert _actions(HLC) == set(HLC_ACTIONS)
    assert _actions(DC) == set(DC_ACTIONS)


def test_the_events_handled_are_the_interfaces_variables() -> None:
    interfaces = SchemaRegistry().interfaces
    assert set(SECC_HANDLERS) <= set(interfaces["iso15118_charger"].vars)
    assert set(HLC_EVENTS) <= set(interfaces["iso15118_ev"].vars)
    assert "hlc_phase" in interfaces["evse_manager"].vars


def test_every_iso_command_has_a_step() -> None:
    assert {n for n in SCRIPT_STEPS if n.startswith("iso_")} == {
        "iso_wait_slac_matched", "iso_start_v2g_session", "iso_wait_pwr_ready",
        "iso_dc_power_on", "iso_draw_power_regulated", "iso_stop_charging",
        "iso_wait_for_stop", "iso_wait_v2g_session_stopped", "iso_pause_charging",
        "iso_wait_for_resume"}


@pytest.mark.parametrize(("text", "args"), [
    ("iso_start_v2g_session DC", ("DC_extended", "ExternalPayment", 0, 0.0)),
    ("iso_start_v2g_session AC,ExternalPayment", ("AC_three_phase_core", "ExternalPayment", 0,
                                                  0.0)),
    ("iso_start_v2g_session AC,3600,20000", ("AC_three_phase_core", "ExternalPayment", 3600,
                                             20000.0)),
    ("iso_start_v2g_session DC,Contract,60,5000", ("DC_extended", "Contract", 60, 5000.0)),
    ("iso_start_v2g_session AC_single_phase_core", ("AC_single_phase_core", "ExternalPayment",
                                                    0, 0.0)),
])
def test_v2g_session_arguments(text: str, args: tuple) -> None:
    assert parse_script(text)[0].args == args


@pytest.mark.parametrize(("text", "reason"), [
    ("iso_start_v2g_session", "takes MODE[,PAYMENT][,DEPARTURE,EAMOUNT]"),
    ("iso_start_v2g_session DC,Cash", "payment 'Cash' is not one of"),
    ("iso_start_v2g_session DC,1,2,3,4", "takes MODE"),
    ("iso_start_v2g_session DC,-5,10", "must be finite and not negative"),
    ("iso_start_v2g_session DC,ExternalPayment,1,nan", "must be finite"),
])
def test_bad_v2g_session_arguments_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ScriptError, match="iso_start_v2g_session") as refusal:
        parse_script(text)
    assert reason in str(refusal.value)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="ACDE_ExtrnalPymContc0123456789.-,e ", max_size=12),
                max_size=5))
def test_any_words_parse_or_are_refused_with_a_reason(words: list[str]) -> None:
    text = "iso_start_v2g_session " + ",".join(words)
    try:
        (command,) = parse_script(text)
    except ScriptError as refusal:
        assert "iso_start_v2g_session" in str(refusal)
        return
    mode, payment, departure, energy = command.args
    assert mode in V2G_MODES.values() and departure >= 0 and energy >= 0
