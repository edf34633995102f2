"""Station configuration: which module instances, their parameters, and how they are wired.

::

    description: One AC connector with RFID
    active_modules:
      evse1:
        module: EvseManager
        config: {connector_id: 1, max_current_a: 32}
        connections:
          board: board1.board          # module_id.impl_id
          auth: [auth]                 # or a module id whose implementation is unambiguous

A configuration is checked as a whole before anything starts; every problem is reported with
the file and line it is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charger.framework.errors import ConfigError, EvbenchError, Problem
from charger.framework.module import ModuleDefinitionError
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import document_problems
from charger.framework.yamlio import LineDict, line_at, load_yaml

_MODULE_ID = "^[A-Za-z][A-Za-z0-9_-]*$"
_TARGET = {"oneOf": [
    {"type": "string", "minLength": 1},
    {"type": "object", "required": ["module_id"], "additionalProperties": False,
     "properties": {"module_id": {"type": "string"}, "implementation_id": {"type": "string"}}},
]}
_STATION_SCHEMA = {
    "type": "object",
    "required": ["active_modules"],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "settings": {"type": "object", "additionalProperties": False, "properties": {
            "call_timeout_s": {"type": "number", "exclusiveMinimum": 0},
            "liveness_timeout_s": {"type": "number", "exclusiveMinimum": 0},
            "process_groups": {"type": "object", "additionalProperties": {
                "type": "array", "items": {"type": "string"}, "minItems": 1}},
        }},
        "active_modules": {
            "type": "object", "minProperties": 1,
            "propertyNames": {"pattern": _MODULE_ID},
            "additionalProperties": {
                "type": "object", "required": ["module"], "additionalProperties": False,
                "properties": {
                    "module": {"type": "string"},
                    "external": {"type": "boolean"},
                    "config": {"type": "object"},
                    "connections": {"type": "object", "additionalProperties": {
                        "oneOf": [_TARGET, {"type": "array", "items": _TARGET}]}},
                }}},
    },
}


@dataclass
class ModuleInstance:
    """One configured module instance, with where it was written down."""

    id: str
    module: str
    config: dict[str, Any]
    raw_connections: dict[str, list[Any]]
    path: str
    doc: Any = None  # the YAML node, for line numbers
    connections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def line(self, *keys: str | int) -> int | None:
        return line_at(self.doc, list(keys)) if self.doc is not None else None


@dataclass
class StationConfig:
    path: str
    description: str = ""
    modules: dict[str, ModuleInstance] = field(default_factory=dict)
    call_timeout_s: float | None = None
    process_groups: dict[str, list[str]] = field(default_factory=dict)  # distributed mode
    external: set[str] = field(default_factory=set)  # modules someone else starts (MQTT)
    liveness_timeout_s: float = 10.0  # a module silent this long (wall s) is restarted (MQTT)
    # Where modules keep files that outlive a process (OCPP's queue and transactions): given by
    # the run (evbench run: inside its report directory; evbench station: --state-dir).
    state_dir: Path | None = None


def load_station(path: str | Path, registry: ModuleRegistry, doc: Any = None) -> StationConfig:
    """Read and fully check a station configuration file (``doc``: its content, when the
    caller has read it already)."""
    station = parse_station(load_yaml(path) if doc is None else doc, str(path))
    resolve_station(station, registry)
    return station


def parse_station(doc: Any, path: str) -> StationConfig:
    """Check the document's shape and collect its instances (wiring is checked later)."""
    problems = document_problems(doc, _STATION_SCHEMA, path)
    if problems:
        raise ConfigError(problems)
    settings = doc.get("settings", {})
    station = StationConfig(path, doc.get("description", ""),
                            call_timeout_s=settings.get("call_timeout_s"),
                            process_groups={k: list(v) for k, v in
                                            settings.get("process_groups", {}).items()},
                            liveness_timeout_s=settings.get("liveness_timeout_s", 10.0))
    for module_id, entry in doc["active_modules"].items():
        station.modules[module_id] = instance_from_yaml(module_id, entry, path)
        if entry.get("external", False):
            station.external.add(module_id)
    seen: dict[str, str] = {}
    problems = []
    for group, ids in station.process_groups.items():
        line = line_at(doc, ["settings", "process_groups", group])
        for module_id in ids:
            if module_id not in station.modules:
                problems.append(Problem(path, line, f"process group {group!r}: no module "
                                        f"{module_id!r} in this station"))
            elif module_id in station.external:
                problems.append(Problem(path, line, f"process group {group!r}: module "
                                        f"{module_id!r} is external (started by someone else)"))
            elif module_id in seen:
                problems.append(Problem(path, line, f"module {module_id!r} is in process groups "
                                        f"{seen[module_id]!r} and {group!r}"))
            seen[module_id] = group
    if problems:
        raise ConfigError(problems)
    return station


