"""One OS process of a distributed station: some modules, an MQTT bus, the wall clock.

The process gets its modules' configuration (from a file, or from the manager over MQTT, as
EVerest's modules do), inits its modules and announces each ready, waits for ``everest/ready``
(whose epoch fixes simulated t=0 for every process), starts the heartbeats the manager's
liveness check listens to, runs the modules' ``ready`` hooks, and keeps going until SIGTERM or
SIGINT, when it shuts its modules down and leaves the broker cleanly.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from charger.framework.config import ModuleInstance, StationConfig
from charger.framework.errors import EvbenchError
from charger.framework.mqtt import MqttBus
from charger.framework.registry import ModuleRegistry
from charger.framework.station import Station
from charger.framework.wallclock import WallClockEnvironment

CONFIG_TIMEOUT_S = 30.0  # wall seconds to wait for the manager's answer
READY_AGAIN_S = 2.0  # while waiting for everest/ready, say ready again this often


def module_config_json(config: StationConfig, module_id: str, seed: int,
                       factor: float) -> dict[str, Any]:
    """What the manager hands a module process about ``module_id`` (inside EVerest's
    GetConfigResponse): its module, parameters and resolved connections, and the run's seed,
    factor and command timeout."""
    instance = config.modules[module_id]
    return {"module_id": module_id, "module": instance.module, "config": instance.config,
            "connections": {req: [list(target) for target in targets]
                            for req, targets in instance.connections.items()},
            "call_timeout_s": config.call_timeout_s, "seed": seed, "factor": factor,
            "state_dir": None if config.state_dir is None else str(config.state_dir)}


def _station_from_json(url: str, configs: dict[str, dict[str, Any]]) -> StationConfig:
    try:
        station = StationConfig(f"the manager on {url}")
        for module_id, data in configs.items():
            station.call_timeout_s = data.get("call_timeout_s")
            if data.get("state_dir") is not None:
                station.state_dir = Path(str(data["state_dir"]))
            station.modules[module_id] = ModuleInstance(
                module_id, str(data["module"]), dict(data.get("config") or {}), {}, station.path,
                connections={req: [(str(m), str(i)) for m, i in targets]
                             for req, targets in data.get("connections", {}).items()})
        return station
    except (KeyError, TypeError, ValueError) as error:
        raise EvbenchError(f"unreadable configuration from the manager on {url}: "
                           f"{error!r}") from None


def run_module_process(config: StationConfig | None, module_ids: list[str], url: str,
                       registry: ModuleRegistry, factor: float | None = None,
                       seed: int | None = None) -> int:
    """Run ``module_ids`` of ``config`` (None: ask the manager for their configuration)."""
    if config is not None:
        unknown = [m for m in module_ids if m not in config.modules]
        if unknown:
            raise EvbenchError(f"{config.path} has no module {', '.join(unknown)} "
                               f"(modules: {', '.join(config.modules)})")
    env = WallClockEnvironment(factor or 1.0)
    bus = MqttBus(env, url, name="+".join(module_ids))
    finished = env.finish_on_signals()
    bus.connect()
    remembered: dict[str, dict] = {}
    if config is None:
        fetched = {m: bus.request_config(m, CONFIG_TIMEOUT_S) for m in module_ids}
        config = _station_from_json(url, fetched)
        first = next(iter(fetched.values()))
        seed = seed if seed is not None else int(first.get("seed") or 0)
        env.set_factor(factor or float(first.get("factor") or 1.0))
        remembered = {m: d["state"] for m, d in fetched.items() if isinstance(d.get("state"), dict)}
    for module_id, state in remembered.items():
        bus.restore(module_id, state)
    bus.default_timeout_s = config.call_timeout_s or 30.0
    station = Station(config, registry, bus, seed=seed or 0, module_ids=module_ids)
    try:
        station.init()
        epoch = None
        waited = 0.0
        while epoch is None and not env.stopping.is_set():
            epoch = bus.wait_everest_ready(timeout_s=0.2)
            waited += 0.2
            if epoch is None and waited >= READY_AGAIN_S:
                bus.announce_ready()  # the manager may have missed it (a broker restart)
                waited = 0.0
        if epoch is not None:
            if bus.factor:
                env.set_factor(bus.factor)  # the station's pace, whatever it was told
            env.start_at(epoch, time.time())
            bus.start_heartbeats()
            station.run()
            env.run(until=finished)
    finally:
        station.shutdown()
    return 0
