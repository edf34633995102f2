"""Reading and checking scenario files; every problem is reported with file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from charger.framework.errors import ConfigError, Problem
from charger.framework.schema import document_problems
from charger.framework.yamlio import line_at, load_yaml
from evbench.scenario.durations import DURATION_SCHEMA, parse_duration
from evbench.scenario.model import CarSpec, Expectation, Scenario, Step
from evbench.scenario.selectors import COMPARISONS, SELECTOR_SCHEMA, Selector
from sim.car.profiles import car_profiles
from sim.car.script import ScriptError, parse_script

# Each action: its arguments (JSON schema properties) and which are required.
ACTIONS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "plug_in": ({}, ()),
    "unplug": ({}, ()),
    "pause": ({}, ()),
    "resume": ({}, ()),
    "swipe": ({"token": {"type": "string", "minLength": 1, "maxLength": 64},
               "reader": {"type": "string"}}, ("token",)),
    "ev_script": ({"script": {"type": "string", "minLength": 1}}, ("script",)),
    "fault": ({"fault": {"enum": ["diode_fail", "error_e", "ventilation", "rcd"]},
               "active": {"type": "boolean"},
               "current_ma": {"type": "number", "minimum": 0},
               "dc": {"type": "boolean"}}, ("fault",)),
    "set_soc": ({"soc_pct": {"type": "number", "minimum": 0, "maximum": 100}}, ("soc_pct",)),
    "grid": ({"voltage_v": {"type": "number", "minimum": 0},
              "frequency_hz": {"type": "number", "minimum": 0},
              "max_current_a": {"type": "number", "minimum": 0},
              "available": {"type": "boolean"}}, ()),
    "charger_pause": ({}, ()),
    "charger_resume": ({}, ()),
    "stop_transaction": ({"reason": {"enum": ["Local", "Remote", "EmergencyStop", "Other"]}},
                         ()),
    "enable": ({}, ()),
    "disable": ({}, ()),
    "csms": ({"operation": {"type": "string", "minLength": 1}, "args": {"type": "object"}},
             ("operation",)),
    "call": ({"module": {"type": "string"}, "impl": {"type": "string"},
              "command": {"type": "string"}, "args": {"type": "object"}},
             ("module", "impl", "command")),
    "end": ({}, ()),
}
_STEP_KEYS = {"do", "at", "after", "when", "timeout", "connector", "id"}
_RANGE = {"min": {"type": "number"}, "max": {"type": "number"}}

_SCENARIO_SCHEMA = {
    "type": "object",
    "required": ["scenario", "station", "duration", "steps"],
    "additionalProperties": False,
    "properties": {
        "scenario": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "station": {"type": "string", "minLength": 1},
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
        "expect": {"type": "array", "items": {
            "type": "object",
            "properties": {"name": {"type": "string"},
                           "connector": {"type": "integer", "minimum": 1}},
            "oneOf": [
                {"required": ["within", "from", "to"], "properties": {
                    "within": DURATION_SCHEMA, "from": SELECTOR_SCHEMA, "to": SELECTOR_SCHEMA,
                    "each": {"type": "boolean"}}},
                {"required": ["happens"], "properties": {
                    "happens": SELECTOR_SCHEMA, "times": {"type": "integer", "minimum": 1},
                    "before": DURATION_SCHEMA}},
                {"required": ["never"], "properties": {"never": SELECTOR_SCHEMA}},
                {"required": ["energy_wh"], "properties": {
                    "energy_wh": {"type": "object", "properties": _RANGE,
                                  "additionalProperties": False, "minProperties": 1}}},
                {"required": ["signal"], "properties": {
                    "signal": {"type": "string"}, **_RANGE,
                    "from": DURATION_SCHEMA, "until": DURATION_SCHEMA}},
                {"required": ["total"], "properties": {
                    "total": {"type": "string"}, **_RANGE,
                    "from": DURATION_SCHEMA, "until": DURATION_SCHEMA}},
                {"required": ["final"], "properties": {"final": {"type": "string"}, **_RANGE}},
            ],
        }},
    },
}
EXPECTATION_KINDS = ("within", "happens", "never", "energy_wh", "signal", "total", "final")
_COMMON = {"name", "connector"}
_EXPECTATION_KEYS = {
    "within": _COMMON | {"within", "from", "to", "each"},
    "happens": _COMMON | {"happens", "times", "before"},
    "never": _COMMON | {"never"},
    "energy_wh": _COMMON | {"energy_wh"},
    "signal": _COMMON | {"signal", "min", "max", "from", "until"},
    "total": _COMMON | {"total", "min", "max", "from", "until"},
    "final": _COMMON | {"final", "min", "max"},
}
SIGNAL_NAMES = ("cp_voltage_v", "pwm_duty_pct", "current_l1_a", "current_l2_a",
                "current_l3_a", "voltage_l1_v", "power_w", "energy_wh", "soc_pct",
                "grid_limit_a")


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file and check everything that can be checked without the station."""
    path = str(path)
    doc = load_yaml(path)
    problems = document_problems(doc, _SCENARIO_SCHEMA, path)
    if problems:
        raise ConfigError(problems)
    problems = []

    def duration(key_path: list, value: Any) -> float:
        try:
            return parse_duration(value)
        except ValueError as exc:
            problems.append(Problem(path, line_at(doc, key_path), str(exc)))
            return 0.0

    station = Path(path).parent / doc["station"]
    if not station.is_file():
        problems.append(Problem(path, line_at(doc, ["station"]),
                                f"station configuration {doc['station']!r} not found "
                                f"(looked for {station})"))
    scenario = Scenario(
        path=path, title=doc["scenario"], station_path=str(station),
        description=doc.get("description", ""), seed=doc.get("seed", 0),
        duration_s=duration(["duration"], doc["duration"]),
        sample_interval_s=duration(["sample_interval"], doc.get("sample_interval", 1.0)))
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

    ids: set[str] = set()
    for index, step in enumerate(doc["steps"]):
        scenario.steps.append(_step(step, index, doc, path, duration, problems, ids))
    for index, step in enumerate(scenario.steps):
        if step.when is not None and "step" in step.when.spec \
                and step.when.spec["step"] not in ids:
            problems.append(Problem(path, line_at(doc, ["steps", index, "when"]),
                                    f"no step has id {step.when.spec['step']!r}"))
    for index, spec in enumerate(doc.get("expect", [])):
        scenario.expectations.append(_expectation(spec, index, doc, path, duration, problems))
    if problems:
        raise ConfigError(problems)
    return scenario


