"""A station on the wall clock for tests: the in-process bus on a ``WallClockEnvironment``,
running on a thread of the test process (``WallStation``) or as an OS process of its own
(``station_main.py``), with every bus message recorded.

Tests wait on recorded rows with timeouts (``wait_for``) and assert on what was recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from charger.framework.wallclock import WallClockEnvironment
from reports.recorder import Recorder, Row

_SCHEMAS: SchemaRegistry | None = None


def registry() -> ModuleRegistry:
    global _SCHEMAS
    if _SCHEMAS is None:
        _SCHEMAS = SchemaRegistry()
    return ModuleRegistry(_SCHEMAS)


# Reconnect within 1-2 s then 2-4 s (the default back-off would make tests wait longer).
FAST_BACKOFF = {"retry_backoff_wait_minimum": 1, "retry_backoff_random_range": 1,
                "retry_backoff_repeat_times": 1}


def ocpp_station(version: str, link: dict, database: str = ":memory:",
                 configuration: dict | None = None, car_script: str = "",
                 cp_id: str = "CP-1") -> dict:
    """A one-connector station whose OCPP module talks through ``link`` (a module entry)."""
    module = "Ocpp16" if version == "1.6" else "Ocpp201"
    car = {"module": "SimCar", "config": {"profile": "sedan-3ph-11kw", "soc_pct": 30,
                                          "script": car_script},
           "connections": {"ev_board": "board1.ev_board"}}
    return {"description": f"test station, OCPP {version} over a WebSocket", "active_modules": {
        "grid": {"module": "SimGrid", "config": {"max_current_a": 63}},
        "board1": {"module": "SimBoard", "config": {"max_current_a": 32, "phases": 3},
                   "connections": {"grid": "grid.supply"}},
        "car1": car,
        "rfid": {"module": "SimRfidReader"},
        "link": link,
        "ocpp": {"module": module, "config": {
            "charge_point_id": cp_id, "database": database, "response_timeout_s": 300,
            "boot_retry_s": 2, "reboot_s": 1,
            "configuration": {**FAST_BACKOFF, **(configuration or {})}},
            "connections": {"link": "link.link", "evse_manager": "evse1",
                            "powermeter": "board1.meter", "connector_lock": "board1.lock",
                            "auth": "auth"}},
        "evse1": {"module": "EvseManager", "config": {
            "connector_id": 1, "max_current_a": 32, "phases": 3, "energy_managed": True},
            "connections": {"board": "board1.board", "rcd": "board1.rcd", "lock": "board1.lock",
                            "powermeter": "board1.meter",
                            "external_limits": "ocpp.energy_limits"}},
        "auth": {"module": "Auth", "config": {"connection_timeout_s": 120},
                 "connections": {"token_provider": ["rfid.tokens", "ocpp.auth_provider"],
                                 "token_validator": "ocpp.auth_validator",
                                 "evse_manager": "evse1"}},
        "grid_connection": {"module": "EnergyNode", "config": {
            "node_type": "Grid", "fuse_limit_a": 63},
            "connections": {"children": "evse1.energy", "supply": "grid.supply",
                            "external_limits": "ocpp.energy_limits"}},
        "energy_manager": {"module": "EnergyManager", "config": {"settle_s": 1},
                           "connections": {"root": "grid_connection"}},
    }}


def websocket_link(url: str, cp_id: str = "CP-1", **config: Any) -> dict:
    return {"module": "OcppWebSocketLink", "config": {
        "url": url, "charge_point_id": cp_id, "open_timeout_s": 5, **config}}


def write_station(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


class WallStation:
    """A station running on the wall clock on a background thread of the test process."""

    def __init__(self, station_file: Path, factor: float = 0.05):
        self.registry = registry()
        self.config = load_station(station_file, self.registry)
        self.env = WallClockEnvironment(factor)
        self.bus = InProcessBus(self.env)
        self.recorder = Recorder(self.env)
        self.recorder.attach(self.bus)
        self.station = Station(self.config, self.registry, self.bus)
        self._stop = self.env.event()
        self._cond = threading.Condition()
        self.recorder.watch(self._notify)
        self._thread = threading.Thread(target=self._run, name="wall-station", daemon=True)
        self.error: BaseException | None = None

    def _notify(self, _row: Row) -> None:
        with self._cond:
            self._cond.notify_all()

    def _run(self) -> None:
        try:
            self.station.start()
            self.env.run(until=self._stop)
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.error = exc
        finally:
            self.station.shutdown()
            with self._cond:
                self._cond.notify_all()

    def __enter__(self) -> WallStation:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.env.post(lambda: None if self._stop.triggered else self._stop.succeed())
            self._thread.join(20)
        if self.error is not None:
            raise self.error

    @property
    def rows(self) -> list[Row]:
        return list(self.recorder.rows)

    def wait_for(self, match: Callable[[Row], bool], timeout: float = 20.0, count: int = 1,
                 what: str = "row") -> Row:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                hits = [r for r in self.rows if match(r)]
                if len(hits) >= count:
                    return hits[count - 1]
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise TimeoutError(f"no {what} within {timeout} s")
                self._cond.wait(min(left, 0.5))

    def call(self, module: str, impl: str, command: str, timeout: float = 20.0,
             **args: Any) -> Any:
        """Call a command from the test thread; the result (or the CommandError raised)."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def issue() -> None:
            event = self.bus.call("test", module, impl, command, args)

            def finished(ev: Any) -> None:
                if ev.ok:
                    box["value"] = ev.value
                else:
                    ev.defused = True
                    box["error"] = ev.value
                done.set()
            event.callbacks.append(finished)

        self.env.post(issue)
        if not done.wait(timeout):
            raise TimeoutError(f"{module}.{impl}.{command} gave no result within {timeout} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")


def ocpp_messages(rows: list[Row], source: str = "ocpp.main") -> list[dict]:
    return [r.value for r in rows if r.kind == "var" and r.name == "ocpp_message"
            and r.source == source]


def pwm_duties(rows: list[Row], board: str = "board1") -> list[tuple[float, float]]:
    """(t, duty %) of every PWM the charger switched on."""
    return [(r.t, r.value["args"]["duty_cycle_pct"]) for r in rows
            if r.kind == "cmd" and r.name == f"{board}.board.pwm_on"]
