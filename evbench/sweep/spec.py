"""The sweep file: which scenario, which parameters with which values, which seeds.

```yaml
scenario: ../scenarios/two_cars_shared_fuse.yaml   # relative to this file
seeds: 3                        # 0, 1, 2; or a list: [4, 8]
parameters:                     # a dotted path into the scenario file -> its values
  world.grid.max_current_a: [32, 63]
  world.cars.0.soc_pct: [20, 60]
```

Every combination of values runs once per seed. A path must name a value the scenario has (a
list item by its index); everything else about the file is checked as the scenario is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from charger.framework.errors import ConfigError, Problem
from charger.framework.yamlio import LineDict, LineList, line_at, load_yaml

MAX_RUNS = 100_000  # a sweep file larger than this is a typo, not a plan
MAX_SEEDS = 10_000

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["scenario", "parameters"],
    "additionalProperties": False,
    "properties": {
        "scenario": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "seeds": {"oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_SEEDS},
            {"type": "array", "minItems": 1, "maxItems": MAX_SEEDS, "uniqueItems": True,
             "items": {"type": "integer", "minimum": 0}}]},
        "parameters": {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z0-9_]+))*$"},
            "additionalProperties": {"type": "array", "minItems": 1, "maxItems": 1000},
        },
    },
}


@dataclass(frozen=True)
class Run:
    index: int
    overrides: tuple[tuple[str, Any], ...]  # (dotted path, value)
    seed: int


@dataclass(frozen=True)
class SweepSpec:
    path: Path
    scenario: Path
    parameters: dict[str, list[Any]]
    seeds: tuple[int, ...]

    def runs(self) -> list[Run]:
        names = list(self.parameters)
        combos = itertools.product(*(self.parameters[n] for n in names))
        cells = [tuple(zip(names, values)) for values in combos]
        return [Run(i, cell, seed)
                for i, (cell, seed) in enumerate(itertools.product(cells, self.seeds))]


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file; every problem is a ConfigError with file and line."""
    path = Path(path)
    doc = load_yaml(path)
    where = str(path)
    if not isinstance(doc, dict):
        raise ConfigError.single(where, getattr(doc, "line", None),
                                 "a sweep file is a mapping with scenario, parameters, seeds")
    problems = [Problem(where, line_at(doc, list(error.absolute_path)), _reason(error))
                for error in sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc),
                                    key=lambda e: list(map(str, e.absolute_path)))]
    if problems:
        raise ConfigError(problems)
    scenario = (path.parent / doc["scenario"]).resolve()
    scenario_doc = load_yaml(scenario)  # a missing or broken scenario names its own file
    for name in doc["parameters"]:
        if not _exists(scenario_doc, name.split(".")):
            problems.append(Problem(where, doc["parameters"].line_of(name),
                                    f"parameter {name!r}: the scenario {doc['scenario']} has no "
                                    "value at this path"))
    seeds = doc.get("seeds", 1)
    seeds = tuple(range(seeds)) if isinstance(seeds, int) else tuple(seeds)
    count = len(seeds)
    for values in doc["parameters"].values():
        count *= len(values)
    if count > MAX_RUNS:
        problems.append(Problem(where, doc.line_of("parameters"),
                                f"{count:,} runs: more than {MAX_RUNS:,}"))
    if problems:
        raise ConfigError(problems)
    return SweepSpec(path, scenario, {k: list(v) for k, v in doc["parameters"].items()}, seeds)


def _reason(error: jsonschema.ValidationError) -> str:
    at = ".".join(str(p) for p in error.absolute_path)
    return f"{at}: {error.message}" if at else error.message


def _exists(doc: Any, parts: list[str]) -> bool:
    node = doc
    for part in parts:
        if isinstance(node, (dict, LineDict)) and part in node:
            node = node[part]
        elif isinstance(node, (list, LineList)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def apply_overrides(doc: Any, overrides: tuple[tuple[str, Any], ...]) -> Any:
    """The scenario document with each dotted path set to its value (the document is changed)."""
    for name, value in overrides:
        *parents, last = name.split(".")
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return doc
