"""The power_supply_DC contract, run on every CAN backend against emulated modules over slcan on
a socat pty pair: InfyPower, Winline, and the generic DBC backend with a user's mapping. A new
vendor joins BACKENDS in conftest.py and proves it drops in.

Times are read from the recorded timeline (simulated seconds), never from the wall clock."""

from __future__ import annotations

import pytest

from charger.framework import CommandError
from tests.hil.can.conftest import ADDRESSES, BACKENDS

pytestmark = [pytest.mark.parametrize("supply", list(BACKENDS), indirect=True),
              pytest.mark.slow]


def export(bench, voltage_v: float = 450.0, current_a: float = 40.0) -> None:
    bench.call("set_export_voltage_current", voltage_v=voltage_v, current_a=current_a)
    bench.call("set_mode", mode="Export", phase="Charging")


def test_capabilities_come_first_and_add_up_over_the_modules(supply):
    bench, _rig = supply
    caps = bench.wait_for(lambda r: r.name == "capabilities", what="capabilities").value
    # Two modules of 100 A and 30 kW each (the emulator's, reported or configured alike).
    assert caps["max_export_current_a"] == pytest.approx(200.0)
    assert caps["max_export_power_w"] == pytest.approx(60_000.0)
    assert caps["bidirectional"] is False
    first_reading = bench.wait_reading(lambda v: True, "a reading")
    assert first_reading["current_a"] == 0.0
    caps_row = bench.rows("var", "capabilities")[0]
    reading_row = bench.rows("var", "voltage_current")[0]
    assert caps_row.t <= reading_row.t


def test_the_current_is_split_between_the_modules_and_read_back(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench, 450.0, 40.0)
    assert bench.rows("var", "mode")[-1].value == "Export"
    reading = bench.wait_reading(lambda v: v["current_a"] == pytest.approx(40.0, abs=0.1),
                                 "40 A delivered")
    # Into the emulated 400 V battery through 0.5 ohm: 400 + 40 * 0.5 V.
    assert reading["voltage_v"] == pytest.approx(420.0, abs=1.0)
    assert reading["power_w"] == pytest.approx(reading["voltage_v"] * 40.0, rel=0.01)
    shares = [rig.rack.module_output(a)[1] for a in ADDRESSES]
    assert shares == pytest.approx([20.0, 20.0], abs=0.1)
    assert [rig.rack.modules[a].current_setpoint_a for a in ADDRESSES] == \
        pytest.approx([20.0, 20.0], abs=0.01)


def test_the_voltage_target_is_taken_within_the_capabilities(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    rig.call(lambda: rig.rack.set_load(None))  # open output: the voltage shows the target
    bench.call("set_export_voltage_current", voltage_v=1500.0, current_a=10.0)
    warning = bench.wait_for(lambda r: r.kind == "log" and "beyond the capabilities"
                             in str(r.value), what="a warning")
    assert "1000 V" in str(warning.value)
    bench.call("set_mode", mode="Export", phase="Charging")
    bench.wait_reading(lambda v: v["voltage_v"] == pytest.approx(1000.0, abs=1.0), "1000 V")
    assert all(rig.rack.modules[a].voltage_setpoint_v == pytest.approx(1000.0)
               for a in ADDRESSES)


def test_switching_off_returns_once_the_current_has_fallen(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.call("set_mode", mode="Off", phase="Other")
    result = bench.rows("result")[-1]
    readings = [r for r in bench.rows("var", "voltage_current") if r.t <= result.t]
    assert readings[-1].value["current_a"] < 1.0
    assert bench.rows("var", "mode")[-1].value == "Off"
    assert not any(rig.rack.modules[a].on for a in ADDRESSES)


def test_a_module_fault_raises_its_error_and_switches_the_others_off(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    rig.call(lambda: rig.rack.set_fault(ADDRESSES[0], "OverTemperature"))
    raised = bench.wait_error("power_supply_DC/OverTemperature")
    assert f"module {ADDRESSES[0]}" in raised.value["message"]
    bench.wait_for(lambda r: r.name == "mode" and r.value == "Fault", what="mode Fault")
    bench.wait_reading(lambda v: v["current_a"] < 0.5, "no current")
    assert not rig.rack.modules[ADDRESSES[1]].on  # the healthy one was switched off too
    with pytest.raises(CommandError):
        bench.call("set_mode", mode="Export", phase="Charging")
    rig.call(lambda: rig.rack.set_fault(ADDRESSES[0], "OverTemperature", active=False))
    bench.wait_error("power_supply_DC/OverTemperature", active=False)
    bench.wait_for(lambda r: r.name == "mode" and r.value == "Off", what="mode Off")


def test_a_silent_module_is_a_communication_fault_and_the_safe_state(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    rig.call(lambda: rig.rack.silence(ADDRESSES[1]))
    started = bench.env.now
    raised = bench.wait_error("power_supply_DC/CommunicationFault")
    assert str(ADDRESSES[1]) in raised.value["message"]
    # Declared after the module timeout (2 s, counted from its last answer, up to a poll
    # interval before the silence began), within a poll interval or so of it.
    assert 1.7 <= raised.t - started <= 3.0
    bench.wait_for(lambda r: r.name == "mode" and r.value == "Fault", what="mode Fault")
    bench.wait_reading(lambda v: v["current_a"] < 0.5, "the answering module switched off")
    assert not rig.rack.modules[ADDRESSES[0]].on
    rig.call(lambda: rig.rack.silence(ADDRESSES[1], False))
    bench.wait_error("power_supply_DC/CommunicationFault", active=False)


def test_a_refused_setpoint_fails_the_command(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    rig.call(lambda: rig.rack.refuse(ADDRESSES[0]))
    bench.run_for(0.2)
    with pytest.raises(CommandError, match=f"module {ADDRESSES[0]} refused"):
        bench.call("set_export_voltage_current", voltage_v=400.0, current_a=10.0)


def test_noise_on_the_adapter_line_is_refused_and_the_supply_goes_on(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    rig.call(lambda: rig.rack.write_raw(b"\xff\xfeT12\rZZZ\x00\rT0283F0038zz\r"))
    bench.wait_for(lambda r: r.kind == "log" and "frame refused" in str(r.value),
                   what="a refused frame logged")
    bench.mark()
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "readings go on")
    assert not bench.rows("error_raised")


def test_a_module_refusing_to_switch_on_leaves_every_module_off(supply):
    bench, rig = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    bench.call("set_export_voltage_current", voltage_v=450.0, current_a=40.0)
    rig.call(lambda: rig.rack.refuse(ADDRESSES[1]))
    bench.run_for(0.2)
    with pytest.raises(CommandError, match=f"module {ADDRESSES[1]} refused"):
        bench.call("set_mode", mode="Export", phase="Charging")
    bench.run_for(1.0)
    assert not any(rig.rack.modules[a].on for a in ADDRESSES)
    assert bench.rows("var", "mode")[-1].value == "Off"
