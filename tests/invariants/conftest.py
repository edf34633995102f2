"""Running small scenarios against the shipped stations and reading their verdicts."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.scenario.loader import load_scenario
from evbench.scenario.runner import ScenarioRun
from reports.model import RunResult

REPO = Path(__file__).resolve().parents[2]
STATIONS = REPO / "scenarios" / "stations"


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    return ModuleRegistry(SchemaRegistry())


@pytest.fixture
def run_yaml(tmp_path: Path, registry: ModuleRegistry) -> Callable[..., RunResult]:
    """Write a scenario (``STATION`` stands for the shipped stations folder) and run it."""

    def _run(text: str, name: str = "scenario.yaml") -> RunResult:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n").replace("STATION", str(STATIONS)),
                        encoding="utf-8")
        return ScenarioRun(load_scenario(path), registry=registry).run()

    return _run


def verdict(result: RunResult, invariant: str) -> tuple[bool, str]:
    """(passed, detail) of the invariant with this key."""
    from evbench.scenario.invariants import INVARIANTS

    title = next(i.title for i in INVARIANTS if i.name == invariant)
    found = [e for e in result.expectations if e.name == f"invariant: {title}"]
    assert len(found) == 1, [e.name for e in result.expectations]
    return found[0].passed, found[0].detail


def rows(result: RunResult, kind: str | None = None, name: str | None = None,
         source: str | None = None) -> list[tuple[float, str, str, str, str]]:
    events = result.events
    out = []
    for t, src, k, n, v in events.itertuples(index=False):
        if (kind is None or k == kind) and (name is None or n == name) \
                and (source is None or src == source):
            out.append((t, src, k, n, v))
    return out
