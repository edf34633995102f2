"""SimDcPowerPath fed by InfyPower modules, as on a DC rig: the car charges from the modules'
readback, the modules' emulator regulates into the car's battery it is told of, and a fault of
the simulated supply switches the real modules off. (The power_supply_DC contract runs on the
same provider in test_contract_power_supply.py.)"""

from __future__ import annotations

import pytest

from tests.hil.can.conftest import ON_MODULES

pytestmark = [pytest.mark.parametrize("supply", [ON_MODULES], indirect=True), pytest.mark.slow]


def charging(bench, current_a: float = 40.0) -> None:
    bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
    bench.command("set_export_voltage_current", voltage_v=450.0, current_a=current_a)
    bench.command("set_mode", mode="Export", phase="Charging")
    bench.wait_reading(lambda v: v["current_a"] > current_a - 1, "current flowing")


def car_measures(bench, match, what: str):
    return bench.wait_for_any(lambda r: r.kind == "var" and r.source == "dc1.ev_dc"
                              and r.name == "measurement" and match(r.value), what=what).value


def modules_read(bench, match, what: str):
    return bench.wait_for_any(lambda r: r.kind == "var" and r.source == "psu.main"
                              and r.name == "voltage_current" and match(r.value),
                              what=what).value


def test_the_car_measures_what_the_modules_deliver_and_nothing_once_they_stop(supply):
    bench, world = supply
    charging(bench)
    car_measures(bench, lambda m: m["current_a"] == pytest.approx(40.0, abs=0.5), "40 A")
    bench.mark()
    world.fault(bench, "HardwareFault")  # in the modules: the simulated supply knows nothing
    modules_read(bench, lambda v: v["current_a"] < 0.5, "the modules off")
    measured = car_measures(bench, lambda m: m["current_a"] < 0.5, "no current at the car")
    assert measured["contactors_closed"] is True  # the car is still there; the modules stopped


def test_the_modules_regulate_into_the_battery_the_car_has(supply):
    bench, _world = supply
    charging(bench)
    # 40 A into the 400 V battery through 0.5 + 0.01 ohm, as the emulator was told.
    modules_read(bench, lambda v: v["voltage_v"] == pytest.approx(420.4, abs=0.5), "420.4 V")
    bench.call("dc1", "ev_dc", "set_battery", open_circuit_voltage_v=410.0,
               internal_resistance_ohm=0.5)
    reading = modules_read(bench, lambda v: v["voltage_v"] == pytest.approx(430.4, abs=0.5),
                           "the new battery's voltage, 10 V higher")
    assert reading["current_a"] == pytest.approx(40.0, abs=0.5)
    # The car's inlet shows the same voltage: the readback's.
    car_measures(bench, lambda m: m["voltage_v"] == pytest.approx(430.4, abs=0.6),
                 "the car's inlet at the readback")


def test_a_fault_of_the_simulated_supply_switches_the_modules_off(supply):
    bench, _world = supply
    charging(bench)
    bench.mark()
    bench.call("dc1", "control", "set_fault", fault="supply_hardware", active=True)
    bench.wait_error("power_supply_DC/HardwareFault")
    modules_read(bench, lambda v: v["current_a"] < 0.5, "the modules off")
    assert bench.wait_for_any(lambda r: r.kind == "var" and r.source == "psu.main"
                              and r.name == "mode" and r.value == "Off", what="modules Off")
