"""Reading an EVerest configuration into one shape, whatever its vintage, with every line kept.

EVerest's configuration files came in three forms, all read here:

* since late 2022: ``active_modules`` maps module ids to entries, framework ``settings`` beside;
* before that: the module ids at the top level, each entry with an ``x-view-model`` layout;
* before 2022-10: the same as JSON (indented with tabs, which YAML refuses: read as JSON text).

An entry has ``module``, ``config_module`` (the module's parameters), ``config_implementation``
(parameters per implementation), and ``connections``: requirement -> a list of
``{module_id, implementation_id}`` (the oldest files give a single mapping instead of a list).
A document that is not shaped so is malformed: every such problem is reported with its line and
nothing is converted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charger.framework.errors import ConfigError, Problem
from charger.framework.yamlio import (
    MAX_FILE_BYTES,
    LineDict,
    LineList,
    line_at,
    load_yaml,
    parse_yaml,
)
from evbench.filekind import evbench_evidence, everest_evidence

ACTIVE_MODULES_FORM = "active_modules"
TOP_LEVEL_FORM = "module ids at the top level (EVerest before 2022-11)"


@dataclass(frozen=True)
class Setting:
    """One key of the file with its value and line: a parameter, an entry key, a setting."""

    key: str
    value: Any
    line: int | None


@dataclass(frozen=True)
class Connection:
    requirement: str
    module_id: str
    implementation_id: str
    line: int | None


@dataclass
class EverestModule:
    id: str
    module: str
    line: int | None
    module_line: int | None  # the line of 'module: NAME'
    config: list[Setting] = field(default_factory=list)  # "key", or "impl.key" per implementation
    connections: list[Connection] = field(default_factory=list)
    entry_keys: list[Setting] = field(default_factory=list)  # mapping, telemetry, access, ...

    def value(self, key: str, default: Any = None) -> Any:
        return next((s.value for s in self.config if s.key == key), default)

    def targets(self, *requirements: str) -> list[Connection]:
        return [c for c in self.connections if c.requirement in requirements]


@dataclass
class EverestConfig:
    path: str
    form: str
    modules: dict[str, EverestModule]
    top_keys: list[Setting]  # settings.* and other top-level keys besides the modules


def read_everest(path: str | Path) -> EverestConfig:
    """The configuration in ``path``; a ConfigError with every problem when it is malformed."""
    path = str(path)
    doc = _load(path)
    problems: list[Problem] = []
    config = parse_everest(doc, path, problems)
    if problems or config is None:
        raise ConfigError(problems or [Problem(path, None, "not an EVerest configuration")])
    return config


def _load(path: str) -> Any:
    try:
        return load_yaml(path)
    except ConfigError as error:
        # EVerest's JSON files are indented with tabs, which YAML refuses where JSON does not.
        # In JSON a tab outside a string is only white space (inside one it must be written
        # \t), so replacing tabs keeps the document and every line number.
        try:
            with open(path, "rb") as file:
                text = file.read(MAX_FILE_BYTES + 1).decode("utf-8")
        except (OSError, ValueError):
            raise error from None
        if "\t" in text and text.lstrip().startswith("{"):
            return parse_yaml(text.replace("\t", " "), path)
        raise


def parse_everest(doc: Any, path: str, problems: list[Problem]) -> EverestConfig | None:
    if not isinstance(doc, dict):
        problems.append(Problem(path, getattr(doc, "line", None) or 1,
                                "not an EVerest configuration: the file is not a mapping"))
        return None
    ours = evbench_evidence(doc)
    if ours is not None and everest_evidence(doc) is None:
        where, key = ours
        problems.append(Problem(path, line_at(doc, where), f"this is an evbench file already "
                                f"({key} is evbench's): there is nothing to import"))
        return None
    top_keys: list[Setting] = []
    if "active_modules" in doc:
        form = ACTIVE_MODULES_FORM
        entries = doc["active_modules"]
        if not isinstance(entries, dict):
            problems.append(Problem(path, _line(doc, "active_modules"),
                                    "active_modules must map module ids to module entries"))
            return None
        for key, value in doc.items():
            if key == "active_modules":
                continue
            if key == "settings" and isinstance(value, dict):
                top_keys += [Setting(f"settings.{k}", v, _line(value, k)) for k, v in value.items()]
            else:
                top_keys.append(Setting(str(key), value, _line(doc, key)))
    else:
        form = TOP_LEVEL_FORM
        entries = {k: v for k, v in doc.items() if isinstance(v, dict) and "module" in v}
        if not entries:
            problems.append(Problem(path, getattr(doc, "line", None) or 1,
                                    "not an EVerest configuration: no active_modules, and no "
                                    "top-level entry with a 'module'"))
            return None
        top_keys += [Setting(str(k), v, _line(doc, k)) for k, v in doc.items() if k not in entries]
    modules: dict[str, EverestModule] = {}
    for module_id, entry in entries.items():
        module = _module(module_id, entry, entries, path, problems)
        if module is not None:
            modules[module.id] = module
    return EverestConfig(path, form, modules, top_keys)


def _module(module_id: Any, entry: Any, parent: dict, path: str,
            problems: list[Problem]) -> EverestModule | None:
    line = _line(parent, module_id)
    if not isinstance(module_id, str):
        problems.append(Problem(path, line, f"module id {module_id!r} must be text"))
        return None
    if not isinstance(entry, dict):
        problems.append(Problem(path, line, f"{module_id}: a module entry must be a mapping "
                                "with 'module', 'config_module', 'connections'"))
        return None
    name = entry.get("module")
    if not isinstance(name, str) or not name:
        problems.append(Problem(path, _line(entry, "module") if "module" in entry else line,
                                f"{module_id}: 'module' must name an EVerest module"))
        return None
    module = EverestModule(module_id, name, line, _line(entry, "module"))
    for key, value in entry.items():
        if key == "module":
            continue
        if key == "config_module":
            for name_, item in _mapping(value, entry, key, module_id, path, problems).items():
                module.config.append(Setting(str(name_), item, _line(value, name_)))
        elif key == "config_implementation":
            impls = _mapping(value, entry, key, module_id, path, problems)
            for impl, settings in impls.items():
                where = f"config_implementation.{impl}"
                for name_, item in _mapping(settings, impls, impl, module_id, path, problems,
                                            where).items():
                    module.config.append(Setting(f"{impl}.{name_}", item, _line(settings, name_)))
        elif key == "connections":
            requirements = _mapping(value, entry, key, module_id, path, problems)
            for requirement, targets in requirements.items():
                module.connections += _targets(str(requirement), targets, requirements, module_id,
                                               path, problems)
        else:
            module.entry_keys.append(Setting(str(key), value, _line(entry, key)))
    return module


def _mapping(value: Any, parent: dict, key: Any, module_id: str, path: str,
             problems: list[Problem], where: str | None = None) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(Problem(path, _line(parent, key),
                                f"{module_id}: {where or key} must be a mapping"))
        return {}
    return value


def _targets(requirement: str, targets: Any, parent: dict, module_id: str, path: str,
             problems: list[Problem]) -> list[Connection]:
    if targets is None:
        return []
    items = [targets] if isinstance(targets, dict) else targets  # the oldest form: one mapping
    if not isinstance(items, list):
        problems.append(Problem(path, _line(parent, requirement),
                                f"{module_id}: connection {requirement!r} must be a list of "
                                "{module_id, implementation_id}"))
        return []
    found = []
    for index, target in enumerate(items):
        line = items.line_of(index) if isinstance(items, LineList) else _line(parent, requirement)
        ids = (target.get("module_id"), target.get("implementation_id")) \
            if isinstance(target, dict) else (None, None)
        if not all(isinstance(i, str) and i for i in ids):
            problems.append(Problem(path, line, f"{module_id}: each connection of "
                                    f"{requirement!r} must give module_id and implementation_id "
                                    "as text"))
            continue
        found.append(Connection(requirement, ids[0], ids[1], line))
    return found


def _line(parent: Any, key: Any) -> int | None:
    if isinstance(parent, LineDict):
        return parent.line_of(key)
    return getattr(parent, "line", None)
