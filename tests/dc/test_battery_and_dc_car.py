"""The DC car's pure model: pack voltage by SoC, SoC integration, the power it asks for against
the published measured curves, and a whole session against the pure supply model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.car.battery import CELL_OCV_CURVES, BatteryPack
from sim.car.dc_charging import DcBatteryState, DcCarLimits
from sim.car.profiles import car_profiles
from sim.hal.dc_physics import DcPowerPath, Supply, SupplyLimits

# The published measured curves (Open EV Data; SoC % : kW), written here independently of
# profiles.yaml so that a typo in either shows.
PUBLISHED_CURVES = {
    "tesla-model3-lr": "0:180 40:195 60:110 100:12",
    "vw-id3-77": "0:125 30:125 70:65 80:65 100:22",
    "polestar-2-lr": "0:150 18:150 20:130 40:130 42:100 55:90 57:70 79:70 80:25 100:11",
    "hyundai-ioniq5-72": "0:200 10:210 22:232 23:185 37:185 38:175 47:175 48:155 55:155 56:130 "
                         "70:130 80:100 100:11",
}
DC_PROFILES = sorted(PUBLISHED_CURVES)


def _limits(name: str) -> DcCarLimits:
    return DcCarLimits.from_profile(car_profiles()[name])


@pytest.mark.parametrize("chemistry", sorted(CELL_OCV_CURVES))
def test_cell_curves_rise_with_soc(chemistry: str) -> None:
    volts = [v for _, v in CELL_OCV_CURVES[chemistry]]
    assert volts == sorted(volts) and len(set(volts)) == len(volts)


@pytest.mark.parametrize(("name", "low", "high"), [
    ("tesla-model3-lr", 300.0, 405.0), ("vw-id3-77", 300.0, 410.0),
    ("polestar-2-lr", 340.0, 455.0), ("hyundai-ioniq5-72", 580.0, 760.0)])
def test_pack_voltage_class(name: str, low: float, high: float) -> None:
    pack = _limits(name).pack
    assert low <= pack.open_circuit_voltage(0.0) < pack.open_circuit_voltage(100.0) <= high


@pytest.mark.parametrize("name", DC_PROFILES)
def test_the_car_asks_for_the_published_power(name: str) -> None:
    limits = _limits(name)
    for point in PUBLISHED_CURVES[name].split():
        soc, kw = (float(x) for x in point.split(":"))
        soc = min(soc, 99.999)  # at 100 % the car is full and asks for nothing
        current = limits.target_current_a(soc)
        assert current < limits.max_current_a, "the curve point is not capped by the current"
        assert limits.power_at(soc, current) == pytest.approx(kw * 1000.0, rel=0.002)


@pytest.mark.parametrize("name", DC_PROFILES)
def test_the_car_asks_for_nothing_at_its_target(name: str) -> None:
    limits = _limits(name)
    assert limits.target_current_a(100.0) == 0.0
    assert limits.target_current_a(80.0, target_soc_pct=80.0) == 0.0
    assert limits.target_voltage_v() >= limits.pack.full_voltage_v


pack = BatteryPack(capacity_kwh=60.0, cells_in_series=96, internal_resistance_ohm=0.08)


@settings(max_examples=150)
@given(soc=st.floats(0.0, 100.0), current=st.floats(0.0, 500.0), a=st.floats(0.0, 900.0),
       b=st.floats(0.0, 900.0))
def test_soc_integration_is_additive_and_bounded(soc: float, current: float, a: float,
                                                 b: float) -> None:
    mid, e1 = pack.soc_after(soc, current, a)
    end, e2 = pack.soc_after(mid, current, b)
    once, e = pack.soc_after(soc, current, a + b)
    assert once == pytest.approx(end, abs=1e-3)
    assert e == pytest.approx(e1 + e2, rel=1e-3, abs=1e-3)
    assert soc <= once <= 100.0
    # each % of SoC is 1 % of the capacity
    assert e == pytest.approx((once - soc) / 100.0 * 60_000.0, rel=1e-6, abs=1e-6)


def test_soc_follows_the_charge_at_the_open_circuit_voltage() -> None:
    soc, stored = pack.soc_after(50.0, 100.0, 600.0)
    ocv = pack.open_circuit_voltage(50.0)
    expected = 100.0 * ocv * 600.0 / 3600.0  # ~ 100 A at ~358 V for 10 min
    assert stored == pytest.approx(expected, rel=0.01)
    assert soc == pytest.approx(50.0 + stored / 600.0, rel=1e-9)


@pytest.mark.parametrize(("name", "minutes"), [
    ("hyundai-ioniq5-72", (17, 22)), ("tesla-model3-lr", (22, 28)),
    ("vw-id3-77", (32, 40)), ("polestar-2-lr", (30, 37))])
def test_ten_to_eighty_percent_takes_the_time_its_curve_gives(name: str,
                                                             minutes: tuple[int, int]) -> None:
    """On an unlimited charger, stepping the model each second agrees with the estimate for
    the RemainingTimeTo... fields, and lands where the measured curves put it."""
    limits = _limits(name)
    battery = DcBatteryState(limits, 10.0)
    seconds = 0
    while battery.soc_pct < 80.0:
        battery.absorb(limits.target_current_a(battery.soc_pct), 1.0)
        seconds += 1
    assert minutes[0] * 60 <= seconds <= minutes[1] * 60
    assert limits.time_to_soc_s(10.0, 80.0) == pytest.approx(seconds, rel=0.01)
    assert battery.energy_wh == pytest.approx(limits.energy_request_wh(10.0, 80.0), rel=0.01)


def test_a_smaller_charger_lengthens_the_session() -> None:
    limits = _limits("hyundai-ioniq5-72")
    assert limits.time_to_soc_s(10.0, 80.0, 50_000.0) > 2.5 * limits.time_to_soc_s(10.0, 80.0)


def test_precharge_gate() -> None:
    battery = DcBatteryState(_limits("vw-id3-77"), 50.0)
    ocv = battery.open_circuit_voltage()
    assert battery.may_close_contactors(ocv + 19.0)
    assert not battery.may_close_contactors(ocv - 25.0)


def test_car_and_supply_models_together_follow_the_curve() -> None:
    """The car's request drives the pure supply model; the delivered power is the curve's,
    until the charger's own power limit caps it."""
    limits = _limits("hyundai-ioniq5-72")
    battery = DcBatteryState(limits, 5.0)
    path = DcPowerPath(Supply(SupplyLimits(max_power_w=150_000.0, max_current_a=500.0)))
    path.battery.internal_resistance_ohm = limits.pack.internal_resistance_ohm
    path.battery.open_circuit_voltage_v = battery.open_circuit_voltage()
    path.contactors.commanded_closed = True
    path.contactors.settle()
    path.supply.exporting = True
    path.supply.set_target(limits.target_voltage_v(), 2.0)
    path.advance(5.0)  # cable check and pre-charge collapsed: the output is up
    path.battery.contactors_closed = True
    samples = {}
    for second in range(3000):
        path.supply.set_target(limits.target_voltage_v(), limits.target_current_a(battery.soc_pct))
        path.battery.open_circuit_voltage_v = battery.open_circuit_voltage()
        path.advance(1.0)
        battery.absorb(path.supply.current_a, 1.0)
        samples[round(battery.soc_pct)] = (battery.soc_pct,
                                           path.cable_voltage_v * path.supply.current_a)
        assert path.cable_voltage_v <= limits.max_voltage_v
        if second and battery.soc_pct >= 90:
            break
    assert samples[15][1] == pytest.approx(150_000.0, rel=0.001)  # the charger's limit
    for soc in (60, 75, 85):
        at, power = samples[soc]
        assert power == pytest.approx(limits.curve_power_w(at), rel=0.01)


@settings(max_examples=200)
@given(name=st.sampled_from(DC_PROFILES), soc=st.floats(0.0, 99.99),
       target=st.floats(0.0, 100.0))
def test_the_request_stays_within_the_curve_and_the_car(name: str, soc: float,
                                                        target: float) -> None:
    limits = _limits(name)
    current = limits.target_current_a(soc, target)
    assert 0.0 <= current <= limits.max_current_a
    if soc >= target:
        assert current == 0.0
        return
    power = limits.power_at(soc, current)
    assert power <= limits.curve_power_w(soc) * (1 + 1e-9)
    if current < limits.max_current_a:  # not capped: exactly the curve
        assert power == pytest.approx(limits.curve_power_w(soc), rel=1e-9)


@settings(max_examples=100)
@given(name=st.sampled_from(DC_PROFILES), a=st.floats(0.0, 100.0), b=st.floats(0.0, 100.0))
def test_pack_voltage_rises_with_soc(name: str, a: float, b: float) -> None:
    pack = _limits(name).pack
    low, high = sorted((a, b))
    assert pack.open_circuit_voltage(low) <= pack.open_circuit_voltage(high)
