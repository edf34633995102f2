"""The contract of ``powermeter``, run on every provider: SimBoard's meter, the serial board's
meter on its emulator, and Modbus meters over TCP and RTU on theirs."""

from __future__ import annotations

import pytest

from tests.hil.conftest import METER_PROVIDERS

pytestmark = pytest.mark.parametrize("meter_bench", METER_PROVIDERS, indirect=True)


def test_readings_are_published_and_read_on_demand(meter_bench):
    bench = meter_bench
    module, impl = bench.meter
    bench.start_load()
    published = bench.wait_for(lambda r: r.name == "powermeter" and r.source == f"{module}.{impl}"
                               and r.value["current_a"]["L1"] > 0, what="a reading under load")
    reading = published.value
    assert set(reading) >= {"energy_wh_import", "power_w", "current_a", "voltage_v"}
    for phase in ("L1", "L2", "L3"):
        volts, amps = reading["voltage_v"][phase], reading["current_a"][phase]
        assert reading["power_w"][phase] == pytest.approx(volts * amps, rel=0.01)
    assert reading["power_w"]["total"] == pytest.approx(
        sum(reading["power_w"][p] for p in ("L1", "L2", "L3")), rel=0.01)
    now = bench.call(module, impl, "read")
    assert now["energy_wh_import"]["total"] >= reading["energy_wh_import"]["total"]


def test_energy_grows_with_the_power_drawn(meter_bench):
    bench = meter_bench
    module, impl = bench.meter
    bench.start_load()
    bench.wait_for(lambda r: r.name == "powermeter" and r.value["current_a"]["L1"] > 0,
                   what="a reading under load")
    first = bench.call(module, impl, "read")
    start = bench.env.now
    bench.run_for(3.0)
    later = bench.call(module, impl, "read")
    hours = (bench.env.now - start) / 3600
    gained = later["energy_wh_import"]["total"] - first["energy_wh_import"]["total"]
    expected = later["power_w"]["total"] * hours
    # Readings lag by up to a publishing period on either end: within one second of power.
    assert gained == pytest.approx(expected, abs=later["power_w"]["total"] / 3600 * 1.2)
    assert gained > 0
