"""Shared fixtures of the framework tests: schema and module registries (with test-only
modules), station files written into tmp_path, and a small in-process station harness."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import simpy

from charger.framework.config import StationConfig, load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from reports.recorder import Recorder

HERE = Path(__file__).resolve().parent
TEST_MODULES = {
    name: f"evbench_testmods.modules:{name}"
    for name in ("Probe", "TwinValidator", "MissingHandler", "ExtraHandler", "Lifecycle")
}


@pytest.fixture(scope="session")
def schemas() -> SchemaRegistry:
    return SchemaRegistry()


@pytest.fixture(scope="session")
def _test_modules_importable() -> Iterator[None]:
    added = str(HERE) not in sys.path
    if added:
        sys.path.insert(0, str(HERE))
    yield
    if added and str(HERE) in sys.path:
        sys.path.remove(str(HERE))


@pytest.fixture
def registry(schemas: SchemaRegistry, _test_modules_importable: None) -> ModuleRegistry:
    """The built-in modules plus the test-only ones of ``evbench_testmods``."""
    reg = ModuleRegistry(schemas)
    reg._paths.update(TEST_MODULES)
    return reg


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write a dedented text file into tmp_path and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


class Harness:
    """A station on the in-process bus, started, with every message recorded."""

    def __init__(self, config: StationConfig, registry: ModuleRegistry, start: bool = True):
        self.env = simpy.Environment()
        self.bus = InProcessBus(self.env)
        self.recorder = Recorder(self.env)
        self.recorder.attach(self.bus)
        self.station = Station(config, registry, self.bus)
        if start:
            self.station.start()

    def call_event(self, module: str, impl: str, cmd: str, args: Any) -> simpy.Event:
        return self.bus.call("test", module, impl, cmd, args)

    def call(self, module: str, impl: str, cmd: str, args: Any) -> Any:
        """Call and run the clock until the reply; a failed call raises its CommandError."""
        return self.env.run(until=self.call_event(module, impl, cmd, args))

    def advance(self, seconds: float) -> None:
        self.env.run(until=self.env.now + seconds)

    def rows(self, kind: str, name: str | None = None) -> list:
        return [r for r in self.recorder.rows
                if r.kind == kind and (name is None or r.name == name)]


@pytest.fixture
def harness(registry: ModuleRegistry, write: Callable[..., Path]) -> Callable[..., Harness]:
    def _harness(station_yaml: str, start: bool = True) -> Harness:
        config = load_station(write("station.yaml", station_yaml), registry)
        return Harness(config, registry, start)

    return _harness


@pytest.fixture
def cached_cli_registries(monkeypatch: pytest.MonkeyPatch, registry: ModuleRegistry) -> None:
    """Let ``evbench`` in-process reuse this test's registries instead of loading every schema
    and module again on each call (the subprocess tests run the real thing)."""
    monkeypatch.setattr("charger.framework.schema.SchemaRegistry",
                        lambda *args, **kwargs: registry.schemas)
    monkeypatch.setattr("charger.framework.registry.ModuleRegistry", lambda schemas: registry)
