"""SimBoard: a grid outage takes the board's own power, and the meter reads exact at events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Plug = Any  # the conftest's Plug
PlugFactory = Callable[..., Plug]


def _charging(plug: PlugFactory) -> Plug:
    p = plug("relay_close_delay_s: 0")
    p.ev("set_cp_state", cp_state="C")
    p.ev("set_ac_draw", current_a=16.0, phases=3)
    p.charger("pwm_on", duty_cycle_pct=26.667)
    p.charger("allow_power_on", value=True, phase_count=3)
    p.advance(10.0)
    assert p.measurement()["current_a"] == [16.0, 16.0, 16.0]
    return p


def test_an_outage_drops_the_contactors_and_kills_the_pilot(plug: PlugFactory) -> None:
    p = _charging(plug)
    p.call("grid", "control", "set_supply", available=False)
    m = p.measurement()
    assert (m["relays_closed"], m["cp_voltage_v"], m["pwm_duty_pct"], m["current_a"]) == \
        (False, 0.0, None, [0.0, 0.0, 0.0])
    assert [(r.t, r.name) for r in p.rows("error_raised")] == [
        (10.0, "evse_board_support/PowerLoss")]
    assert p.board_events()[-1] == (10.0, "PowerOff")
    # Unpowered, it closes nothing and reports no pilot state, whatever it is told.
    p.charger("allow_power_on", value=True, phase_count=3)
    p.ev("set_cp_state", cp_state="B")
    p.advance(5.0)
    assert p.board_events()[-1] == (10.0, "PowerOff")
    assert not p.measurement()["relays_closed"]


def test_when_the_supply_returns_the_board_restarts_from_its_reset_state(
        plug: PlugFactory) -> None:
    p = _charging(plug)
    p.call("grid", "control", "set_supply", available=False)
    p.advance(5.0)
    p.call("grid", "control", "set_supply", available=True)
    m = p.measurement()
    assert (m["relays_closed"], m["pwm_duty_pct"], m["cp_state"]) == (False, None, "C")
    assert [(r.t, r.name) for r in p.rows("error_cleared")] == [
        (15.0, "evse_board_support/PowerLoss")]
    assert p.board_events()[-1] == (15.0, "C")  # reported afresh after the restart


def test_the_meter_reading_comes_before_the_event_that_stopped_the_current(
        plug: PlugFactory) -> None:
    p = _charging(plug)
    p.advance(0.5)  # between two periodic readings
    p.charger("allow_power_on", value=False, phase_count=3)
    p.advance(0.1)
    rows = [r for r in p.recorder.rows if r.kind == "var"
            and r.name in ("powermeter", "event") and r.t > 10.0]
    reading, event = rows[0], rows[1]
    assert (reading.name, event.value) == ("powermeter", {"event": "PowerOff"})
    assert reading.t == event.t == 10.52
    # exact: 16 A on three phases at 230 V from 0 s until the relays opened at 10.52 s
    assert reading.value["energy_wh_import"]["total"] == round(3 * 230 * 16 * 10.52 / 3600, 3)
