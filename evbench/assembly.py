"""A station's modules on a clock and a bus: the one place a run's clock and bus are chosen.

Two assemblies exist:

- **in-process**: every module in this process on the in-process bus, on the virtual clock (a
  scenario run, as fast as the CPU allows) or on the wall clock (``evbench station``);
- **distributed**: each module group an OS process on an MQTT broker, on the wall clock
  (``factor`` wall seconds per simulated second); this process joins the broker as ``name``.

Whoever drives the station (the scenario runner, ``evbench station``) builds an assembly, adds
its own subscriptions and a tap on the bus, then calls ``start`` and, at the end, ``stop``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import simpy

from charger.framework import topics
from charger.framework.bus import Bus
from charger.framework.clocks import wall_clock_problems
from charger.framework.config import StationConfig
from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from charger.framework.virtualclock import VirtualClockEnvironment
from charger.framework.wallclock import WallClockEnvironment

Tap = Callable[[str, str, str, Any], None]  # kind, source, name, value: as the recorder takes
ManagerEvent = Callable[[str, str, dict], None]  # group, what, detail (on the supervisor thread)
READY_TIMEOUT_S = 60.0  # wall seconds for every module process to start and announce ready


@dataclass
class Assembly:
    env: simpy.Environment
    bus: Bus
    config: StationConfig
    station: Any = None  # charger.framework.station.Station, in-process
    manager: Any = None  # charger.framework.manager.ProcessManager, distributed
    bus_url: str | None = None
    seed: int = 0

    @property
    def distributed(self) -> bool:
        return self.manager is not None

    def tap(self, record: Tap) -> None:
        """Let ``record`` see every message on the bus, whichever bus it is."""
        if not self.distributed:
            self.bus.add_tap(record)
            return

        def from_broker(topic: topics.Topic, payload: Any) -> None:
            entry = topics.timeline_entry(topic, payload)
            if entry is not None:
                record(*entry)

        self.bus.watch_all(from_broker)  # type: ignore[attr-defined]

    def start(self, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        if not self.distributed:
            self.station.start()
            return
        from charger.framework.manager import launch

        launch(self.bus, self.manager, self.config, self.seed,  # type: ignore[arg-type]
               ready_timeout_s)

    def stop(self) -> None:
        if not self.distributed:
            self.station.shutdown()
            return
        from charger.framework.manager import land

        land(self.bus, self.manager)  # type: ignore[arg-type]

    def describe(self) -> str:
        if not self.distributed:
            clock = "wall clock" if isinstance(self.env, WallClockEnvironment) else "virtual time"
            return f"{len(self.station.modules)} modules running (in-process, {clock})"
        return (f"{len(self.config.modules)} modules in {len(self.manager.managed)} processes "
                f"on {self.bus_url}")


def assemble(config: StationConfig, registry: ModuleRegistry, *, seed: int,
             bus_url: str | None = None, wall_clock: bool = False, factor: float = 1.0,
             name: str = "manager",
             log_dir: Path | None = None, on_event: ManagerEvent | None = None) -> Assembly:
    """In-process when ``bus_url`` is None (on the wall clock only if ``wall_clock``), else
    distributed on that broker, where the module processes get their configuration from this
    process's manager over MQTT."""
    if bus_url is None:
        from charger.framework.inproc import InProcessBus
        from charger.framework.station import Station

        if not wall_clock:  # a module that needs real time (a network peer) cannot run here
            problems = wall_clock_problems(config, registry)
            if problems:
                raise ConfigError(problems)
        env = WallClockEnvironment(factor) if wall_clock else VirtualClockEnvironment()
        bus = InProcessBus(env)
        return Assembly(env, bus, config, station=Station(config, registry, bus, seed=seed))
    from charger.framework.manager import ProcessManager, module_command, process_groups
    from charger.framework.mqtt import MqttBus

    env = WallClockEnvironment(factor)
    bus = MqttBus(env, bus_url, name=name, default_timeout_s=config.call_timeout_s or 30.0)
    # The module processes ask this one for their configuration over MQTT (EVerest's way).
    manager = ProcessManager(process_groups(config), lambda ids: module_command(ids, bus_url),
                             log_dir=log_dir, on_event=on_event,
                             liveness_timeout_s=config.liveness_timeout_s)
    return Assembly(env, bus, config, manager=manager, bus_url=bus_url, seed=seed)