def instance_from_yaml(module_id: str, entry: LineDict | dict, path: str) -> ModuleInstance:
    connections = {req: (list(t) if isinstance(t, list) else [t])
                   for req, t in entry.get("connections", {}).items()}
    return ModuleInstance(module_id, entry["module"], dict(entry.get("config", {})), connections,
                          path, entry)


def resolve_station(station: StationConfig, registry: ModuleRegistry) -> None:
    """Check module names, parameters and wiring; fill defaults and resolved connections."""
    problems: list[Problem] = []
    classes = {}
    for inst in station.modules.values():
        if inst.module not in registry:
            known = ", ".join(registry.names())
            problems.append(Problem(inst.path, inst.line("module"),
                                    f"{inst.id}: unknown module {inst.module!r} (known: {known})"))
            continue
        try:
            classes[inst.id] = registry.get(inst.module)
        except (ConfigError, ModuleDefinitionError, EvbenchError, ImportError) as exc:
            problems.append(Problem(inst.path, inst.line("module"),
                                    f"{inst.id}: module {inst.module} cannot be loaded: {exc}"))
    for inst in station.modules.values():
        cls = classes.get(inst.id)
        if cls is None:
            continue
        problems += _check_config(inst, cls.manifest)
        problems += _resolve_connections(inst, cls.manifest, station, classes)
    problems += _tree_problems(station, classes)
    if problems:
        raise ConfigError(problems)
    for inst in station.modules.values():  # checks across modules, on a wired station
        problems += classes[inst.id].station_problems(inst, station)
    if problems:
        raise ConfigError(problems)


def _check_config(inst: ModuleInstance, manifest) -> list[Problem]:
    problems = []
    for key in inst.config:
        if key not in manifest.config:
            known = ", ".join(sorted(manifest.config)) or "none"
            problems.append(Problem(inst.path, inst.line("config", key),
                                    f"{inst.id}: unknown parameter {key!r} for {inst.module} "
                                    f"(known: {known})"))
    for key, schema in manifest.config.items():
        if key not in inst.config:
            if "default" in schema:
                inst.config[key] = schema["default"]
            else:
                problems.append(Problem(inst.path, inst.line("config") or inst.line(),
                                        f"{inst.id}: missing required parameter {key!r}"))
            continue
        problem = manifest.check_parameter[key](inst.config[key])
        if problem:
            problems.append(Problem(inst.path, inst.line("config", key),
                                    f"{inst.id}: bad value for parameter {key!r}: "
                                    f"{problem.replace('data', key, 1)}"))
    return problems


def _resolve_connections(inst: ModuleInstance, manifest, station: StationConfig,
                         classes: dict) -> list[Problem]:
    problems = []
    for req_name in inst.raw_connections:
        if req_name not in manifest.requires:
            known = ", ".join(sorted(manifest.requires)) or "none"
            problems.append(Problem(inst.path, inst.line("connections", req_name),
                                    f"{inst.id}: {inst.module} has no requirement {req_name!r} "
                                    f"(known: {known})"))
    for req_name, required in manifest.requires.items():
        targets = inst.raw_connections.get(req_name, [])
        line = inst.line("connections", req_name) or inst.line()
        resolved = []
        for index, target in enumerate(targets):
            target_line = inst.line("connections", req_name, index) or line
            found = _resolve_target(target, required.interface, station, classes)
            if isinstance(found, str):
                problems.append(Problem(inst.path, target_line,
                                        f"{inst.id}: connection {req_name!r}: {found}"))
            else:
                resolved.append(found)
        count = len(targets)
        if not required.min_connections <= count <= required.max_connections:
            wanted = (f"exactly {required.min_connections}"
                      if required.min_connections == required.max_connections
                      else f"{required.min_connections} to {required.max_connections}")
            what = ("missing connection" if count == 0 else "wrong number of connections")
            problems.append(Problem(inst.path, line,
                                    f"{inst.id}: {what} {req_name!r} (interface "
                                    f"{required.interface}): has {count}, needs {wanted}"))
        inst.connections[req_name] = resolved
    return problems


