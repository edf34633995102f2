"""Fixtures of the EVerest import tests: the EVerest configurations in configs/ (written for
these tests after the shapes of everest-core's SIL configurations), and importing them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.cli import main

CONFIGS = Path(__file__).resolve().parent / "configs"
AC_CONFIGS = ["ac-one-connector.yaml", "ac-two-connectors-ocpp16.yaml",
              "ac-two-connectors-ocpp201.yaml", "ac-energy-tree.yaml", "legacy-top-level.yaml",
              "legacy-tabs.json"]
ALL_CONFIGS = sorted(p.name for p in CONFIGS.iterdir())


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


def line_of(path: Path, text: str, nth: int = 1) -> int:
    """The line of the nth line of ``path`` that contains ``text``."""
    hits = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(hits) >= nth, f"{text!r} is not in {path.name}"
    return hits[nth - 1]


@pytest.fixture
def import_cli(tmp_path: Path, capsys) -> Callable[..., tuple[int, str, Path]]:
    """Run 'evbench import everest CONFIG -o tmp/out/station.yaml'; (exit code, stderr,
    station path)."""
    def run(config: Path | str, *extra: str) -> tuple[int, str, Path]:
        station = tmp_path / "out" / "station.yaml"
        code = main(["import", "everest", str(config), "-o", str(station), *extra])
        return code, capsys.readouterr().err, station
    return run
