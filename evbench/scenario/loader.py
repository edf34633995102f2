"""Reading and checking scenario files; every problem is reported with file and line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from charger.framework.errors import ConfigError, Problem
from charger.framework.schema import document_problems
from charger.framework.yamlio import line_at, load_yaml
from evbench.scenario.actions import ACTIONS
from evbench.scenario.durations import DURATION_SCHEMA, parse_duration
from evbench.scenario.expectations import COMMON_KEYS, EXPECTATIONS
from evbench.scenario.fleet import load_fleet
from evbench.scenario.invariants import INVARIANT_NAMES
from evbench.scenario.model import CarSpec, Expectation, Scenario, Step
from evbench.scenario.selectors import SELECTOR_SCHEMA, Selector, condition_problems
from reports.model import NUMERIC_SIGNALS
from sim.car.profiles import car_profiles
from sim.car.script import ScriptError, parse_script

_STEP_KEYS = {"do", "at", "after", "when", "timeout", "connector", "id"}

_SCENARIO_SCHEMA = {
    "type": "object",
    "required": ["scenario", "duration"],  # and station and steps, or a fleet
    "additionalProperties": False,
    "properties": {
        "scenario": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "station": {"type": "string", "minLength": 1},
        "fleet": {"type": "object"},  # evbench.scenario.fleet checks it
        "seed": {"type": "integer", "minimum": 0},
        "duration": DURATION_SCHEMA,
        "sample_interval": DURATION_SCHEMA,
        "module_config": {"type": "object", "additionalProperties": {"type": "object"}},
        "world": {"type": "object", "additionalProperties": False, "properties": {
            "grid": {"type": "object"},
            "cars": {"type": "array", "items": {
                "type": "object", "properties": {"connector": {"type": "integer", "minimum": 1}},
            }},
        }},
        "steps": {"type": "array", "items": {
            "type": "object", "required": ["do"],
            "properties": {
                "do": {"enum": sorted(ACTIONS)},
                "at": DURATION_SCHEMA, "after": DURATION_SCHEMA, "timeout": DURATION_SCHEMA,
                "when": SELECTOR_SCHEMA, "connector": {"type": "integer", "minimum": 1},
                "id": {"type": "string", "minLength": 1},
            },
        }},
        # A safety invariant is switched off only with a written reason, shown in the report.
        # (Not ``off:``: YAML reads a bare ``off`` as false.)
        "invariants": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["off_because"], "additionalProperties": False,
            "properties": {"off_because": {"type": "string", "minLength": 3}}}},
        "expect": {"type": "array", "items": {
            "type": "object",
            "properties": COMMON_KEYS,
            "oneOf": [{"required": list(kind.required), "properties": kind.properties}
                      for kind in EXPECTATIONS.values()],
        }},
    },
}


def load_scenario(path: str | Path, doc: Any = None) -> Scenario:
    """Read a scenario file and check everything that can be checked without the station;
    ``doc`` is the file's content when the caller has read it already."""
    path = str(path)
    if doc is None:
        doc = load_yaml(path)
    problems = document_problems(doc, _SCENARIO_SCHEMA, path)
    if isinstance(doc, dict):
        problems += _station_or_fleet(doc, path)
    if problems:
        raise ConfigError(problems)
    problems = []

    def duration(key_path: list, value: Any) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            problems.append(Problem(path, line_at(doc, key_path), str(exc)))
            return 0.0

    station = (_readable_path(Path(path).parent / doc["station"]) if "station" in doc
               else Path(path))  # a fleet's station is in the scenario file
    if "station" in doc and not station.is_file():
        problems.append(Problem(path, line_at(doc, ["station"]),
                                f"station configuration {doc['station']!r} not found "
                                f"(looked for {station})"))
    scenario = Scenario(
        path=path, title=doc["scenario"], station_path=str(station),
        description=doc.get("description", ""), seed=doc.get("seed", 0),
        duration_s=duration(["duration"], doc["duration"]),
        sample_interval_s=duration(["sample_interval"], doc.get("sample_interval", 1.0)))
    if scenario.duration_s <= 0:
        problems.append(Problem(path, line_at(doc, ["duration"]),
                                "duration must be greater than 0"))
    if scenario.sample_interval_s <= 0:
        problems.append(Problem(path, line_at(doc, ["sample_interval"]),
                                "sample_interval must be greater than 0"))

    scenario.module_config = doc.get("module_config", {})
    world = doc.get("world", {})
    scenario.grid = dict(world.get("grid", {}))
    scenario.grid_doc = world.get("grid")
    for index, car in enumerate(world.get("cars", [])):
        config = {k: v for k, v in car.items() if k != "connector"}
        profile = config.get("profile")
        # (a list or mapping is no profile name, and cannot be looked up: it is unhashable)
        if profile is not None and (not isinstance(profile, str)
                                    or profile not in car_profiles()):
            problems.append(Problem(path, line_at(doc, ["world", "cars", index, "profile"]),
                                    f"unknown car profile {profile!r} (known: "
                                    f"{', '.join(sorted(car_profiles()))})"))
        if isinstance(config.get("script"), str):
            try:
                parse_script(config["script"])
            except ScriptError as exc:
                problems.append(Problem(path, line_at(doc, ["world", "cars", index, "script"]),
                                        f"car on connector {car.get('connector', index + 1)}: "
                                        f"{exc}"))
        connector = car.get("connector", index + 1)
        if any(c.connector == connector for c in scenario.cars):
            problems.append(Problem(path, line_at(doc, ["world", "cars", index]),
                                    f"two cars on connector {connector}"))
        scenario.cars.append(CarSpec(connector, config, car))

    if "fleet" in doc:
        scenario.fleet, found = load_fleet(doc["fleet"], path, scenario.duration_s,
                                           car_profiles())
        problems += found
    ids: set[str] = set()
    for index, step in enumerate(doc.get("steps", [])):
        scenario.steps.append(_step(step, index, doc, path, duration, problems, ids))
    _check_step_times(scenario, problems)
    for index, spec in enumerate(doc.get("expect", [])):
        scenario.expectations.append(_expectation(spec, index, doc, path, duration, problems,
                                                  scenario.duration_s))
    for name, setting in doc.get("invariants", {}).items():
        if name not in INVARIANT_NAMES:
            problems.append(Problem(path, line_at(doc, ["invariants", name]),
                                    f"unknown invariant {name!r} (known: "
                                    f"{', '.join(INVARIANT_NAMES)})"))
        else:
            scenario.invariants_off[name] = setting["off_because"]
    if problems:
        raise ConfigError(problems)
    return scenario


