"""One OS process of a distributed station: some modules, an MQTT bus, the wall clock.

The process inits its modules and announces each ready, waits for ``everest/ready`` (whose epoch
fixes simulated t=0 for every process), runs the modules' ``ready`` hooks, and keeps going until
SIGTERM or SIGINT, when it shuts its modules down and leaves the broker cleanly.
"""

from __future__ import annotations

import time

from charger.framework.config import StationConfig
from charger.framework.errors import EvbenchError
from charger.framework.mqtt import MqttBus
from charger.framework.registry import ModuleRegistry
from charger.framework.station import Station
from charger.framework.wallclock import WallClockEnvironment


def run_module_process(config: StationConfig, module_ids: list[str], url: str,
                       registry: ModuleRegistry, factor: float = 1.0, seed: int = 0) -> int:
    unknown = [m for m in module_ids if m not in config.modules]
    if unknown:
        raise EvbenchError(f"{config.path} has no module {', '.join(unknown)} "
                           f"(modules: {', '.join(config.modules)})")
    env = WallClockEnvironment(factor)
    bus = MqttBus(env, url, name="+".join(module_ids),
                  default_timeout_s=config.call_timeout_s or 30.0)
    finished = env.finish_on_signals()
    bus.connect()
    station = Station(config, registry, bus, seed=seed, module_ids=module_ids)
    try:
        station.init()
        epoch = None
        while epoch is None and not env.stopping.is_set():
            epoch = bus.wait_everest_ready(timeout_s=0.2)
        if epoch is not None:
            env.start_at(epoch, time.time())
            station.run()
            env.run(until=finished)
    finally:
        station.shutdown()
    return 0
