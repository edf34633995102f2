"""SimBoard physics: pilot levels per car state, diode-fault detection, relay timing, exact meter
energy, and the RCD's thresholds and re-arming."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from charger.iec61851 import NOMINAL_LEVEL_V

Plug = Any  # the conftest's Plug: a simulated plug driven by hand
PlugFactory = Callable[..., Plug]


@pytest.mark.parametrize("diode", [False, True])
@pytest.mark.parametrize("state", ["A", "B", "C", "D", "E"])
def test_pilot_voltage_per_car_state(plug: PlugFactory, state: str, diode: bool) -> None:
    p = plug()
    p.ev("diode_fail", value=diode)
    p.ev("set_cp_state", cp_state=state)
    p.advance(0.1)
    measurement = p.measurement()
    assert measurement["cp_voltage_v"] == pytest.approx(NOMINAL_LEVEL_V[state], abs=1.0)
    assert measurement["cp_state"] == state
    detected = [event for _, event in p.board_events() if event not in ("PowerOn", "PowerOff")]
    assert detected[-1] == state
    # the charger's duty cycle does not move the positive level
    p.charger("pwm_on", duty_cycle_pct=50)
    assert p.measurement()["cp_voltage_v"] == pytest.approx(NOMINAL_LEVEL_V[state], abs=1.0)


def test_pilot_follows_the_charger_and_the_car(plug: PlugFactory) -> None:
    p = plug()
    p.advance(0.1)
    assert p.board_events() == [(0.0, "A")]
    p.ev("set_cp_state", cp_state="B")
    p.charger("pwm_on", duty_cycle_pct=26.7)
    assert p.measurement()["pwm_duty_pct"] == 26.7
    p.advance(1.0)
    p.ev("set_cp_state", cp_state="C")
    p.charger("pwm_f")
    assert p.measurement()["cp_voltage_v"] == -12.0
    assert p.measurement()["pwm_duty_pct"] is None
    p.charger("enable", value=True)  # +12 V again, the car is still in C
    assert [event for _, event in p.board_events()] == ["A", "B", "C", "F", "C"]


def _errors(p: Plug, kind: str, name: str) -> list[float]:
    return [r.t for r in p.rows(kind, name)]


@pytest.mark.parametrize("state", ["B", "C"])
def test_diode_fault_is_detected_only_with_pwm_on(plug: PlugFactory, state: str) -> None:
    p = plug()
    p.ev("set_cp_state", cp_state=state)
    p.ev("diode_fail", value=True)
    p.advance(1.0)
    assert _errors(p, "error_raised", "evse_board_support/DiodeFault") == []
    p.charger("pwm_on", duty_cycle_pct=50)
    assert _errors(p, "error_raised", "evse_board_support/DiodeFault") == [1.0]
    p.advance(1.0)
    p.charger("pwm_off")
    assert _errors(p, "error_cleared", "evse_board_support/DiodeFault") == [2.0]
    p.charger("pwm_on", duty_cycle_pct=50)
    p.advance(1.0)
    p.ev("diode_fail", value=False)  # the diode is repaired while the PWM runs
    assert _errors(p, "error_cleared", "evse_board_support/DiodeFault") == [2.0, 3.0]


@pytest.mark.parametrize("state", ["A", "B", "C"])
def test_a_healthy_diode_is_never_a_fault(plug: PlugFactory, state: str) -> None:
    p = plug()
    p.ev("set_cp_state", cp_state=state)
    p.charger("pwm_on", duty_cycle_pct=50)
    p.advance(1.0)
    assert p.rows("error_raised") == []


def test_no_diode_fault_without_a_car(plug: PlugFactory) -> None:
    p = plug()
    p.ev("diode_fail", value=True)
    p.charger("pwm_on", duty_cycle_pct=50)  # state A: nothing on the pilot to judge
    p.advance(1.0)
    assert p.rows("error_raised") == []


def test_relays_switch_after_their_delays(plug: PlugFactory) -> None:
    p = plug("relay_close_delay_s: 0.25, relay_open_delay_s: 0.1")
    p.advance(1.0)
    p.charger("allow_power_on", value=True, phase_count=3)
    assert not p.measurement()["relays_closed"]
    p.advance(2.0)
    p.charger("allow_power_on", value=False, phase_count=3)
    p.advance(2.0)
    switches = [(t, e) for t, e in p.board_events() if e in ("PowerOn", "PowerOff")]
    assert switches == [(pytest.approx(1.25), "PowerOn"), (pytest.approx(3.1), "PowerOff")]
    relays = [(r.t, r.value["relays_closed"]) for r in p.rows("var", "measurement")]
    assert (pytest.approx(1.25), True) in relays and (pytest.approx(3.1), False) in relays
    assert not any(closed for t, closed in relays if t < 1.25 or t >= 3.1)


def test_a_reversed_command_before_the_relay_moved_cancels_it(plug: PlugFactory) -> None:
    p = plug("relay_close_delay_s: 0.25, relay_open_delay_s: 0.1")
    p.charger("allow_power_on", value=True, phase_count=3)
    p.advance(0.1)
    p.charger("allow_power_on", value=False, phase_count=3)
    p.advance(1.0)
    assert "PowerOn" not in [e for _, e in p.board_events()]
    assert not any(r.value["relays_closed"] for r in p.rows("var", "measurement"))


def _readings(p: Plug) -> list[tuple[float, dict]]:
    return [(r.t, r.value) for r in p.rows("var", "powermeter")]


@pytest.mark.parametrize(("amps", "car_phases", "relay_phases", "live"), [
    (16.0, 3, 3, (True, True, True)),
    (32.0, 1, 3, (True, False, False)),
    (10.0, 3, 1, (True, False, False)),
    (6.0, 2, 3, (True, True, False)),
])
def test_meter_energy_is_exactly_v_i_t_for_a_constant_current(
        plug: PlugFactory, amps: float, car_phases: int, relay_phases: int,
        live: tuple[bool, ...]) -> None:
    p = plug("relay_close_delay_s: 0, relay_open_delay_s: 0, phases: 3, meter_interval_s: 1",
             grid="voltage_v: 230")
    p.ev("set_cp_state", cp_state="C")
    p.ev("set_ac_draw", current_a=amps, phases=car_phases)
    p.run_until(0.5)
    p.charger("allow_power_on", value=True, phase_count=relay_phases)
    p.run_until(120.0)
    phases = sum(live)
    readings = [(t, r) for t, r in _readings(p) if t >= 1.0]
    assert len(readings) == 120
    for t, reading in readings:
        expected = 230.0 * amps * phases * (t - 0.5) / 3600.0
        assert reading["energy_wh_import"]["total"] == pytest.approx(expected, abs=6e-4)
        for index, name in enumerate(("L1", "L2", "L3")):
            per_phase = 230.0 * amps * (t - 0.5) / 3600.0 if live[index] else 0.0
            assert reading["energy_wh_import"][name] == pytest.approx(per_phase, abs=6e-4)
            assert reading["current_a"][name] == (amps if live[index] else 0.0)
        assert reading["power_w"]["total"] == pytest.approx(230.0 * amps * phases)
    # a whole hour at 16 A on three phases is 11.04 kWh, to the watt-hour
    if amps == 16.0:
        p.run_until(3600.5)
        p.call("board1", "board", "allow_power_on", value=False, phase_count=3)
        p.advance(5.0)
        last = _readings(p)[-1]
        assert last[0] == 3605.0
        assert last[1]["energy_wh_import"]["total"] == pytest.approx(11040.0, abs=6e-4)


def test_no_current_without_supply_or_with_the_car_not_asking(plug: PlugFactory) -> None:
    p = plug("relay_close_delay_s: 0")
    p.ev("set_cp_state", cp_state="B")
    p.ev("set_ac_draw", current_a=16.0, phases=3)
    p.charger("allow_power_on", value=True, phase_count=3)
    p.advance(2.0)
    assert p.measurement()["current_a"] == [0.0, 0.0, 0.0]  # state B draws nothing
    p.ev("set_cp_state", cp_state="C")
    assert p.measurement()["current_a"] == [16.0, 16.0, 16.0]
    p.call("grid", "control", "set_supply", available=False)
    p.advance(0.1)
    assert p.measurement()["current_a"] == [0.0, 0.0, 0.0]
    assert p.measurement()["voltage_v"] == [0.0, 0.0, 0.0]
    energy = _readings(p)[-1][1]["energy_wh_import"]["total"]
    p.advance(10.0)
    assert _readings(p)[-1][1]["energy_wh_import"]["total"] == energy


def _rcd_plug(plug: PlugFactory) -> Plug:
    p = plug("relay_close_delay_s: 0")
    p.ev("set_cp_state", cp_state="C")
    return p


@pytest.mark.parametrize(("milliamps", "dc", "trips"), [
    (29.9, False, None), (30.0, False, "AC"), (100.0, False, "AC"),
    (5.9, True, None), (6.0, True, "DC"), (30.0, True, "DC"),
])
def test_rcd_trips_at_30_ma_ac_and_6_ma_dc_with_relays_closed(
        plug: PlugFactory, milliamps: float, dc: bool, trips: str | None) -> None:
    p = _rcd_plug(plug)
    p.ev("set_rcd_current", current_ma=milliamps, dc=dc)
    p.advance(1.0)
    assert p.rows("error_raised") == []  # relays open: no current, no trip
    p.charger("allow_power_on", value=True, phase_count=3)
    p.advance(0.1)
    raised = [(r.t, r.name) for r in p.rows("error_raised")]
    assert raised == ([] if trips is None else [(1.0, f"ac_rcd/{trips}")])
    if trips:
        assert p.rows("var", "rcd_current_ma")[-1].value == milliamps


def test_rcd_trips_when_the_leak_starts_with_relays_closed(plug: PlugFactory) -> None:
    p = _rcd_plug(plug)
    p.charger("allow_power_on", value=True, phase_count=3)
    p.advance(1.0)
    p.ev("set_rcd_current", current_ma=31.0, dc=False)
    assert [(r.t, r.name) for r in p.rows("error_raised")] == [(1.0, "ac_rcd/AC")]
    p.ev("set_rcd_current", current_ma=50.0, dc=False)
    assert len(p.rows("error_raised")) == 1  # tripped once until re-armed


def test_rcd_reset_works_only_once_the_leak_is_gone(plug: PlugFactory) -> None:
    p = _rcd_plug(plug)
    assert p.call("board1", "rcd", "reset") is True  # nothing to re-arm
    p.charger("allow_power_on", value=True, phase_count=3)
    p.ev("set_rcd_current", current_ma=40.0, dc=False)
    p.advance(1.0)
    assert p.call("board1", "rcd", "reset") is False
    assert p.rows("error_cleared") == []
    p.ev("set_rcd_current", current_ma=0.0, dc=False)
    p.advance(1.0)
    assert p.call("board1", "rcd", "reset") is True
    assert [(r.t, r.name) for r in p.rows("error_cleared")] == [(2.0, "ac_rcd/AC")]
    # re-armed: a new leak trips again
    p.ev("set_rcd_current", current_ma=30.0, dc=False)
    assert [r.name for r in p.rows("error_raised")] == ["ac_rcd/AC", "ac_rcd/AC"]
