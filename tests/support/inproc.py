"""A station on the in-process bus, driven by hand, with every message recorded on the virtual
clock: the base of the test rigs that call a module's commands as its peers would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import simpy

from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.station import Station
from reports.recorder import Recorder, Row


class HandDrivenStation:
    def __init__(self, path: Path, registry: ModuleRegistry):
        self.env = simpy.Environment()
        self.bus = InProcessBus(self.env)
        self.recorder = Recorder(self.env)
        self.recorder.attach(self.bus)
        self.station = Station(load_station(path, registry), registry, self.bus)
        self.station.start()

    def call(self, module: str, impl: str, cmd: str, **args: Any) -> Any:
        """Call a command as a peer would and run the clock until it answers."""
        return self.env.run(until=self.bus.call("test", module, impl, cmd, args))

    def run_until(self, t: float) -> None:
        """Run the clock to ``t`` and process everything scheduled at ``t``."""
        self.env.run(until=t)
        while self.env.peek() == t:
            self.env.step()

    def advance(self, seconds: float) -> None:
        self.run_until(self.env.now + seconds)

    def rows(self, kind: str, name: str | None = None, source: str | None = None) -> list[Row]:
        return [r for r in self.recorder.rows if r.kind == kind
                and (name is None or r.name == name)
                and (source is None or r.source == source)]
