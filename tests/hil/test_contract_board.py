"""The contract of the board interfaces (evse_board_support, ac_rcd, connector_lock and the car's
side), run on every provider: the simulated board and the serial board on its emulator. A new
board backend joins BOARD_PROVIDERS in conftest.py and proves it drops in."""

from __future__ import annotations

import pytest

from tests.hil.conftest import BOARD_PROVIDERS

pytestmark = pytest.mark.parametrize("board_bench", BOARD_PROVIDERS, indirect=True)


def charge(bench, amps: float = 16.0) -> None:
    """Plug in a car, offer PWM, let it ask for power (C) and close the contactors."""
    bench.call("board1", "ev_board", "set_cp_state", cp_state="B")
    bench.wait_event("B")
    bench.call("board1", "board", "pwm_on", duty_cycle_pct=amps / 0.6)
    bench.call("board1", "ev_board", "set_cp_state", cp_state="C")
    bench.wait_event("C")
    bench.call("board1", "ev_board", "set_ac_draw", current_a=amps, phases=3)
    bench.call("board1", "board", "allow_power_on", value=True, phase_count=3)
    bench.wait_event("PowerOn")


def test_pilot_states_and_contactors_follow_the_car_and_the_charger(board_bench):
    bench = board_bench
    charge(bench)
    reading = bench.wait_for(lambda r: r.name == "powermeter"
                             and r.value["current_a"]["L1"] == pytest.approx(16.0),
                             what="a meter reading with 16 A").value
    assert reading["voltage_v"]["L1"] == pytest.approx(230.0)
    bench.call("board1", "board", "allow_power_on", value=False, phase_count=3)
    off = bench.wait_event("PowerOff")
    # The reading of the current stopping comes before the feedback that explains it.
    at = next(i for i, r in enumerate(bench.recorder.rows) if r is off)
    before = [r for r in bench.recorder.rows[:at] if r.name == "powermeter"]
    assert before[-1].value["current_a"]["L1"] == 0.0
    bench.call("board1", "ev_board", "set_cp_state", cp_state="A")
    bench.wait_event("A")
    events = [r.value["event"] for r in bench.rows("var", "event", "board1.board")]
    assert events[-5:] == ["B", "C", "PowerOn", "PowerOff", "A"]


def test_the_car_side_measures_what_the_charger_generates(board_bench):
    bench = board_bench
    bench.call("board1", "ev_board", "set_cp_state", cp_state="B")
    bench.call("board1", "board", "pwm_on", duty_cycle_pct=26.67)
    # On a bench the car's side and the charger's side are two links: the car may measure the
    # PWM before its own plug-in has come back round; the state that settles is what counts.
    seen = bench.wait_for(lambda r: r.name == "measurement" and r.value["pwm_duty_pct"]
                          and r.value["cp_state"] == "B", what="the car measuring PWM in B").value
    assert seen["pwm_duty_pct"] == pytest.approx(26.67)
    assert seen["cp_voltage_v"] == pytest.approx(9.0, abs=0.1)
    bench.call("board1", "board", "pwm_f")
    bench.wait_event("F")


def test_energy_is_integrated_while_current_flows(board_bench):
    bench = board_bench
    charge(bench, 10.0)
    first = bench.call("board1", "meter", "read")
    bench.run_for(1.5)
    bench.wait_for(lambda r: r.name == "powermeter" and r.t > bench.env.now - 0.01,
                   what="the next reading")
    later = bench.call("board1", "meter", "read")
    gained = later["energy_wh_import"]["total"] - first["energy_wh_import"]["total"]
    assert gained > 0
    assert later["power_w"]["total"] == pytest.approx(3 * 230 * 10.0, rel=0.01)


def test_an_rcd_trip_is_reported_and_rearmed_only_without_leak(board_bench):
    bench = board_bench
    charge(bench)
    bench.call("board1", "ev_board", "set_rcd_current", current_ma=30, dc=False)
    bench.wait_error("ac_rcd/AC")
    assert bench.call("board1", "rcd", "reset") is False  # still leaking, contactors closed
    bench.call("board1", "board", "allow_power_on", value=False, phase_count=3)
    bench.wait_event("PowerOff")
    bench.call("board1", "ev_board", "set_rcd_current", current_ma=0, dc=False)
    assert bench.call("board1", "rcd", "reset") is True
    bench.wait_error("ac_rcd/AC", active=False)


def test_a_shorted_diode_is_a_diode_fault(board_bench):
    bench = board_bench
    bench.call("board1", "ev_board", "set_cp_state", cp_state="B")
    bench.call("board1", "board", "pwm_on", duty_cycle_pct=50)
    bench.call("board1", "ev_board", "diode_fail", value=True)
    bench.wait_error("evse_board_support/DiodeFault")
    bench.call("board1", "ev_board", "diode_fail", value=False)
    bench.wait_error("evse_board_support/DiodeFault", active=False)


def test_the_lock_reports_its_position(board_bench):
    bench = board_bench
    bench.call("board1", "lock", "lock")
    bench.wait_for(lambda r: r.name == "locked" and r.value is True, what="locked")
    bench.call("board1", "lock", "unlock")
    bench.wait_for(lambda r: r.name == "locked" and r.value is False, what="unlocked")
