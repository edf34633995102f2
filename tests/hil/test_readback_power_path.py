"""The power path that runs on an external supply's readback (sim/hal/dc_external_supply.py),
as a pure model: whatever readings come, at whatever times, the energy into the cable is the
readings held between them, and the cable carries them only while the contactors are closed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.hal.dc_external_supply import ReadbackPowerPath

readings = st.lists(st.tuples(st.floats(0, 1000), st.floats(0, 500), st.floats(0.001, 30),
                              st.booleans(), st.booleans()), min_size=1, max_size=40)


@given(readings, st.floats(0, 900))
def test_the_energy_is_the_readings_held_while_on_and_the_contactors_are_closed(steps, ocv):
    path = ReadbackPowerPath()
    path.battery.open_circuit_voltage_v = ocv
    path.battery.contactors_closed = True
    expected_wh = 0.0
    for voltage, current, hold_s, closed, on in steps:
        path.contactors.closed = closed
        path.supply.exporting = on  # switched off, a held reading's current has ended
        path.take_readback(voltage, current)
        path.refresh()
        assert path.output_voltage_v == voltage
        assert path.supply.current_a == (current if on else 0.0)
        assert path.cable_voltage_v == (voltage if closed else ocv)
        path.advance(hold_s)
        expected_wh += (voltage * current if closed and on else 0.0) * hold_s / 3600.0
    assert path.energy_wh == pytest.approx(expected_wh, rel=1e-9, abs=1e-9)
    assert not path.changing() and path.settle_time() == 0.0


@given(st.floats(0, 1000), st.floats(1, 1000))
def test_the_over_voltage_monitor_trips_on_the_readback(voltage, limit):
    path = ReadbackPowerPath()
    path.contactors.commanded_closed = path.contactors.closed = True
    path.ovp.monitoring, path.ovp.limit_v = True, limit
    path.take_readback(voltage, 0.0)
    path.refresh()
    assert path.ovp.tripped == (voltage > limit)
    assert path.contactors.commanded_closed == (voltage <= limit)
