"""One connector on the in-process bus (grid, board, car, EVSE manager), driven by hand, with
every message recorded on the virtual clock; and scenarios run against the shipped stations."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from tests.invariants.conftest import run_yaml  # noqa: F401 - a fixture used here too
from tests.support.inproc import HandDrivenStation

# A board that refuses or ignores chosen commands: the test double for a faulty board driver.
TEST_MODULES = {"FaultyBoard": "tests.evse_manager.faulty_board:FaultyBoard"}
TOKEN = {"id_token": "AABBCCDD", "type": "RFID"}


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    reg = ModuleRegistry(SchemaRegistry())
    reg._paths.update(TEST_MODULES)
    return reg


class Connector(HandDrivenStation):
    """``grid``, ``board1`` (SimBoard or FaultyBoard), ``car`` (SimCar), ``evse1``."""

    def __init__(self, path: Path, registry: ModuleRegistry):
        super().__init__(path, registry)
        self.board = self.station.modules["board1"]
        self.evse = self.station.modules["evse1"]
        self.car = self.station.modules["car"]
        self.advance(0.5)

    def manager(self, cmd: str, **args: Any) -> Any:
        return self.call("evse1", "evse", cmd, **args)

    def driver(self, cmd: str, **args: Any) -> Any:
        return self.call("car", "car", cmd, **args)

    def hardware_fault(self, fault: str, active: bool = True) -> None:
        self.call("board1", "control", "set_fault", fault=fault, active=active)


    def published_state(self) -> str:
        return self.rows("var", "state", "evse1.evse")[-1].value

    def raised(self, name: str) -> list[float]:
        return [r.t for r in self.rows("error_raised", f"evse_manager/{name}")]

    def cleared(self, name: str) -> list[float]:
        return [r.t for r in self.rows("error_cleared", f"evse_manager/{name}")]

    def session_events(self) -> list[str]:
        return [r.value["event"] for r in self.rows("var", "session_event", "evse1.evse")]

    def charge(self) -> None:
        """Plug in, authorize, and charge for a few seconds."""
        self.driver("plug_in")
        self.advance(1.0)
        assert self.manager("authorize", token=TOKEN)
        self.advance(5.0)
        assert self.board.relays_closed and self.evse.state == "Charging"


@pytest.fixture
def connector(tmp_path: Path, registry: ModuleRegistry) -> Callable[..., Connector]:
    def _connector(board: str = "SimBoard", board_config: str = "", evse_config: str = "",
                   car_config: str = "") -> Connector:
        text = textwrap.dedent(f"""\
            active_modules:
              grid:
                module: SimGrid
              board1:
                module: {board}
                config: {{{board_config}}}
                connections: {{grid: grid.supply}}
              car:
                module: SimCar
                config: {{{car_config}}}
                connections: {{ev_board: board1.ev_board}}
              evse1:
                module: EvseManager
                config: {{max_current_a: 16, {evse_config}}}
                connections:
                  board: board1.board
                  rcd: board1.rcd
                  lock: board1.lock
                  powermeter: board1.meter
            """)
        path = tmp_path / "station.yaml"
        path.write_text(text, encoding="utf-8")
        return Connector(path, registry)

    return _connector