def _step(step: dict, index: int, doc: Any, path: str, duration, problems: list,
          ids: set[str]) -> Step:
    action = step["do"]
    where = ["steps", index]
    arg_schema, required = ACTIONS[action]
    args = {k: v for k, v in step.items() if k not in _STEP_KEYS}
    for key in args:
        if key not in arg_schema:
            known = ", ".join(sorted(arg_schema)) or "none"
            problems.append(Problem(path, line_at(doc, [*where, key]),
                                    f"step {index + 1} ({action}): unknown argument {key!r} "
                                    f"(arguments of {action}: {known})"))
    problems += document_problems(
        step, {"type": "object", "properties": arg_schema, "required": list(required)}, path)
    if action == "ev_script" and isinstance(args.get("script"), str):
        try:
            parse_script(args["script"])
        except ScriptError as exc:
            problems.append(Problem(path, line_at(doc, [*where, "script"]),
                                    f"step {index + 1} (ev_script): {exc}"))
    if "at" in step and "when" in step:
        problems.append(Problem(path, line_at(doc, [*where, "at"]),
                                f"step {index + 1}: use 'at' or 'when', not both"))
    if "timeout" in step and "when" not in step:
        problems.append(Problem(path, line_at(doc, [*where, "timeout"]),
                                f"step {index + 1}: 'timeout' only applies to 'when'"))
    when = Selector(dict(step["when"])) if "when" in step else None
    if when is not None:
        _check_selector(when.spec, [*where, "when"], doc, path, problems)
    if "id" in step:
        if step["id"] in ids:
            problems.append(Problem(path, line_at(doc, [*where, "id"]),
                                    f"duplicate step id {step['id']!r}"))
        ids.add(step["id"])
    return Step(
        index=index + 1, action=action, args=args, connector=step.get("connector", 1),
        id=step.get("id"), at=duration([*where, "at"], step["at"]) if "at" in step else None,
        when=when, after=duration([*where, "after"], step.get("after", 0)),
        timeout=duration([*where, "timeout"], step["timeout"]) if "timeout" in step else None,
        line=line_at(doc, where))