def _station_or_fleet(doc: dict, path: str) -> list[Problem]:
    """A scenario runs on a station file (with its steps) or on a fleet's site, not both."""
    if "fleet" in doc:
        if "station" in doc:
            return [Problem(path, line_at(doc, ["fleet"]),
                            "a fleet scenario describes its own station: drop 'station'")]
        return []
    return [Problem(path, getattr(doc, "line", None), f"{key!r} is a required property "
                    "(or describe a 'fleet')") for key in ("station", "steps") if key not in doc]


def _step(step: dict, index: int, doc: Any, path: str, duration, problems: list,
          ids: set[str]) -> Step:
    action = ACTIONS[step["do"]]
    where = ["steps", index]
    label = f"step {index + 1} ({action.name})"
    args = {k: v for k, v in step.items() if k not in _STEP_KEYS}
    for key in args:
        if key not in action.arguments:
            known = ", ".join(sorted(action.arguments)) or "none"
            problems.append(Problem(path, line_at(doc, [*where, key]),
                                    f"{label}: unknown argument {key!r} "
                                    f"(arguments of {action.name}: {known})"))
    problems += document_problems(
        step, {"type": "object", "properties": action.arguments,
               "required": list(action.required)}, path)
    if action.name == "ev_script" and isinstance(args.get("script"), str):
        try:
            parse_script(args["script"])
        except ScriptError as exc:
            problems.append(Problem(path, line_at(doc, [*where, "script"]), f"{label}: {exc}"))
    if "connector" in step and not action.uses_connector:
        problems.append(Problem(path, line_at(doc, [*where, "connector"]),
                                f"{label}: 'connector' does not apply to {action.name} steps"))
    if "at" in step and "when" in step:
        problems.append(Problem(path, line_at(doc, [*where, "at"]),
                                f"step {index + 1}: use 'at' or 'when', not both"))
    if "timeout" in step and "when" not in step:
        problems.append(Problem(path, line_at(doc, [*where, "timeout"]),
                                f"step {index + 1}: 'timeout' only applies to 'when'"))
    when = Selector(dict(step["when"])) if "when" in step else None
    if when is not None:
        _check_condition(when.spec, [*where, "when"], doc, path, problems)
    if "id" in step:
        if step["id"] in ids:
            problems.append(Problem(path, line_at(doc, [*where, "id"]),
                                    f"duplicate step id {step['id']!r}"))
        ids.add(step["id"])
    timeout = duration([*where, "timeout"], step["timeout"]) if "timeout" in step else None
    if timeout == 0:
        problems.append(Problem(path, line_at(doc, [*where, "timeout"]),
                                f"step {index + 1}: a timeout must be greater than 0"))
    return Step(
        index=index + 1, action=action.name, args=args, connector=step.get("connector", 1),
        id=step.get("id"), at=duration([*where, "at"], step["at"]) if "at" in step else None,
        when=when, after=duration([*where, "after"], step.get("after", 0)), timeout=timeout,
        line=line_at(doc, where),
        key_lines={key: line_at(doc, [*where, key]) for key in step})