def _resolve_target(target: Any, interface: str, station: StationConfig,
                    classes: dict) -> tuple[str, str] | str:
    if isinstance(target, dict):
        module_id, impl_id = target["module_id"], target.get("implementation_id")
    else:
        module_id, _, impl_id = str(target).partition(".")
        impl_id = impl_id or None
    if module_id not in station.modules:
        return f"no module instance {module_id!r} in this station"
    cls = classes.get(module_id)
    if cls is None:
        return f"{module_id} could not be loaded"
    provides = cls.manifest.provides
    if impl_id is None:
        matching = [i for i, p in provides.items() if p.interface == interface]
        if len(matching) != 1:
            return (f"{module_id} ({station.modules[module_id].module}) provides "
                    f"{len(matching)} implementations of {interface}; name one as "
                    f"{module_id}.<impl>")
        impl_id = matching[0]
    if impl_id not in provides:
        return f"{module_id} provides no implementation {impl_id!r}"
    if provides[impl_id].interface != interface:
        return (f"{module_id}.{impl_id} implements {provides[impl_id].interface}, "
                f"but {interface} is required")
    return (module_id, impl_id)


def _tree_problems(station: StationConfig, classes: dict) -> list[Problem]:
    """Connections of requirements marked ``tree`` must form trees, one per interface: a cycle
    (a node below itself) would make every walk of the tree endless, and a node below two
    parents would be counted twice. Other requirements may form cycles (an OCPP module and an
    EVSE manager require each other)."""
    # edges[interface][module id] = [(target module id, requirement, index in its list)]
    edges: dict[str, dict[str, list[tuple[str, str, int]]]] = {}
    for inst in station.modules.values():
        cls = classes.get(inst.id)
        if cls is None:
            continue
        for req_name, required in cls.manifest.requires.items():
            if not required.tree:
                continue
            out = edges.setdefault(required.interface, {}).setdefault(inst.id, [])
            out += [(target, req_name, index) for index, (target, _impl)
                    in enumerate(inst.connections.get(req_name, []))]
    problems = []
    for interface, graph in edges.items():
        # A cycle also gives some node a second parent: say only what is wrong first.
        problems += _cycles(station, interface, graph) or _second_parents(station, graph)
    return problems


def _edge_line(station: StationConfig, module_id: str, req_name: str, index: int) -> int | None:
    inst = station.modules[module_id]
    return inst.line("connections", req_name, index) or inst.line("connections", req_name)


def _second_parents(station: StationConfig, graph: dict) -> list[Problem]:
    problems = []
    parent: dict[str, tuple[str, str, int]] = {}
    for source, targets in graph.items():
        for target, req_name, index in targets:
            if target == source:
                continue  # a cycle, reported as such
            if target in parent:
                first, first_req, first_index = parent[target]
                first_line = _edge_line(station, first, first_req, first_index)
                where = ("twice" if first == source
                         else f"and is already below {first} (line {first_line})")
                problems.append(Problem(
                    station.modules[source].path, _edge_line(station, source, req_name, index),
                    f"{source}: connection {req_name!r} lists {target} {where}; in a tree "
                    "each node has one parent"))
            else:
                parent[target] = (source, req_name, index)
    return problems


def _cycles(station: StationConfig, interface: str, graph: dict) -> list[Problem]:
    problems = []
    done: set[str] = set()
    reported: set[frozenset[str]] = set()
    for start in graph:
        if start in done:
            continue
        # Depth-first, without recursion (a tree may be deep): the path from start to here.
        path: list[tuple[str, str, int]] = []  # (module id, requirement, index) edges taken
        on_path = {start: 0}
        stack = [(start, iter(graph.get(start, ())))]
        while stack:
            node, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                done.add(node)
                del on_path[node]
                if path:
                    path.pop()
                continue
            target, req_name, index = step
            if target in on_path:
                cycle = [*path[on_path[target]:], (node, req_name, index)]
                members = frozenset(m for m, _r, _i in cycle)
                if members not in reported:
                    reported.add(members)
                    problems.append(_cycle_problem(station, interface, cycle, target))
            elif target not in done:
                path.append((node, req_name, index))
                on_path[target] = len(path)
                stack.append((target, iter(graph.get(target, ()))))
    return problems


def _cycle_problem(station: StationConfig, interface: str, cycle: list[tuple[str, str, int]],
                   back_to: str) -> Problem:
    first, req_name, index = cycle[0]
    if len(cycle) == 1:
        reason = f"{first}: connection {req_name!r} lists {first} itself"
    else:
        hops = ", ".join(f"{m}.{r} (line {_edge_line(station, m, r, i)}) -> "
                         f"{cycle[n + 1][0] if n + 1 < len(cycle) else back_to}"
                         for n, (m, r, i) in enumerate(cycle))
        reason = f"{first}: connection {req_name!r} closes a cycle: {hops}"
    return Problem(station.modules[first].path, _edge_line(station, first, req_name, index),
                   f"{reason}; the {interface} connections must form a tree")
