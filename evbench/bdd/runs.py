"""Run a scenario file, or a station for a while, from a Python test.

Both hand back the product's :class:`~reports.model.RunResult`: ``result.events`` is the timeline
(one row per recorded message, columns ``t, source, kind, name, value``; the value is
the message as canonical JSON text) and ``result.signals``
the sampled signals, both pandas DataFrames; ``result.expectations``, ``result.passed`` and
``result.energy_wh`` are the verdict and the energy per connector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun
from reports.model import RunResult

from .bench import registry


def run_scenario_file(path: Path, seed: int | None = None) -> RunResult:
    """Run a scenario file in virtual time (its station resolved relative to it)."""
    return ScenarioRun(load_scenario(path), seed, registry=registry()).run()


def station_scenario(station: Path, seconds: float, *, title: str = "station run",
                     cars: Mapping[int, Mapping[str, Any]] | None = None,
                     grid: Mapping[str, Any] | None = None,
                     steps: Iterable[Mapping[str, Any]] = (),
                     module_config: Mapping[str, Mapping[str, Any]] | None = None,
                     sample_interval: float = 1.0) -> dict[str, Any]:
    """A scenario document that runs ``station`` for ``seconds`` with the given world and
    steps, and expects nothing: the caller judges the timeline."""
    world: dict[str, Any] = {"cars": [{"connector": c, **dict(cfg)}
                                      for c, cfg in sorted((cars or {}).items())]}
    if grid:
        world["grid"] = dict(grid)
    doc: dict[str, Any] = {"scenario": title, "station": str(station), "duration": seconds,
                           "sample_interval": sample_interval, "world": world,
                           "steps": [dict(step) for step in steps]}
    if module_config:
        doc["module_config"] = {k: dict(v) for k, v in module_config.items()}
    return doc


def run_station(station: Path, seconds: float, workdir: Path, seed: int = 0,
                **world: Any) -> RunResult:
    """Run a station for ``seconds`` of simulated time (keywords: see
    :func:`station_scenario`); the scenario written for it is kept in ``workdir``."""
    path = workdir / "station-run.yaml"
    doc = station_scenario(station, seconds, **world)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return run_scenario_file(path, seed)
