"""The recorder: every bus message and every sampled signal of a run, with its simulated time.

It is the single source of truth of what happened: scenario conditions, expectations, BDD steps
and reports all read it, so nothing ever needs to sleep and look.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from charger.framework.bus import Bus
from reports.model import EVENT_COLUMNS, SIGNAL_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_PRIORITY = 2  # after every NORMAL (1) event of the same instant: samples see its outcome


@dataclass(frozen=True)
class Row:
    t: float
    source: str
    kind: str
    name: str
    value: Any
    text: str  # value as canonical JSON, frozen when recorded


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class Recorder:
    """Collects timeline rows; ``watch`` lets a caller see each row as it is recorded."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self.rows: list[Row] = []
        self._watchers: list[Callable[[Row], None]] = []

    def attach(self, bus: Bus) -> None:
        bus.add_tap(self.record)

    def record(self, kind: str, source: str, name: str, value: Any) -> None:
        row = Row(float(self.env.now), source, kind, name, value, to_json(value))
        self.rows.append(row)
        for watcher in tuple(self._watchers):
            watcher(row)

    def watch(self, watcher: Callable[[Row], None]) -> None:
        self._watchers.append(watcher)

    def unwatch(self, watcher: Callable[[Row], None]) -> None:
        self._watchers.remove(watcher)

    def events_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([(r.t, r.source, r.kind, r.name, r.text) for r in self.rows],
                            columns=list(EVENT_COLUMNS))


@dataclass(frozen=True)
class ConnectorProbe:
    """Where one connector's signals are published on the bus."""

    connector: int
    board: tuple[str, str]  # evse_board_support implementation (pilot states, contactors)
    ev_board: tuple[str, str] | None = None  # ev_board_support: pilot voltage and duty
    meter: tuple[str, str] | None = None  # powermeter
    car: tuple[str, str] | None = None  # car_simulator: state of charge


class _LateTimeout(simpy.events.Event):
    """A timeout that fires after everything else scheduled for the same instant.

    simpy's own Timeout always uses NORMAL priority; this follows its construction (mark the
    event ok and schedule it) with a later priority.
    """

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, SAMPLE_PRIORITY, delay)


class SignalSampler:
    """Keeps the latest published value of each signal and samples them all at an interval."""

    def __init__(self, env: simpy.Environment, bus: Bus, probes: list[ConnectorProbe],
                 grid: tuple[str, str] | None, interval_s: float = 1.0):
        self.env = env
        self.interval_s = interval_s
        self.rows: list[tuple] = []
        self.latest: dict[int, dict[str, Any]] = {}
        self.grid_limit_a = math.nan
        self._watchers: list[Callable[[], None]] = []
        for probe in probes:
            latest = self.latest[probe.connector] = {
                "cp_state": "A", "cp_voltage_v": math.nan, "pwm_duty_pct": math.nan,
                "contactor_closed": False, "current_l1_a": 0.0, "current_l2_a": 0.0,
                "current_l3_a": 0.0, "voltage_l1_v": 0.0, "power_w": 0.0, "energy_wh": 0.0,
                "soc_pct": math.nan}
            bus.subscribe(*probe.board, "event", self._on_board(latest))
            if probe.ev_board:
                bus.subscribe(*probe.ev_board, "measurement", self._on_measurement(latest))
            if probe.meter:
                bus.subscribe(*probe.meter, "powermeter", self._on_meter(latest))
            if probe.car:
                bus.subscribe(*probe.car, "ev_state", self._on_car(latest))
        if grid:
            bus.subscribe(*grid, "supply", self._on_supply)

    def start(self) -> simpy.Process:
        return self.env.process(self._run())

    def on_sample(self, watcher: Callable[[], None]) -> None:
        self._watchers.append(watcher)

    def off_sample(self, watcher: Callable[[], None]) -> None:
        self._watchers.remove(watcher)

    def sample(self) -> None:
        t = float(self.env.now)
        for connector in sorted(self.latest):
            s = self.latest[connector]
            self.rows.append((t, connector, s["cp_state"], s["cp_voltage_v"], s["pwm_duty_pct"],
                              s["contactor_closed"], s["current_l1_a"], s["current_l2_a"],
                              s["current_l3_a"], s["voltage_l1_v"], s["power_w"],
                              s["energy_wh"], s["soc_pct"], self.grid_limit_a))
        for watcher in tuple(self._watchers):
            watcher()

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(SIGNAL_COLUMNS))

    def _run(self):
        # The first sample is at the start; counting rows instead would wait 0 s forever on a
        # station without connectors, whose samples add no row.
        delay = 0.0
        while True:
            yield _LateTimeout(self.env, delay)
            self.sample()
            delay = self.interval_s

    # --- what each source contributes ----------------------------------------------------------
    @staticmethod
    def _on_board(latest: dict) -> Callable[[dict], None]:
        def update(value: dict) -> None:
            event = value["event"]
            if event in ("PowerOn", "PowerOff"):
                latest["contactor_closed"] = event == "PowerOn"
            else:
                latest["cp_state"] = event
        return update

    @staticmethod
    def _on_measurement(latest: dict) -> Callable[[dict], None]:
        def update(value: dict) -> None:
            latest["cp_voltage_v"] = value["cp_voltage_v"]
            duty = value["pwm_duty_pct"]
            latest["pwm_duty_pct"] = math.nan if duty is None else duty
        return update

    @staticmethod
    def _on_meter(latest: dict) -> Callable[[dict], None]:
        def update(value: dict) -> None:
            current = value.get("current_a", {})
            latest["current_l1_a"] = current.get("L1", 0.0)
            latest["current_l2_a"] = current.get("L2", 0.0)
            latest["current_l3_a"] = current.get("L3", 0.0)
            latest["voltage_l1_v"] = value.get("voltage_v", {}).get("L1", 0.0)
            latest["power_w"] = value["power_w"]["total"]
            latest["energy_wh"] = value["energy_wh_import"]["total"]
        return update

    @staticmethod
    def _on_car(latest: dict) -> Callable[[dict], None]:
        def update(value: dict) -> None:
            latest["soc_pct"] = value["soc_pct"]
        return update

    def _on_supply(self, value: dict) -> None:
        self.grid_limit_a = value["max_current_a"] if value["available"] else 0.0
