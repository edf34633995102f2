"""A SLAC station whose ports do not fit its link is refused before it starts, with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from charger.framework.config import load_station
from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from tests.slac.conftest import slac_station_doc


def refusal(tmp_path: Path, registry: ModuleRegistry, doc: dict) -> str:
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_station(path, registry)
    return str(caught.value)


def test_a_port_the_link_does_not_have(tmp_path: Path, slac_registry: ModuleRegistry) -> None:
    doc = slac_station_doc(2)
    doc["active_modules"]["car2"]["config"]["port"] = 3
    text = refusal(tmp_path, slac_registry, doc)
    assert "station.yaml:" in text and "car2: port 3 is not one of plc's ports [1, 2]" in text


def test_a_path_beyond_the_connectors(tmp_path: Path, slac_registry: ModuleRegistry) -> None:
    doc = slac_station_doc(1, {"paths": [{"ev_port": 1, "evse_port": 2, "attenuation_db": 9}]})
    assert "paths[0].evse_port 2 is beyond its 1 connectors" in refusal(tmp_path, slac_registry,
                                                                       doc)


def test_a_batch_interval_outside_the_standard(tmp_path: Path,
                                               slac_registry: ModuleRegistry) -> None:
    doc = slac_station_doc(1)
    doc["active_modules"]["car1"]["config"]["batch_interval_s"] = 0.1
    assert "batch_interval_s" in refusal(tmp_path, slac_registry, doc)


def test_a_raw_socket_module_needs_the_wall_clock(tmp_path: Path,
                                                  slac_registry: ModuleRegistry) -> None:
    from charger.framework.clocks import wall_clock_problems

    doc = {"description": "raw", "active_modules": {
        "modems": {"module": "RawEthernetPlc",
                   "config": {"ports": [{"port": 1, "interface": "eth0"}]}},
        "evse1": {"module": "EvseSlac", "connections": {"plc": "modems.plc"},
                  "config": {"port": 2}}}}
    assert "evse1: port 2 is not one of modems's ports [1]" in refusal(tmp_path, slac_registry,
                                                                      doc)
    doc["active_modules"]["evse1"]["config"]["port"] = 1
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    problems = wall_clock_problems(load_station(path, slac_registry), slac_registry)
    assert any("RawEthernetPlc needs the wall clock" in str(p) for p in problems)
