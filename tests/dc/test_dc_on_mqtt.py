"""The simulated DC hardware as its own OS process on MQTT, on the wall clock: the same module
code answers the same commands, ramps and reports its contactors' faults, seen by a client that
knows only the documented topics."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.broker import PrivateBroker
from tests.mqtt.conftest import RawClient, StationProcess

pytestmark = pytest.mark.mqtt

STATION = Path(__file__).parents[2] / "scenarios" / "stations" / "dc-1-connector.yaml"
VAR = "everest/modules/dc1/impl/{impl}/var/{var}"


def test_dc_power_path_on_mqtt(tmp_path: Path) -> None:
    with PrivateBroker() as broker:
        raw = RawClient(broker.url)
        station = StationProcess(broker.url, config=STATION, factor=1.0, logs=tmp_path)
        try:
            raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict), 90,
                         "everest/ready")
            reply = raw.call("dc1", "contactors", "set_closed", {"value": True})
            assert reply["retval"] == {"commanded_closed": True, "closed": True}
            since = len(raw.seen)
            raw.call("dc1", "power_supply", "set_export_voltage_current",
                     {"voltage_v": 500.0, "current_a": 2.0})
            raw.call("dc1", "power_supply", "set_mode", {"mode": "Export"})
            topic = VAR.format(impl="power_supply", var="voltage_current")
            _, reading = raw.wait_for(
                lambda t, p: t == topic and isinstance(p, dict) and p["voltage_v"] == 500.0,
                what="500 V on the output", since=since)
            assert reading["current_a"] < 0.01  # only the insulation's leakage
            raw.call("dc1", "control", "set_fault", {"fault": "contactor_welded"})
            reply = raw.call("dc1", "contactors", "set_closed", {"value": False})
            assert reply["retval"] == {"commanded_closed": False, "closed": True}
            raw.wait_for(lambda t, p: t.startswith("everest/modules/dc1/impl/contactors/error")
                         and "Welded" in t, what="Welded raised")
        finally:
            output = station.stop()
            raw.close()
        assert "Traceback" not in output
