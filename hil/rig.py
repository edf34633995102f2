"""Rig files: which bench device stands in for each part of a station, and where it is.

A rig file overlays a station configuration (the one a scenario names, or one given to
``rig check``): each part names a module id of the station, which it replaces, or a new id, and
says which backend it is and where the device is (port, baud rate, host, Modbus unit, register
map...: the configuration of the backend's module). ``serves`` rewires requirements of other
modules to the part. The format is in docs/rig.md; every problem is reported with file:line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charger.framework.config import ModuleInstance, StationConfig
from charger.framework.errors import ConfigError, EvbenchError, Problem
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import document_problems
from charger.framework.yamlio import LineDict, line_at, load_yaml
from hil.backends import Backend, get_backend

PART_KEYS = ("backend", "serves", "emulate")  # the rest of a part is its module's configuration
REQUIREMENT = r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"

RIG_SCHEMA = {
    "type": "object",
    "required": ["parts"],
    "additionalProperties": False,
    "properties": {
        "rig": {"type": "string"},
        "description": {"type": "string"},
        "simulated_grid": {"type": "boolean"},
        "parts": {
            "type": "object", "minProperties": 1,
            "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_-]*$"},
            "additionalProperties": {
                "type": "object", "required": ["backend"],
                "properties": {
                    "backend": {"type": "string"},
                    "serves": {"type": "array", "items": {"type": "string",
                                                          "pattern": REQUIREMENT}},
                    "emulate": {"type": "object"},
                },
            },
        },
    },
}


@dataclass
class Part:
    id: str
    backend: Backend
    module: str  # the module it becomes
    config: dict[str, Any]
    serves: list[str]
    emulate: dict[str, Any]
    doc: LineDict

    def line(self, *keys: str | int) -> int | None:
        return line_at(self.doc, list(keys))


@dataclass
class Rig:
    path: str
    title: str
    parts: dict[str, Part] = field(default_factory=dict)
    simulated_grid: bool = False  # the bench's supply follows the simulated grid

    def overlay(self, station: StationConfig, registry: ModuleRegistry) -> None:
        """Put the rig's parts into ``station`` (before its wiring is resolved)."""
        problems: list[Problem] = []
        for part in self.parts.values():
            manifest = registry.get(part.module).manifest
            old = station.modules.get(part.id)
            connections = {req: targets for req, targets in (old.raw_connections if old else {})
                           .items() if req in manifest.requires}
            station.modules[part.id] = ModuleInstance(part.id, part.module, dict(part.config),
                                                      connections, self.path, _instance_doc(part))
            for index, target in enumerate(part.serves):
                module_id, _, requirement = target.partition(".")
                line = part.line("serves", index)
                inst = station.modules.get(module_id)
                if inst is None:
                    problems.append(Problem(self.path, line, f"{part.id}: serves {target}: the "
                                            f"station has no module {module_id!r}"))
                    continue
                required = registry.get(inst.module).manifest.requires.get(requirement)
                if required is None:
                    problems.append(Problem(self.path, line, f"{part.id}: serves {target}: "
                                            f"{inst.module} has no requirement {requirement!r}"))
                    continue
                impls = [i for i, p in manifest.provides.items()
                         if p.interface == required.interface]
                if not impls:
                    problems.append(Problem(self.path, line, f"{part.id}: serves {target}: "
                                            f"{part.module} provides no {required.interface}"))
                    continue
                inst.raw_connections[requirement] = [f"{part.id}.{impls[0]}"]
        for part in self.parts.values():
            if part.backend.overlay is not None:
                problems += part.backend.overlay(part, self, station, registry)
        if problems:
            raise ConfigError(problems)


def _instance_doc(part: Part) -> LineDict:
    """A station-entry-shaped node with the rig file's lines, for the station's checks."""
    config = LineDict(part.config)
    config.line, config.key_lines = part.doc.line, dict(part.doc.key_lines)
    doc = LineDict({"module": part.module, "config": config})
    doc.line = part.doc.line
    doc.key_lines = {"module": part.doc.line_of("backend"), "config": part.doc.line}
    return doc


def load_rig(path: str | Path, registry: ModuleRegistry) -> Rig:
    """Read and check a rig file; ConfigError with file:line for everything wrong."""
    path = str(path)
    doc = load_yaml(path)
    problems = document_problems(doc, RIG_SCHEMA, path)
    if problems:
        raise ConfigError(problems)
    rig = Rig(path, doc.get("rig", Path(path).stem), simulated_grid=doc.get("simulated_grid",
                                                                             False))
    for part_id, entry in doc["parts"].items():
        line = line_at(entry, ["backend"])
        try:
            backend = get_backend(entry["backend"])
        except EvbenchError as exc:
            problems.append(Problem(path, line, f"parts/{part_id}: {exc}"))
            continue
        config = {k: v for k, v in entry.items() if k not in PART_KEYS}
        module = backend.module(config)
        manifest = registry.get(module).manifest
        found = document_problems(_config_node(entry, config), manifest.config_schema(), path)
        problems += [Problem(p.path, p.line, f"parts/{part_id} ({backend.name}): {p.reason}")
                     for p in found]
        if found:
            continue
        full = {**manifest.config_defaults(), **config}
        rig.parts[part_id] = Part(part_id, backend, module, full, list(entry.get("serves", [])),
                                  dict(entry.get("emulate", {})), entry)
    if problems:
        raise ConfigError(problems)
    return rig


def _config_node(entry: LineDict, config: dict) -> LineDict:
    node = LineDict(config)
    node.line, node.key_lines = entry.line, dict(entry.key_lines)
    return node

