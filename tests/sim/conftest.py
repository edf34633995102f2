"""A simulated plug on the in-process bus, driven by hand from the charger's side and/or the
car's side, with every message recorded on the virtual clock."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from tests.support.inproc import HandDrivenStation


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


class Plug(HandDrivenStation):
    """SimGrid + SimBoard (``board1``) and, optionally, a SimCar (``car``) on the board."""

    def __init__(self, path: Path, registry: ModuleRegistry):
        super().__init__(path, registry)
        self.board = self.station.modules["board1"]

    def charger(self, cmd: str, **args: Any) -> Any:
        return self.call("board1", "board", cmd, **args)

    def ev(self, cmd: str, **args: Any) -> Any:
        return self.call("board1", "ev_board", cmd, **args)

    def measurement(self) -> dict:
        return self.rows("var", "measurement")[-1].value

    def board_events(self) -> list[tuple[float, str]]:
        return [(r.t, r.value["event"]) for r in self.rows("var", "event", "board1.board")]


@pytest.fixture
def plug(tmp_path: Path, registry: ModuleRegistry) -> Callable[..., Plug]:
    def _plug(board: str = "", car: str | None = None, grid: str = "") -> Plug:
        text = textwrap.dedent(f"""\
            active_modules:
              grid:
                module: SimGrid
                config: {{{grid}}}
              board1:
                module: SimBoard
                config: {{{board}}}
                connections:
                  grid: grid.supply
            """)
        if car is not None:
            text += textwrap.indent(textwrap.dedent(f"""\
                car:
                  module: SimCar
                  config: {{{car}}}
                  connections:
                    ev_board: board1.ev_board
                """), "  ")
        path = tmp_path / "station.yaml"
        path.write_text(text, encoding="utf-8")
        return Plug(path, registry)

    return _plug
