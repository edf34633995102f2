"""Module manifests: what a module provides, requires and accepts as configuration (YAML data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from charger.framework.errors import ConfigError
from charger.framework.schema import SchemaCheck, SchemaRegistry, document_problems
from charger.framework.yamlio import line_at, load_yaml

_MANIFEST_SCHEMA = {
    "type": "object",
    "required": ["description"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        # "wall": the module talks to something outside the simulation (a real backend, a bench
        # device) and only works on the wall clock; "any" (default): either clock.
        "clock": {"enum": ["any", "wall"]},
        "config": {"type": "object", "additionalProperties": {"type": "object"}},
        "provides": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["interface"], "additionalProperties": False,
            "properties": {"interface": {"type": "string"}, "description": {"type": "string"}}}},
        "requires": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["interface"], "additionalProperties": False,
            "properties": {"interface": {"type": "string"}, "description": {"type": "string"},
                           "min_connections": {"type": "integer", "minimum": 0},
                           "max_connections": {"type": "integer", "minimum": 1},
                           "tree": {"type": "boolean"}}}},
    },
}


@dataclass(frozen=True)
class Provided:
    interface: str
    description: str = ""


@dataclass(frozen=True)
class Required:
    interface: str
    min_connections: int = 1
    max_connections: int = 1
    description: str = ""
    # The connections of this requirement, followed from module to module (through every
    # requirement of the same interface marked so), form a tree: no cycle, one parent each.
    tree: bool = False


@dataclass
class Manifest:
    name: str
    description: str
    path: str
    clock: str = "any"  # "wall": needs the wall clock (see wall_clock_problems)
    config: dict[str, dict] = field(default_factory=dict)
    provides: dict[str, Provided] = field(default_factory=dict)
    requires: dict[str, Required] = field(default_factory=dict)

    def config_schema(self) -> dict:
        return {"type": "object", "properties": self.config, "additionalProperties": False,
                "required": [k for k, v in self.config.items() if "default" not in v]}

    def config_defaults(self) -> dict:
        return {k: v["default"] for k, v in self.config.items() if "default" in v}

    @cached_property
    def check_parameter(self) -> dict[str, SchemaCheck]:
        """A check per parameter, compiled once for every instance of the module (a fleet
        station has a thousand of some)."""
        return {key: SchemaCheck(schema) for key, schema in self.config.items()}


def load_manifest(name: str, path: Path, schemas: SchemaRegistry) -> Manifest:
    """Read and check a manifest; interfaces it names must exist in ``schemas``."""
    doc = load_yaml(path)
    problems = document_problems(doc, _MANIFEST_SCHEMA, str(path))
    if problems:
        raise ConfigError(problems)
    manifest = Manifest(name, doc["description"], str(path), doc.get("clock", "any"))
    for key, schema in doc.get("config", {}).items():
        manifest.config[key] = schemas.resolve(schema, str(path), line_at(doc, ["config", key]))
    for impl, spec in doc.get("provides", {}).items():
        manifest.provides[impl] = Provided(spec["interface"], spec.get("description", ""))
    for req, spec in doc.get("requires", {}).items():
        manifest.requires[req] = Required(spec["interface"], spec.get("min_connections", 1),
                                          spec.get("max_connections", 1),
                                          spec.get("description", ""), spec.get("tree", False))
    for section, entries in (("provides", manifest.provides), ("requires", manifest.requires)):
        for key, entry in entries.items():
            if entry.interface not in schemas.interfaces:
                raise ConfigError.single(str(path), line_at(doc, [section, key, "interface"]),
                                         f"{section}/{key}: unknown interface "
                                         f"{entry.interface!r}")
    return manifest
