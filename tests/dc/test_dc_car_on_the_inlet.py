"""SimCar with a DC profile on SimDcPowerPath's inlet: the car reports its battery voltage as
its SoC moves, refuses to close its contactors on an inlet that is not pre-charged, and its SoC
follows the DC current it receives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Rig = Any
RigFactory = Callable[..., Rig]


def _precharge(rig: Rig, voltage_v: float) -> None:
    rig.call("contactors", "set_closed", value=True)
    rig.export(voltage_v, 2.0)
    rig.advance(3.0)


def test_battery_voltage_follows_soc(dc_car_rig: RigFactory) -> None:
    rig = dc_car_rig("profile: hyundai-ioniq5-72, soc_pct: 20")
    car = rig.station.modules["car"]
    rig.advance(1.0)
    calls = [r for r in rig.recorder.rows if r.kind == "cmd" and
             r.name == "dc.ev_dc.set_battery"]
    assert calls, "the car tells the inlet its battery voltage"
    assert calls[-1].value["args"]["open_circuit_voltage_v"] == pytest.approx(
        car.dc.pack.open_circuit_voltage(20.0), abs=0.1)


def test_contactors_close_only_on_a_precharged_inlet(dc_car_rig: RigFactory) -> None:
    rig = dc_car_rig("profile: vw-id3-77, soc_pct: 50")
    car = rig.station.modules["car"]
    ocv = car.dc.pack.open_circuit_voltage(50.0)
    _precharge(rig, ocv - 40.0)
    assert car.set_dc_contactors(True) is False
    rig.call("power_supply", "set_export_voltage_current", voltage_v=ocv - 5.0, current_a=2.0)
    rig.advance(1.0)
    assert car.set_dc_contactors(True) is True
    rig.advance(0.1)
    assert rig.rows("var", "measurement", "ev_dc")[-1].value["contactors_closed"] is True


def test_soc_follows_the_dc_current(dc_car_rig: RigFactory) -> None:
    rig = dc_car_rig("profile: hyundai-ioniq5-72, soc_pct: 30",
                     "max_power_w: 350000, max_current_a: 500")
    car = rig.station.modules["car"]
    _precharge(rig, car.dc.pack.open_circuit_voltage(30.0))
    assert car.set_dc_contactors(True)
    # the current-demand loop, as an EVSE manager would run it, every 0.1 s for 60 s
    for _ in range(600):
        voltage, current = car.dc_request()
        rig.call("power_supply", "set_export_voltage_current", voltage_v=voltage,
                 current_a=current)
        rig.advance(0.1)
    power = rig.rows("var", "powermeter", "meter")[-1].value["power_w"]["total"]
    assert power == pytest.approx(car.dc.curve_power_w(car.soc), rel=0.02)
    delivered = rig.call("meter", "read")["energy_wh_import"]["total"]
    # the battery stores what came through the cable less the I^2 R heat of pack and cable
    current = rig.rows("var", "measurement", "ev_dc")[-1].value["current_a"]
    ocv = car.dc.pack.open_circuit_voltage(car.soc)
    heat = current * (car.dc.pack.internal_resistance_ohm + 0.01)
    assert car.energy_wh == pytest.approx(delivered * ocv / (ocv + heat), rel=0.005)
    assert car.soc == pytest.approx(30.0 + car.energy_wh / (72.6 * 10.0), rel=1e-6)
    state = [r for r in rig.rows("var", "ev_state") if r.source == "car.car"][-1].value
    assert state["soc_pct"] == pytest.approx(car.soc, abs=0.01)
    assert state["current_a"] == pytest.approx(current, rel=0.01)
