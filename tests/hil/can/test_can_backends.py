"""What the CAN backends do beyond the power_supply_DC contract, on each backend against its
emulated modules: the current split, the safe state when one module faults or falls silent,
refusals, and noise on the adapter's line."""

from __future__ import annotations

import pytest

from charger.framework import CommandError
from tests.hil.can.conftest import ADDRESSES, BACKENDS

pytestmark = [pytest.mark.parametrize("supply", list(BACKENDS), indirect=True),
              pytest.mark.slow]


def export(bench, voltage_v: float = 450.0, current_a: float = 40.0) -> None:
    bench.command("set_export_voltage_current", voltage_v=voltage_v, current_a=current_a)
    bench.command("set_mode", mode="Export", phase="Charging")


def test_the_current_is_split_between_the_modules(supply):
    bench, world = supply
    rack = world.rig.rack
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench, 450.0, 40.0)
    bench.wait_reading(lambda v: v["current_a"] == pytest.approx(40.0, abs=0.1), "40 A")
    assert [rack.modules[a].current_setpoint_a for a in ADDRESSES] == \
        pytest.approx([20.0, 20.0], abs=0.01)
    assert [rack.modules[a].voltage_setpoint_v for a in ADDRESSES] == \
        pytest.approx([450.0, 450.0], abs=0.01)
    assert [rack.module_output(a)[1] for a in ADDRESSES] == pytest.approx([20.0, 20.0], abs=0.1)


def test_one_module_faulting_switches_the_other_off_and_blocks_export(supply):
    bench, world = supply
    rack = world.rig.rack
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    world.fault(bench, "OverTemperature")
    raised = bench.wait_error("power_supply_DC/OverTemperature")
    assert f"module {ADDRESSES[0]}" in raised.value["message"]
    bench.wait_reading(lambda v: v["current_a"] < 0.5, "no current")
    assert not rack.modules[ADDRESSES[1]].on  # the healthy one was switched off too
    with pytest.raises(CommandError, match="cannot export while OverTemperature"):
        bench.command("set_mode", mode="Export", phase="Charging")
    world.fault(bench, "OverTemperature", active=False)
    bench.wait_error("power_supply_DC/OverTemperature", active=False)
    bench.wait_for(lambda r: r.name == "mode" and r.value == "Off", what="mode Off")


def test_a_silent_module_is_named_and_the_others_switched_off(supply):
    bench, world = supply
    rack = world.rig.rack
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    world.silence(bench)
    started = bench.env.now
    raised = bench.wait_error("power_supply_DC/CommunicationFault")
    assert f"module(s) {ADDRESSES[1]}" in raised.value["message"]
    # Declared after the module timeout (2 s, counted from its last answer, up to a poll
    # interval before the silence began), within a poll interval or so of it.
    assert 1.7 <= raised.t - started <= 3.0
    bench.wait_reading(lambda v: v["current_a"] < 0.5, "the answering module switched off")
    assert not rack.modules[ADDRESSES[0]].on
    world.silence(bench, False)
    bench.wait_error("power_supply_DC/CommunicationFault", active=False)
    bench.wait_for(lambda r: r.name == "mode" and r.value == "Off", what="mode Off")


def test_a_refused_setpoint_fails_the_command(supply):
    bench, world = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    world.rig.call(lambda: world.rig.rack.refuse(ADDRESSES[0]))
    bench.run_for(0.2)
    with pytest.raises(CommandError, match=f"module {ADDRESSES[0]} refused"):
        bench.command("set_export_voltage_current", voltage_v=400.0, current_a=10.0)


def test_a_module_refusing_to_switch_on_leaves_every_module_off(supply):
    bench, world = supply
    rack = world.rig.rack
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    bench.command("set_export_voltage_current", voltage_v=450.0, current_a=40.0)
    world.rig.call(lambda: rack.refuse(ADDRESSES[1]))
    bench.run_for(0.2)
    with pytest.raises(CommandError, match=f"module {ADDRESSES[1]} refused"):
        bench.command("set_mode", mode="Export", phase="Charging")
    bench.run_for(1.0)
    assert not any(rack.modules[a].on for a in ADDRESSES)
    assert bench.rows("var", "mode")[-1].value == "Off"


def test_noise_on_the_adapter_line_is_refused_and_the_supply_goes_on(supply):
    bench, world = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    world.rig.call(lambda: world.rig.rack.write_raw(
        b"\xff\xfeT12\rZZZ\x00\rT0283F0038zz\r"))
    bench.wait_for(lambda r: r.kind == "log" and "frame refused" in str(r.value),
                   what="a refused frame logged")
    bench.mark()
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "readings go on")
    assert not bench.rows("error_raised")
