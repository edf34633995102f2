"""SimDcPowerPath on the bus: what the EVSE manager and the car see of the supply's ramps and
limits, the contactors' feedback, the isolation monitor, the over-voltage monitor and injected
faults, read from the recorded timeline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from charger.framework.schema import SchemaRegistry
from sim.hal.dc_faults import DC_FAULTS

Rig = Any  # the conftest's DcRig
RigFactory = Callable[..., Rig]


def _reached(rig: Rig, target: float, since: float) -> float:
    """When the published output voltage first reached ``target`` (after ``since``)."""
    return next(t for t, v in rig.series("voltage_current", "power_supply", "voltage_v")
                if t >= since and v >= target - 1e-6)


@pytest.mark.parametrize("target", [200.0, 500.0, 920.0])
def test_large_step_reaches_the_setpoint_without_overshoot(dc_rig: RigFactory,
                                                          target: float) -> None:
    rig = dc_rig()
    rig.call("contactors", "set_closed", value=True)
    start = rig.env.now
    rig.export(target, 2.0)
    rig.advance(8.0)
    volts = [v for _, v in rig.series("voltage_current", "power_supply", "voltage_v")]
    assert max(volts) == pytest.approx(target)  # no overshoot, and it gets there
    took = _reached(rig, target, start) - start
    # 1000 V/s to 50 V short, then 250 V/s; readings come every 0.25 s and at the ramp's end
    assert took == pytest.approx((target - 50.0) / 1000.0 + 50.0 / 250.0, abs=0.006)
    assert took < 6.0
    meter = rig.rows("var", "powermeter", "meter")[-1].value
    assert meter["voltage_v"]["total"] == pytest.approx(target)


def test_step_down_is_immediate_and_off_drops_the_output(dc_rig: RigFactory) -> None:
    rig = dc_rig()
    rig.call("contactors", "set_closed", value=True)
    rig.export(800.0, 2.0)
    rig.advance(3.0)
    t0 = rig.env.now
    rig.call("power_supply", "set_export_voltage_current", voltage_v=400.0, current_a=2.0)
    rig.advance(0.3)
    after = [v for t, v in rig.series("voltage_current", "power_supply", "voltage_v") if t > t0]
    assert after and all(v == pytest.approx(400.0) for v in after)
    rig.call("power_supply", "set_mode", mode="Off")
    last = rig.rows("var", "voltage_current", "power_supply")[-1]
    assert last.t == rig.env.now and last.value == {"voltage_v": 0.0, "current_a": 0.0,
                                                 "power_w": 0.0}
    assert rig.rows("var", "mode", "power_supply")[-1].value == "Off"


def test_setpoints_beyond_the_capabilities_are_clamped(dc_rig: RigFactory) -> None:
    rig = dc_rig("max_voltage_v: 500, max_current_a: 100")
    caps = rig.rows("var", "capabilities", "power_supply")[-1].value
    assert caps["max_export_voltage_v"] == 500 and caps["max_export_current_a"] == 100
    rig.call("contactors", "set_closed", value=True)
    rig.export(900.0, 300.0)
    rig.advance(3.0)
    assert max(v for _, v in rig.series("voltage_current", "power_supply", "voltage_v")) == 500.0
    assert any("beyond the capabilities" in r.value for r in rig.rows("log"))


def _battery(rig: Rig, ocv: float) -> None:
    rig.call("ev_dc", "set_battery", open_circuit_voltage_v=ocv, internal_resistance_ohm=0.1)


def test_charging_current_flows_only_with_both_contactors_closed(dc_rig: RigFactory) -> None:
    rig = dc_rig("max_power_w: 100000")
    _battery(rig, 380.0)
    rig.call("contactors", "set_closed", value=True)
    rig.export(380.0, 2.0)  # pre-charge to the battery
    rig.advance(2.0)
    inlet = rig.rows("var", "measurement", "ev_dc")[-1].value
    assert inlet["voltage_v"] == pytest.approx(380.0) and inlet["current_a"] == 0.0
    rig.call("ev_dc", "set_contactors", value=True)
    rig.call("power_supply", "set_export_voltage_current", voltage_v=450.0, current_a=150.0)
    rig.advance(3.0)
    inlet = rig.rows("var", "measurement", "ev_dc")[-1].value
    assert inlet["current_a"] == pytest.approx(150.0)
    assert inlet["voltage_v"] == pytest.approx(380.0 + 150.0 * 0.11, abs=0.1)
    reading = rig.rows("var", "voltage_current", "power_supply")[-1].value
    assert reading["power_w"] == pytest.approx(reading["voltage_v"] * reading["current_a"],
                                               abs=1.0)
    assert reading["power_w"] == pytest.approx(396.5 * 150.0, rel=1e-3)
    # energy on the meter is the integral of the power
    e0 = rig.call("meter", "read")["energy_wh_import"]["total"]
    rig.advance(360.0)
    e1 = rig.call("meter", "read")["energy_wh_import"]["total"]
    assert e1 - e0 == pytest.approx(396.5 * 150.0 / 10.0, rel=1e-4)


def test_contactor_feedback_follows_after_the_switching_time(dc_rig: RigFactory) -> None:
    rig = dc_rig("contactor_close_delay_s: 0.05, contactor_open_delay_s: 0.02")
    t0 = rig.env.now
    assert rig.call("contactors", "set_closed", value=True) == {
        "commanded_closed": True, "closed": True}
    states = [(round(r.t - t0, 6), r.value["closed"]) for r in rig.rows("var", "state")][1:]
    assert states == [(0.0, False), (0.05, True)]
    assert rig.call("contactors", "set_closed", value=False)["closed"] is False
    assert rig.errors("contactors") == []


def test_welded_contactors_report_closed_and_raise(dc_rig: RigFactory) -> None:
    rig = dc_rig()
    rig.call("contactors", "set_closed", value=True)
    rig.call("control", "set_fault", fault="contactor_welded")
    result = rig.call("contactors", "set_closed", value=False)
    assert result == {"commanded_closed": False, "closed": True}
    assert [(name, active) for _, name, active in rig.errors("contactors")] == [
        ("Welded", True)]
    # the weld is freed: the next opening clears the error
    rig.call("control", "set_fault", fault="contactor_welded", active=False)
    rig.call("contactors", "set_closed", value=False)
    assert rig.errors("contactors")[-1][1:] == ("Welded", False)


def test_stuck_open_contactors_raise_did_not_close(dc_rig: RigFactory) -> None:
    rig = dc_rig()
    rig.call("control", "set_fault", fault="contactor_stuck_open")
    assert rig.call("contactors", "set_closed", value=True)["closed"] is False
    assert rig.errors("contactors")[-1][1:] == ("DidNotClose", True)
    rig.call("contactors", "set_closed", value=False)
    assert rig.errors("contactors")[-1][1:] == ("DidNotClose", False)


def test_isolation_monitor_reads_and_raises_below_the_threshold(dc_rig: RigFactory) -> None:
    rig = dc_rig("imd_interval_s: 1.0")
    rig.call("contactors", "set_closed", value=True)
    rig.export(500.0, 2.0)
    rig.call("imd", "start")
    rig.advance(2.5)
    readings = rig.rows("var", "isolation_measurement", "imd")
    assert len(readings) == 2
    assert readings[-1].value == {"resistance_ohm": 10e6, "voltage_v": 500.0}
    rig.call("control", "set_insulation", resistance_ohm=80_000.0)
    rig.advance(1.0)
    assert rig.rows("var", "isolation_measurement", "imd")[-1].value["resistance_ohm"] == 80_000
    assert rig.errors("imd") == [(pytest.approx(3.0, abs=0.1), "IsolationFault", True)]
    rig.call("imd", "stop")
    count = len(rig.rows("var", "isolation_measurement", "imd"))
    rig.advance(3.0)
    assert len(rig.rows("var", "isolation_measurement", "imd")) == count
    assert rig.errors("imd")[-1][1:] == ("IsolationFault", False)


def test_imd_self_test_and_device_fault(dc_rig: RigFactory) -> None:
    rig = dc_rig("imd_self_test_s: 2.0")
    rig.call("imd", "start_self_test")
    assert rig.rows("var", "self_test_result", "imd")[-1].value is True
    assert rig.rows("var", "self_test_result", "imd")[-1].t == pytest.approx(2.0, abs=0.05)
    rig.call("control", "set_fault", fault="imd_device")
    rig.call("imd", "start_self_test")
    assert rig.rows("var", "self_test_result", "imd")[-1].value is False
    assert rig.errors("imd")[-1][1:] == ("DeviceFault", True)
    rig.call("imd", "start")
    rig.advance(3.0)
    assert rig.rows("var", "isolation_measurement", "imd") == []


def test_over_voltage_monitor_switches_a_runaway_supply_off(dc_rig: RigFactory) -> None:
    rig = dc_rig()
    rig.call("contactors", "set_closed", value=True)
    rig.call("ovp", "start", over_voltage_limit_v=550.0)
    rig.export(450.0, 2.0)
    rig.advance(2.0)
    assert rig.errors("ovp") == []
    rig.call("control", "set_fault", fault="supply_runaway")
    rig.advance(2.0)
    raised = rig.errors("ovp")
    assert [(name, active) for _, name, active in raised] == [("OverVoltage", True)]
    trip_time = raised[0][0]
    # it climbed from 450 V at 250 V/s near the target, then 1000 V/s: over 550 V in ~0.15 s
    assert trip_time - 2.0 < 0.2
    state = rig.rows("var", "state", "contactors")[-1]
    assert state.value == {"commanded_closed": False, "closed": False}
    assert state.t == pytest.approx(trip_time + 0.02)
    assert rig.rows("var", "voltage_current")[-1].value["voltage_v"] == 0.0
    # latched: the output stays off until reset, even if the supply is told to export
    rig.call("control", "set_fault", fault="supply_runaway", active=False)
    rig.call("contactors", "set_closed", value=True)
    rig.export(450.0, 2.0)
    rig.advance(2.0)
    assert rig.rows("var", "voltage_current")[-1].value["voltage_v"] == 0.0
    rig.call("ovp", "reset_over_voltage_error")
    rig.advance(2.0)
    assert rig.errors("ovp")[-1][1:] == ("OverVoltage", False)
    assert rig.rows("var", "voltage_current")[-1].value["voltage_v"] == pytest.approx(450.0)


def test_a_faulty_ovp_does_not_protect(dc_rig: RigFactory) -> None:
    rig = dc_rig()
    rig.call("control", "set_fault", fault="ovp_device")
    rig.call("contactors", "set_closed", value=True)
    rig.call("ovp", "start", over_voltage_limit_v=550.0)
    rig.export(450.0, 2.0)
    rig.call("control", "set_fault", fault="supply_runaway")
    rig.advance(2.0)
    assert [name for _, name, _ in rig.errors("ovp")] == ["DeviceFault"]
    assert rig.rows("var", "voltage_current")[-1].value["voltage_v"] > 1000.0


@pytest.mark.parametrize("fault", [f.name for f in DC_FAULTS.values()
                                   if f.impl == "power_supply" and f.error])
def test_supply_faults_switch_the_output_off_and_clear(dc_rig: RigFactory, fault: str) -> None:
    rig = dc_rig()
    rig.call("contactors", "set_closed", value=True)
    rig.export(500.0, 2.0)
    rig.advance(2.0)
    rig.call("control", "set_fault", fault=fault)
    assert rig.rows("var", "mode", "power_supply")[-1].value == "Fault"
    assert rig.call("meter", "read")["voltage_v"]["total"] == 0.0
    assert rig.errors("power_supply") == [
        (rig.env.now, DC_FAULTS[fault].error, True)]
    rig.call("control", "set_fault", fault=fault, active=False)
    assert rig.errors("power_supply")[-1][1:] == (DC_FAULTS[fault].error, False)
    assert rig.rows("var", "mode", "power_supply")[-1].value == "Export"
    rig.advance(2.0)
    assert rig.call("meter", "read")["voltage_v"]["total"] == pytest.approx(500.0)


def test_fault_table_matches_the_interface() -> None:
    schemas = SchemaRegistry()
    enum = schemas.interface("dc_simulator").cmds["set_fault"].arguments["fault"]["enum"]
    assert sorted(enum) == sorted(DC_FAULTS)
    interfaces = {"power_supply": "power_supply_DC", "imd": "isolation_monitor",
                  "ovp": "over_voltage_monitor", "contactors": "dc_contactors"}
    for fault in DC_FAULTS.values():
        if fault.error is not None:
            assert fault.error in schemas.interface(interfaces[fault.impl]).errors


def test_every_declared_dc_error_can_be_raised() -> None:
    """The EVSE manager's fault table must cover these: each is raised by an injected fault or
    by the circuit (the tests above make each happen)."""
    schemas = SchemaRegistry()
    by_physics = {("isolation_monitor", "IsolationFault"), ("over_voltage_monitor", "OverVoltage"),
                  ("dc_contactors", "Welded"), ("dc_contactors", "DidNotClose")}
    interfaces = {"power_supply": "power_supply_DC", "imd": "isolation_monitor",
                  "ovp": "over_voltage_monitor", "contactors": "dc_contactors"}
    by_fault = {(interfaces[f.impl], f.error) for f in DC_FAULTS.values() if f.error}
    declared = {(name, error) for name in set(interfaces.values())
                for error in schemas.interface(name).errors}
    assert declared == by_physics | by_fault


def test_contradicting_limits_are_refused_with_their_line(tmp_path: Any, registry: Any) -> None:
    from charger.framework.config import load_station
    from charger.framework.errors import ConfigError

    path = tmp_path / "station.yaml"
    path.write_text("active_modules:\n  dc:\n    module: SimDcPowerPath\n    config:\n"
                    "      max_current_a: 100\n      min_current_a: 150\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_station(path, registry)
    assert [(p.line, p.reason) for p in caught.value.problems] == [
        (6, "dc: min_current_a is above max_current_a")]


def test_a_target_below_the_minimum_voltage_is_raised_to_it(dc_rig: RigFactory) -> None:
    rig = dc_rig("min_voltage_v: 150")
    rig.call("contactors", "set_closed", value=True)
    rig.export(50.0, 2.0)
    rig.advance(2.0)
    assert rig.rows("var", "voltage_current")[-1].value["voltage_v"] == 150.0


@pytest.mark.parametrize("car_welded", [False, True])
def test_the_meter_shows_what_welding_detection_needs(dc_rig: RigFactory,
                                                      car_welded: bool) -> None:
    """After the session: supply off, the car opens its contactors; the cable-side voltage
    drops to 0, unless the car's contactors are welded."""
    rig = dc_rig()
    rig.call("ev_dc", "set_battery", open_circuit_voltage_v=390.0, internal_resistance_ohm=0.05)
    rig.call("contactors", "set_closed", value=True)
    rig.export(390.0, 2.0)
    rig.advance(2.0)
    rig.call("ev_dc", "set_contactors", value=True)
    rig.call("power_supply", "set_export_voltage_current", voltage_v=450.0, current_a=100.0)
    rig.advance(3.0)
    if car_welded:
        rig.call("control", "set_fault", fault="car_contactor_welded")
    rig.call("power_supply", "set_mode", mode="Off")
    assert rig.call("meter", "read")["current_a"]["total"] == 0.0
    rig.call("ev_dc", "set_contactors", value=False)
    rig.advance(0.5)
    voltage = rig.call("meter", "read")["voltage_v"]["total"]
    assert voltage == (pytest.approx(390.0) if car_welded else 0.0)
    assert rig.rows("var", "measurement", "ev_dc")[-1].value["contactors_closed"] is car_welded
