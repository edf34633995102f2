"""A running station: module instances built from a configuration, on one bus, one clock."""

from __future__ import annotations

import inspect
from collections.abc import Iterable

from charger.framework.bus import Bus
from charger.framework.config import StationConfig
from charger.framework.module import Module, ModuleContext
from charger.framework.registry import ModuleRegistry


class Station:
    """Builds the configured modules (all, or the subset this process hosts) and runs their
    lifecycle: ``init`` on every module, then ``ready``, later ``shutdown``."""

    def __init__(self, config: StationConfig, registry: ModuleRegistry, bus: Bus, seed: int = 0,
                 module_ids: Iterable[str] | None = None):
        self.config = config
        self.bus = bus
        hosted = set(module_ids) if module_ids is not None else set(config.modules)
        self.modules: dict[str, Module] = {}
        for inst in config.modules.values():
            if inst.id not in hosted:
                continue
            cls = registry.get(inst.module)
            ctx = ModuleContext(inst.id, inst.config, bus, registry.schemas, inst.connections,
                                seed, config.call_timeout_s, config.state_dir)
            self.modules[inst.id] = cls(ctx)

    def start(self) -> None:
        """The whole lifecycle up to running, when every module lives in this process."""
        self.init()
        self.run()

    def init(self) -> None:
        """``init`` every hosted module, then announce each ready (commands are served)."""
        for module in self.modules.values():
            self.bus.lifecycle(module.id, "init")
            self._guarded(module, module.init)
        for module in self.modules.values():
            self.bus.set_ready(module.id)

    def run(self) -> None:
        """Every module of the station is ready: call each hosted module's ``ready``."""
        for module in self.modules.values():
            outcome = self._guarded(module, module.ready)
            if inspect.isgenerator(outcome):
                module.start(outcome)

    def shutdown(self) -> None:
        for module in self.modules.values():
            self._guarded(module, module.shutdown)
            self.bus.lifecycle(module.id, "shutdown")
        self.bus.close()

    @property
    def exceptions(self) -> list[tuple[str, str]]:
        return [(m.id, e) for m in self.modules.values() for e in m.exceptions]

    @staticmethod
    def _guarded(module: Module, hook):
        try:
            return hook()
        except Exception as exc:  # noqa: BLE001 - one module's bug is reported, not fatal
            module._record_exception(exc)
            return None
