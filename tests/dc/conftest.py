"""The simulated DC hardware (SimDcPowerPath) on the in-process bus, driven by hand from the
charger's side and the car's side, every message recorded on the virtual clock."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from reports.recorder import Row
from tests.support.inproc import HandDrivenStation


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


class DcRig(HandDrivenStation):
    """One SimDcPowerPath (``dc``), its interfaces called as the EVSE manager and the car would."""

    def __init__(self, path: Path, registry: ModuleRegistry):
        super().__init__(path, registry)
        self.module = self.station.modules["dc"]
        while self.env.peek() == 0.0:  # every module ready, the first readings published
            self.env.step()

    # One module under test: its commands and rows are named by implementation alone.
    def call(self, impl: str, cmd: str, **args: Any) -> Any:  # type: ignore[override]
        return super().call("dc", impl, cmd, **args)

    def rows(self, kind: str, name: str | None = None,  # type: ignore[override]
             impl: str | None = None) -> list[Row]:
        return super().rows(kind, name, None if impl is None else f"dc.{impl}")

    def series(self, var: str, impl: str, key: str) -> list[tuple[float, float]]:
        return [(r.t, r.value[key]) for r in self.rows("var", var, impl)]

    def errors(self, impl: str) -> list[tuple[float, str, bool]]:
        """(time, error name without its interface, raised) for each error report."""
        return [(r.t, r.name.rpartition("/")[2], r.kind == "error_raised")
                for r in self.recorder.rows
                if r.kind in ("error_raised", "error_cleared") and r.source == f"dc.{impl}"]

    def export(self, voltage_v: float, current_a: float) -> None:
        self.call("power_supply", "set_export_voltage_current", voltage_v=voltage_v,
                  current_a=current_a)
        self.call("power_supply", "set_mode", mode="Export")


@pytest.fixture
def dc_rig(tmp_path: Path, registry: ModuleRegistry) -> Callable[..., DcRig]:
    def _rig(config: str = "") -> DcRig:
        text = textwrap.dedent(f"""\
            active_modules:
              dc:
                module: SimDcPowerPath
                config: {{{config}}}
            """)
        path = tmp_path / "station.yaml"
        path.write_text(text, encoding="utf-8")
        return DcRig(path, registry)

    return _rig


@pytest.fixture
def dc_car_rig(tmp_path: Path, registry: ModuleRegistry) -> Callable[..., DcRig]:
    """SimDcPowerPath ``dc`` with a SimCar ``car`` on its inlet (and a pilot board)."""
    def _rig(car: str = "profile: hyundai-ioniq5-72", dc: str = "") -> DcRig:
        text = textwrap.dedent(f"""\
            active_modules:
              grid:
                module: SimGrid
              board1:
                module: SimBoard
                connections:
                  grid: grid.supply
              dc:
                module: SimDcPowerPath
                config: {{{dc}}}
              car:
                module: SimCar
                config: {{{car}}}
                connections:
                  ev_board: board1.ev_board
                  ev_dc: dc.ev_dc
            """)
        path = tmp_path / "station.yaml"
        path.write_text(text, encoding="utf-8")
        return DcRig(path, registry)

    return _rig
