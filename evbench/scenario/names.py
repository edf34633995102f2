"""The names a station really has, read from its manifests and interfaces: what a scenario's
conditions, expectations and steps may name. Built once per scenario by ``build_world``."""

from __future__ import annotations

from dataclasses import dataclass, field

from charger.framework.config import StationConfig
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import InterfaceSpec


@dataclass(frozen=True)
class StationNames:
    # module id -> implementation id -> its interface
    implementations: dict[str, dict[str, InterfaceSpec]] = field(default_factory=dict)
    steps: frozenset[str] = frozenset()  # step ids and the actions of the scenario's steps
    # connector -> the module ids that make it up (EVSE manager, board, car)
    connector_modules: dict[int, frozenset[str]] = field(default_factory=dict)

    @property
    def connectors(self) -> frozenset[int]:
        return frozenset(self.connector_modules)

    def interfaces(self, connector: int | None = None) -> list[InterfaceSpec]:
        return [spec for module, impls in self._on(connector).items()
                for spec in impls.values()]

    def _on(self, connector: int | None) -> dict[str, dict[str, InterfaceSpec]]:
        """The implementations of the whole station, or of one connector's modules."""
        if connector is None:
            return self.implementations
        modules = self.connector_modules.get(connector, frozenset())
        return {m: impls for m, impls in self.implementations.items() if m in modules}

    def variables(self, connector: int | None = None) -> dict[str, list[str]]:
        """Variable name -> the ``module.impl`` sources that publish it (on the connector)."""
        out: dict[str, list[str]] = {}
        for module, impls in self._on(connector).items():
            for impl, spec in impls.items():
                for var in spec.vars:
                    out.setdefault(var, []).append(f"{module}.{impl}")
        return out

    def error_types(self, connector: int | None = None) -> list[str]:
        """Every error type a module of the station (of the connector) can raise,
        ``interface/Name``."""
        return sorted({spec.error_type(name) for spec in self.interfaces(connector)
                       for name in spec.errors})

    def enum_of(self, interface: str, var: str, key: str) -> list[str]:
        """The values a field of a variable may take, where a module of the station provides
        that interface (none where none does)."""
        for spec in self.interfaces():
            if spec.name == interface and var in spec.vars:
                schema = spec.vars[var].schema.get("properties", {}).get(key, {})
                return list(schema.get("enum", []))
        return []


def station_names(station: StationConfig, registry: ModuleRegistry,
                  connector_modules: dict[int, frozenset[str]],
                  steps: frozenset[str]) -> StationNames:
    schemas = registry.schemas
    implementations = {
        inst.id: {impl: schemas.interface(p.interface)
                  for impl, p in registry.get(inst.module).manifest.provides.items()}
        for inst in station.modules.values()}
    return StationNames(implementations, steps, connector_modules)
