"""Stations of EVSE-side and car-side SLAC modules on the simulated PLC link, driven through the
bus on the virtual clock, every message recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import simpy
import yaml

from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from reports.recorder import Recorder, Row


def ev_mac(connector: int) -> str:
    return f"02:ee:00:00:00:{connector:02x}"


def evse_mac(connector: int) -> str:
    return f"02:cc:00:00:00:{connector:02x}"


def slac_station_doc(connectors: int, link: dict | None = None) -> dict:
    modules: dict[str, Any] = {
        "plc": {"module": "PlcLink", "config": {"connectors": connectors, **(link or {})}}}
    for n in range(1, connectors + 1):
        modules[f"evse{n}"] = {"module": "EvseSlac",
                               "config": {"port": n, "mac_address": evse_mac(n),
                                          "slac_init_timeout_s": 20},
                               "connections": {"plc": "plc.evse"}}
        modules[f"car{n}"] = {"module": "SimEvSlac",
                              "config": {"port": n, "mac_address": ev_mac(n)},
                              "connections": {"plc": "plc.ev"}}
    return {"description": f"SLAC on {connectors} connectors", "active_modules": modules}


class SlacBench:
    """A started station on the virtual clock with a recorder."""

    def __init__(self, path: Path, registry: ModuleRegistry, seed: int = 0):
        self.env = simpy.Environment()
        self.bus = InProcessBus(self.env)
        self.recorder = Recorder(self.env)
        self.recorder.attach(self.bus)
        self.station = Station(load_station(path, registry), registry, self.bus, seed=seed)
        self.station.start()

    def call(self, module: str, impl: str, cmd: str, **args: Any) -> Any:
        return self.env.run(until=self.bus.call("test", module, impl, cmd, args))

    def advance(self, seconds: float) -> None:
        self.env.run(until=self.env.now + seconds)

    def vars(self, source: str, name: str) -> list[Row]:
        return [r for r in self.recorder.rows
                if r.kind == "var" and r.source == source and r.name == name]

    def last(self, source: str, name: str) -> Any:
        rows = self.vars(source, name)
        return rows[-1].value if rows else None

    def first_time(self, source: str, name: str, value: Any) -> float | None:
        return next((r.t for r in self.vars(source, name) if r.value == value), None)

    def frames(self, side: str, port: int | None = None) -> list[tuple[float, dict]]:
        """Frames the link passed up to hosts on one side: (time, received value)."""
        return [(r.t, r.value) for r in self.vars(f"plc.{side}", "received")
                if port is None or r.value["port"] == port]

    def exceptions(self) -> list:
        return self.station.exceptions

    def timeline_text(self) -> str:
        return "\n".join(json.dumps([r.t, r.source, r.kind, r.name, r.text])
                         for r in self.recorder.rows)


@pytest.fixture(scope="session")
def slac_registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


@pytest.fixture
def slac_bench(tmp_path: Path, slac_registry: ModuleRegistry) -> Callable[..., SlacBench]:
    def build(connectors: int = 1, link: dict | None = None, seed: int = 0,
              doc: dict | None = None) -> SlacBench:
        path = tmp_path / f"slac-{connectors}.yaml"
        path.write_text(yaml.safe_dump(doc or slac_station_doc(connectors, link)),
                        encoding="utf-8")
        return SlacBench(path, slac_registry, seed)

    return build