def _check_step_times(scenario: Scenario, problems: list) -> None:
    """A step that cannot start before the run ends never runs: refuse it. Steps run in order,
    so each starts at the earliest at its ``at``, after the previous one, plus its ``after``."""
    earliest = 0.0
    for step in scenario.steps:
        earliest = max(earliest, step.at or 0.0) + step.after
        if earliest > scenario.duration_s:
            key = "at" if step.at is not None and step.at > scenario.duration_s else None
            problems.append(Problem(
                scenario.path, step.key_lines.get(key or "after", step.line) or step.line,
                f"step {step.index} ({step.action}) runs at t={earliest:g} s at the earliest, "
                f"after the end of the run (duration {scenario.duration_s:g} s)"))
            return


def _check_condition(spec: dict, where: list, doc: Any, path: str, problems: list) -> None:
    for keys, reason in condition_problems(spec):
        problems.append(Problem(path, line_at(doc, [*where, *keys]), reason))


def _expectation(spec: dict, index: int, doc: Any, path: str, duration, problems: list,
                 duration_s: float) -> Expectation:
    where = ["expect", index]
    found_before = len(problems)
    kind = next(k for k in EXPECTATIONS.values() if k.name in spec)
    for key in spec:
        if key not in kind.properties and key not in COMMON_KEYS:
            known = ", ".join(sorted([*kind.properties, *COMMON_KEYS]))
            problems.append(Problem(path, line_at(doc, [*where, key]),
                                    f"unknown key {key!r} in a {kind.name} expectation "
                                    f"(known: {known})"))
    data = dict(spec)
    for key in kind.durations:
        if key in data:
            data[key] = duration([*where, key], data[key])
    for key in kind.conditions:
        _check_condition(data[key], [*where, key], doc, path, problems)

    def refuse(key: str | None, reason: str) -> None:
        line = line_at(doc, [*where, key]) if key else line_at(doc, where)
        problems.append(Problem(path, line, f"a {kind.name} expectation: {reason}"))

    if kind.signal_key is not None and data[kind.signal_key] not in NUMERIC_SIGNALS:
        problems.append(Problem(path, line_at(doc, [*where, kind.signal_key]),
                                f"unknown signal {data[kind.signal_key]!r} (known: "
                                f"{', '.join(NUMERIC_SIGNALS)})"))
    bounds = data.get("energy_wh") if kind.name == "energy_wh" else data
    if kind.bounds and "min" not in data and "max" not in data:
        problems.append(Problem(path, line_at(doc, where),
                                f"a {kind.name} expectation needs min or max"))
    if isinstance(bounds, dict) and isinstance(bounds.get("min"), int | float) \
            and isinstance(bounds.get("max"), int | float) and bounds["min"] > bounds["max"]:
        refuse("energy_wh" if kind.name == "energy_wh" else "min",
               f"min {bounds['min']:g} is greater than max {bounds['max']:g}")
    if kind.window is not None:
        start, end = kind.window
        if isinstance(data.get(start), float) and data[start] > duration_s:
            refuse(start, f"'{start}' t={data[start]:g} s is after the end of the run "
                   f"(duration {duration_s:g} s)")
        if isinstance(data.get(start), float) and isinstance(data.get(end), float) \
                and data[end] < data[start]:
            refuse(end, f"'{end}' t={data[end]:g} s is before '{start}' t={data[start]:g} s")
    # A name from the content only when the content is sound: describing a broken condition
    # would trip on what is reported above.
    name = spec.get("name") or (kind.describe(data) if len(problems) == found_before
                                else f"{kind.name} expectation {index + 1}")
    return Expectation(kind.name, data, name, line_at(doc, where),
                       {key: line_at(doc, [*where, key]) for key in spec})


def _readable_path(path: Path) -> Path:
    """``a/b/../c`` as ``a/c``, so reports name the file as a reader would; as given where a
    symbolic link makes the two differ."""
    short = Path(os.path.normpath(path))
    if short != path and path.exists() and not (short.exists() and os.path.samefile(short, path)):
        return path
    return short
