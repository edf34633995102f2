"""Writing an import: the station configuration, and a scenario that runs it with the cars.

Both are YAML evbench reads as it reads its own files; each module says in a comment which
EVerest module it came from, and the station's header lists what was not carried over.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from evbench.everest.importer import Built, ImportResult
from evbench.everest.source import EverestConfig
from sim.car.script import parse_script

SCENARIO_MARGIN_S = 120.0  # after the longest script: time to authorize, charge and finish
SWIPE_AFTER_PLUG_S = 1.0  # the scenario swipes this long after a car's plug-in
PLUGS_IN = ("iec_wait_pwr_ready", "draw_power_regulated", "draw_power_fixed")  # script commands
DRAWS = ("draw_power_regulated", "draw_power_fixed")
LOCK_INVARIANT = "lock_engaged_while_powered"  # judged only where a lock is connected


def station_document(source: EverestConfig, modules: Iterable[Built]) -> dict[str, Any]:
    """The station as evbench's loader reads it (plain values)."""
    active: dict[str, Any] = {}
    for built in modules:
        entry: dict[str, Any] = {"module": built.module}
        if built.external:
            entry["external"] = True
        if built.config:
            entry["config"] = dict(built.config)
        if built.connections:
            entry["connections"] = {req: (targets[0] if len(targets) == 1 else list(targets))
                                    for req, targets in built.connections.items()}
        active[built.id] = entry
    return {"description": f"Imported from the EVerest configuration {Path(source.path).name}",
            "active_modules": active}


def station_text(result: ImportResult, command: str) -> str:
    doc = station_document(result.source, result.modules.values())
    unmapped = [f for f in result.findings if f.severity == "unmapped"]
    lines = [f"# Written by '{_comment(command)}'.",
             f"# {len(unmapped)} thing(s) of the EVerest file were not carried over"
             + (":" if unmapped else ".")]
    lines += [_comment(f"#   line {f.line or '-'}: {f.subject}: {f.reason}") for f in unmapped]
    lines.append(_dump({"description": doc["description"]}).rstrip())
    lines.append("active_modules:")
    for built in result.modules.values():
        lines.append(_comment(f"  # {built.origin}"))
        lines.append(_indent(_dump({built.id: doc["active_modules"][built.id]}), 2))
    return "\n".join(lines) + "\n"


def scenario_document(result: ImportResult, station: str, title: str) -> dict[str, Any]:
    """A scenario that puts the cars on their connectors and lets their scripts run: swipes
    for connectors whose authorization needs a token, and an expectation per car that draws
    power that charging starts."""
    cars, steps, expect = [], [], []
    swipe_token = next((r.token for r in result.readers if r.token), None)
    swipes: list[tuple[float, int]] = []
    longest = 0.0
    for car in sorted(result.cars, key=lambda c: c.connector):
        cars.append({"connector": car.connector, **car.config})
        commands = parse_script(car.config.get("script", ""))
        longest = max(longest, sum(float(c.args[0]) for c in commands if c.name == "sleep"))
        plug = _plug_in_time(commands)
        if plug is not None and swipe_token and not result.free_charging:
            swipes.append((plug, car.connector))
        if any(c.name in DRAWS for c in commands) and car.connector not in result.unserved:
            expect.append({"name": f"the car on connector {car.connector} charges",
                           "happens": {"session": "ChargingStarted"},
                           "connector": car.connector})
    at = 0.0
    for plug, _connector in sorted(swipes):
        at = max(at + 1.0, plug + SWIPE_AFTER_PLUG_S)  # one card at a time, a second apart
        steps.append({"at": f"{at:g} s", "do": "swipe", "token": swipe_token})
    duration = math.ceil(max(longest, at) + SCENARIO_MARGIN_S)
    unlocked = sorted(b.config.get("connector_id", 1) for b in result.modules.values()
                      if b.module == "EvseManager" and "lock" not in b.connections)
    invariants = {LOCK_INVARIANT: {"off_because": (
        "the EVerest configuration connects no connector lock to connector(s) "
        f"{', '.join(map(str, unlocked))}")}} if unlocked else {}
    how = ("free charging authorizes each car" if result.free_charging else
           f"the reader is swiped with {swipe_token} after each car plugs in" if swipes else
           "nothing authorizes the cars: add swipe or csms steps")
    return {
        "scenario": title,
        "description": f"The station imported from {Path(result.source.path).name} with the "
                       f"cars of its car simulators, each running its auto_exec_commands; {how}.",
        "station": station, "duration": f"{duration} s",
        "world": {"cars": cars}, "steps": steps, "expect": expect,
        **({"invariants": invariants} if invariants else {})}


def _plug_in_time(commands: list) -> float | None:
    """When the script plugs the car in: the sleeps before its first plugging command."""
    waited = 0.0
    for command in commands:
        if command.name == "sleep":
            waited += float(command.args[0])
        elif command.name in PLUGS_IN:
            return waited
    return None


def scenario_text(result: ImportResult, station: str, title: str, command: str) -> str:
    return (_comment(f"# Written by '{command}': the imported station with its cars.") + "\n"
            + _dump(scenario_document(result, station, title)))


def _comment(text: str) -> str:
    """One comment line, whatever the file's names hold (line breaks, control characters)."""
    return "".join(c if c.isprintable() else " " for c in text)


def _plain(value: Any) -> Any:
    """Plain dicts and lists (the YAML loader's line-keeping subclasses do not dump)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _dump(value: Any) -> str:
    return yaml.safe_dump(_plain(value), sort_keys=False, allow_unicode=True, width=100,
                          default_flow_style=False)


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.rstrip("\n").split("\n"))
