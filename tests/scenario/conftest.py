"""Fixtures of the scenario tests: a directory with the shipped one-connector station, and
scenario files written into it."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry

REPO = Path(__file__).resolve().parents[2]
STATION = REPO / "scenarios" / "stations" / "ac-1-connector.yaml"


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """tmp_path with ``stations/ac-1-connector.yaml`` (the shipped station) in it."""
    (tmp_path / "stations").mkdir()
    shutil.copy(STATION, tmp_path / "stations" / STATION.name)
    return tmp_path


@pytest.fixture
def write(scenario_dir: Path) -> Callable[[str, str], Path]:
    def _write(name: str, text: str) -> Path:
        path = scenario_dir / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def cached_cli_registries(monkeypatch: pytest.MonkeyPatch, registry: ModuleRegistry) -> None:
    """Let ``evbench`` in-process reuse this test's registries instead of loading every schema
    and module again on each call (the subprocess tests run the real thing)."""
    monkeypatch.setattr("charger.framework.schema.SchemaRegistry",
                        lambda *args, **kwargs: registry.schemas)
    monkeypatch.setattr("charger.framework.registry.ModuleRegistry", lambda schemas: registry)
