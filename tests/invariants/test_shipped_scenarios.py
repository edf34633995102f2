"""Every shipped scenario keeps every safety invariant (none may switch one off silently)."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.registry import ModuleRegistry
from evbench.scenario.invariants import INVARIANTS
from evbench.scenario.loader import load_scenario
from evbench.scenario.runner import ScenarioRun
from tests.invariants.conftest import REPO

SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_shipped_scenario_keeps_every_invariant(path: Path,
                                                    registry: ModuleRegistry) -> None:
    result = ScenarioRun(load_scenario(path), registry=registry).run()
    invariants = [e for e in result.expectations if e.kind.startswith("invariant")]
    assert len(invariants) == len(INVARIANTS)
    assert [(e.name, e.detail) for e in invariants if not e.passed] == []
    assert [e.name for e in invariants if e.kind == "invariant-off"] == []
