"""SLAC on the MQTT bus: the link, two EVSEs and two cars as separate processes talking through
a real Mosquitto on the wall clock; frames cross the broker as hex in EVerest's JSON payloads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from charger.framework.broker import PrivateBroker
from charger.framework.config import load_station
from charger.framework.registry import ModuleRegistry
from evbench.assembly import assemble
from reports.recorder import Recorder
from tests.slac.conftest import ev_mac, evse_mac, slac_station_doc
from tests.slac.test_veth import run_until_matched

pytestmark = pytest.mark.mqtt


def test_two_cars_match_their_evses_across_module_processes(
        tmp_path: Path, slac_registry: ModuleRegistry) -> None:
    path = tmp_path / "slac.yaml"
    path.write_text(yaml.safe_dump(slac_station_doc(2, {"crosstalk_db": 15})), encoding="utf-8")
    config = load_station(path, slac_registry)
    with PrivateBroker() as broker:
        assembly = assemble(config, slac_registry, seed=3, bus_url=broker.url, factor=1.0,
                            log_dir=tmp_path / "logs")
        recorder = Recorder(assembly.env)
        assembly.tap(recorder.record)
        assembly.start()
        try:
            for n in (1, 2):
                call = assembly.bus.call("test", f"evse{n}", "main", "enter_bcd", {}, 10.0)
                assert assembly.env.run(until=call) is True
            for n in (1, 2):
                call = assembly.bus.call("test", f"car{n}", "main", "trigger_matching", {}, 10.0)
                assert assembly.env.run(until=call) is True
            run_until_matched(assembly, recorder, ["car1", "car2"])
        finally:
            assembly.stop()

    def last(source: str, name: str) -> object:
        rows = [r.value for r in recorder.rows
                if r.kind == "var" and r.source == source and r.name == name]
        return rows[-1] if rows else None

    for n in (1, 2):
        assert last(f"car{n}.main", "ev_mac_address") == evse_mac(n).upper()
        assert last(f"evse{n}.main", "ev_mac_address") == ev_mac(n).upper()
    decoded = [r.value["decoded"]["message"] for r in recorder.rows
               if r.kind == "var" and r.name == "received"]
    assert decoded.count("CM_SLAC_MATCH.CNF") >= 2
