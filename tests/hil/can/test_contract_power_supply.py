"""The power_supply_DC contract, run on every provider: the simulated DC power path, and each CAN
backend (InfyPower, Winline, the generic DBC backend with a user's mapping) against emulated
modules over slcan on a socat pty pair. A new backend joins PROVIDERS in conftest.py and proves
it drops in.

Times are read from the recorded timeline (simulated seconds), never from the wall clock."""

from __future__ import annotations

import pytest

from tests.hil.can.conftest import PROVIDERS

pytestmark = [pytest.mark.parametrize("supply", PROVIDERS, indirect=True), pytest.mark.slow]


def export(bench, voltage_v: float = 450.0, current_a: float = 40.0) -> None:
    bench.command("set_export_voltage_current", voltage_v=voltage_v, current_a=current_a)
    bench.command("set_mode", mode="Export", phase="Charging")


def wait_mode(bench, mode: str) -> None:
    bench.wait_for(lambda r: r.name == "mode" and r.value == mode, what=f"mode {mode}")


def test_capabilities_come_before_the_first_reading(supply):
    bench, _world = supply
    caps = bench.wait_for(lambda r: r.name == "capabilities", what="capabilities").value
    assert caps["max_export_current_a"] == pytest.approx(200.0)
    assert caps["max_export_power_w"] == pytest.approx(60_000.0)
    assert caps["max_export_voltage_v"] == pytest.approx(1000.0)
    assert caps["bidirectional"] is False
    first_reading = bench.wait_reading(lambda v: True, "a reading")
    assert first_reading["current_a"] == 0.0
    assert bench.rows("var", "capabilities")[0].t <= bench.rows("var", "voltage_current")[0].t
    assert bench.rows("var", "mode")[0].value == "Off"


def test_voltage_and_current_are_set_and_read_back(supply):
    bench, _world = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench, 450.0, 40.0)
    assert bench.rows("var", "mode")[-1].value == "Export"
    reading = bench.wait_reading(lambda v: v["current_a"] == pytest.approx(40.0, abs=0.1),
                                 "40 A delivered")
    # Into the 400 V battery through its 0.5 ohm and the cable's 0.01 ohm.
    assert reading["voltage_v"] == pytest.approx(420.4, abs=0.5)
    assert reading["power_w"] == pytest.approx(reading["voltage_v"] * reading["current_a"],
                                               rel=0.01)


def test_a_target_beyond_the_capabilities_is_limited(supply):
    bench, world = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    world.set_load(bench, None)  # an open output shows the voltage it regulates to
    bench.command("set_export_voltage_current", voltage_v=1500.0, current_a=10.0)
    warning = bench.wait_for(lambda r: r.kind == "log" and "beyond the capabilities"
                             in str(r.value), what="a warning")
    assert "1000 V" in str(warning.value)
    bench.command("set_mode", mode="Export", phase="Charging")
    bench.wait_reading(lambda v: v["voltage_v"] == pytest.approx(1000.0, abs=1.0), "1000 V")
    bench.run_for(1.0)
    assert max(r.value["voltage_v"] for r in bench.rows("var", "voltage_current")) <= 1000.5


def test_switching_off_returns_once_the_current_has_fallen(supply):
    bench, _world = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.command("set_mode", mode="Off", phase="Other")
    result = bench.rows("result")[-1]
    readings = [r for r in bench.rows("var", "voltage_current") if r.t <= result.t]
    assert readings[-1].value["current_a"] < 1.0
    assert bench.rows("var", "mode")[-1].value == "Off"
    bench.run_for(1.0)
    assert bench.rows("var", "voltage_current")[-1].value["current_a"] < 1.0


@pytest.mark.parametrize("fault", ["OverTemperature", "HardwareFault"])
def test_a_fault_is_raised_and_the_output_switched_off(supply, fault):
    bench, world = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    world.fault(bench, fault)
    bench.wait_error(f"power_supply_DC/{fault}")
    wait_mode(bench, "Fault")
    bench.wait_reading(lambda v: v["current_a"] < 0.5, "no current")
    world.fault(bench, fault, active=False)
    bench.wait_error(f"power_supply_DC/{fault}", active=False)
    bench.wait_for(lambda r: r.name == "mode" and r.value != "Fault", what="mode after Fault")


def test_a_supply_that_falls_silent_is_a_communication_fault(supply):
    bench, world = supply
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    export(bench)
    bench.wait_reading(lambda v: v["current_a"] > 39.0, "current flowing")
    bench.mark()
    world.silence(bench)
    bench.wait_error("power_supply_DC/CommunicationFault")
    wait_mode(bench, "Fault")
    world.silence(bench, False)
    bench.wait_error("power_supply_DC/CommunicationFault", active=False)
