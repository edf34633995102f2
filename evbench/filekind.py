"""What kind of file a user handed to a command, so that a wrong kind gets one message saying
what the file is and what to do with it, instead of every schema complaint about it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from charger.framework.errors import ConfigError
from charger.framework.yamlio import line_at

Kind = Literal["scenario", "station", "everest", "other"]

SCENARIO_KEYS = ("scenario", "station", "duration", "steps")
# Keys that only an EVerest configuration has: in a module entry, and top-level settings of its
# framework (evbench's own settings are call_timeout_s and process_groups).
EVEREST_MODULE_KEYS = ("config_module", "config_implementation", "telemetry", "mapping",
                       "access", "capabilities", "standalone")
EVEREST_SETTINGS = ("mqtt_broker_host", "mqtt_broker_port", "mqtt_broker_socket_path",
                    "mqtt_everest_prefix", "mqtt_external_prefix", "telemetry_enabled",
                    "telemetry_prefix", "validate_schema", "run_as_user", "prefix",
                    "config_file", "logging_config_file", "modules_dir", "interfaces_dir",
                    "types_dir", "errors_dir", "schemas_dir", "www_dir", "controller_port",
                    "controller_rpc_timeout_ms", "forward_exceptions",
                    "version_information_file")
EVEREST_TOP_KEYS = ("x-module-layout",)
# Keys only an evbench module entry has (EVerest's are config_module, config_implementation).
EVBENCH_MODULE_KEYS = ("config", "external")
IMPORT_COMMAND = "evbench import everest"


def file_kind(doc: Any) -> Kind:
    if not isinstance(doc, dict):
        return "other"
    if everest_evidence(doc) is not None:
        return "everest"
    if "active_modules" in doc:
        return "station"
    if any(key in doc for key in SCENARIO_KEYS):
        return "scenario"
    return "other"


def everest_evidence(doc: dict) -> tuple[list, str] | None:
    """The key path and name of the first thing only an EVerest configuration has, if any."""
    for key in EVEREST_TOP_KEYS:
        if key in doc:
            return [key], key
    settings = doc.get("settings")
    if isinstance(settings, dict):
        for key in settings:
            if key in EVEREST_SETTINGS:
                return ["settings", key], f"settings.{key}"
    modules = doc.get("active_modules")
    if isinstance(modules, dict):
        for module_id, entry in modules.items():
            if isinstance(entry, dict):
                for key in entry:
                    if key in EVEREST_MODULE_KEYS:
                        return ["active_modules", module_id, key], key
        only_everest = _everest_only_modules()
        for module_id, entry in modules.items():
            name = entry.get("module") if isinstance(entry, dict) else None
            if isinstance(name, str) and name in only_everest:
                return ["active_modules", module_id, "module"], f"module {entry['module']!r}"
    elif modules is None:
        # Before late 2022 EVerest put the module entries at the top level.
        for module_id, entry in doc.items():
            if isinstance(entry, dict) and isinstance(entry.get("module"), str):
                return [module_id, "module"], "a module entry at the top level"
    return None


def _everest_only_modules() -> frozenset[str]:
    """EVerest's module names that evbench has under another name or not at all (the mapping
    table's; EvseManager, Auth, EnergyNode, EvseSlac ... are both's)."""
    from importlib.metadata import entry_points

    from charger.framework.registry import BUILTIN_MODULES
    from evbench.everest.table import RULES

    ours = set(BUILTIN_MODULES) | {e.name for e in entry_points(group="evbench.modules")}
    return frozenset(name for name, rule in RULES.items() if rule.evbench != name
                     and name not in ours)


def evbench_evidence(doc: Any) -> tuple[list, str] | None:
    """The key path and name of the first thing only an evbench file has, if any."""
    if not isinstance(doc, dict):
        return None
    for key in SCENARIO_KEYS:
        if key in doc:
            return [key], key
    modules = doc.get("active_modules")
    for module_id, entry in (modules.items() if isinstance(modules, dict) else ()):
        if not isinstance(entry, dict):
            continue
        for key in entry:
            if key in EVBENCH_MODULE_KEYS:
                return ["active_modules", module_id, key], key
        connections = entry.get("connections")
        for requirement, target in (connections.items() if isinstance(connections, dict)
                                    else ()):
            first = target[0] if isinstance(target, list) and target else target
            if isinstance(first, str):
                return (["active_modules", module_id, "connections", requirement],
                        f"a connection written {first!r}")
    return None


def expect_kind(doc: Any, path: Path | str, command: str) -> Kind:
    """The file's kind if ``command`` takes it; otherwise a ConfigError saying what it is and
    what to do. run takes scenarios; station and module take stations and scenarios; validate
    takes both, and anything with a scenario key (to list what is wrong with it)."""
    path = str(path)
    kind = file_kind(doc)
    line = getattr(doc, "line", None) or 1
    if kind == "everest":
        where, key = everest_evidence(doc)  # type: ignore[misc]
        what = key if key.startswith(("a ", "module ")) else f"{key!r}"
        raise ConfigError.single(
            path, line_at(doc, where),
            f"this is an EVerest configuration ({what} is EVerest's), not an evbench file: "
            f"convert it with '{IMPORT_COMMAND} {path} -o STATION.yaml', which writes an "
            "evbench station and a scenario that runs it (docs/everest-import.md)")
    if kind == "station" and command == "run":
        raise ConfigError.single(
            path, line_at(doc, ["active_modules"]),
            f"this is a station configuration, not a scenario: run the station alone with "
            f"'evbench station {path}', or write a scenario that names it "
            f"('station: {Path(path).name}' with a duration and steps, see docs/scenarios.md)")
    if kind == "other":
        what = ("a mapping with none of their keys" if isinstance(doc, dict)
                else "empty" if doc is None else f"a {_yaml_type(doc)}")
        wanted = ("a scenario (a mapping with scenario, station, duration, steps)"
                  if command == "run" else
                  "a scenario (a mapping with scenario, station, duration, steps) or a station "
                  "configuration (a mapping with active_modules)")
        raise ConfigError.single(path, line, f"not {wanted}: the file is {what}")
    return kind


def _yaml_type(doc: Any) -> str:
    if isinstance(doc, list):
        return "list"
    if isinstance(doc, str):
        return "single text value (plain text, or not YAML)"
    return f"single {type(doc).__name__} value"