def _check_selector(spec: dict, where: list, doc: Any, path: str, problems: list) -> None:
    kinds = [k for k in ("session", "cp", "contactor", "error", "cleared", "auth", "step",
                         "var", "signal") if k in spec]
    if len(kinds) != 1:
        problems.append(Problem(path, line_at(doc, where),
                                "a condition names exactly one of session, cp, contactor, "
                                "error, cleared, auth, step, var, signal"))
        return
    ops = [op for op in COMPARISONS if op in spec]
    if kinds[0] == "signal":
        if spec["signal"] not in SIGNAL_NAMES:
            problems.append(Problem(path, line_at(doc, [*where, "signal"]),
                                    f"unknown signal {spec['signal']!r} (known: "
                                    f"{', '.join(SIGNAL_NAMES)})"))
        if not ops:
            problems.append(Problem(path, line_at(doc, where),
                                    "a signal condition needs a comparison: "
                                    + ", ".join(COMPARISONS)))
    elif ops:
        problems.append(Problem(path, line_at(doc, [*where, ops[0]]),
                                f"'{ops[0]}' only applies to signal conditions"))
    if "was" in spec and kinds[0] != "cp":
        problems.append(Problem(path, line_at(doc, [*where, "was"]),
                                "'was' only applies to cp conditions"))
    if ("source" in spec or "value" in spec) and kinds[0] != "var":
        problems.append(Problem(path, line_at(doc, where),
                                "'source' and 'value' only apply to var conditions"))


def _expectation(spec: dict, index: int, doc: Any, path: str, duration,
                 problems: list) -> Expectation:
    where = ["expect", index]
    kind = next(k for k in EXPECTATION_KINDS if k in spec)
    for key in spec:
        if key not in _EXPECTATION_KEYS[kind]:
            known = ", ".join(sorted(_EXPECTATION_KEYS[kind]))
            problems.append(Problem(path, line_at(doc, [*where, key]),
                                    f"unknown key {key!r} in a {kind} expectation "
                                    f"(known: {known})"))
    data = dict(spec)
    for key in ("within", "before", "from", "until"):
        if key in data and not isinstance(data[key], dict):
            data[key] = duration([*where, key], data[key])
    for key in ("from", "to", "happens", "never"):
        if isinstance(data.get(key), dict):
            _check_selector(data[key], [*where, key], doc, path, problems)
    if kind in ("signal", "total", "final"):
        if data[kind] not in SIGNAL_NAMES:
            problems.append(Problem(path, line_at(doc, [*where, kind]),
                                    f"unknown signal {data[kind]!r} (known: "
                                    f"{', '.join(SIGNAL_NAMES)})"))
        if "min" not in data and "max" not in data:
            problems.append(Problem(path, line_at(doc, where),
                                    f"a {kind} expectation needs min or max"))
    name = spec.get("name") or _describe(kind, data)
    return Expectation(kind, data, name, line_at(doc, where))


def _describe(kind: str, spec: dict) -> str:
    where = f" on connector {spec['connector']}" if "connector" in spec else ""
    if kind == "within":
        every = "every " if spec.get("each") else ""
        return (f"{Selector(spec['to']).describe()} within {spec['within']:g} s of "
                f"{every}{Selector(spec['from']).describe()}")
    if kind == "happens":
        times = f" {spec['times']} times" if "times" in spec else ""
        return f"{Selector(spec['happens']).describe()} happens{times}"
    if kind == "never":
        return f"{Selector(spec['never']).describe()} never happens"
    if kind == "energy_wh":
        return f"energy delivered{where} {_bounds(spec['energy_wh'])} Wh"
    if kind == "total":
        return f"sum of {spec['total']} over connectors stays {_bounds(spec)}"
    if kind == "final":
        return f"final {spec['final']}{where} {_bounds(spec)}"
    return f"{spec['signal']}{where} stays {_bounds(spec)}"


def _bounds(spec: dict) -> str:
    # Only for kinds whose schema makes min/max numbers: on the others they are unknown keys,
    # reported as such, and may be anything.
    return " and ".join(f"{'>=' if k == 'min' else '<='} {spec[k]:g}"
                        for k in ("min", "max") if k in spec)
