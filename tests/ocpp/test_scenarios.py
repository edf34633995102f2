"""Every OCPP scenario passes in virtual time against the simulated backend, and a scenario
whose backend operation is wrong is refused before it runs, with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.errors import ConfigError
from evbench.scenario import load_scenario, run_scenario
from evbench.scenario.runner import ScenarioRun

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
OCPP_SCENARIOS = sorted(SCENARIOS.glob("ocpp*.yaml"))


def test_both_versions_have_the_same_scenarios() -> None:
    names16 = {p.stem.removeprefix("ocpp16_") for p in OCPP_SCENARIOS if "ocpp16_" in p.stem}
    names201 = {p.stem.removeprefix("ocpp201_") for p in OCPP_SCENARIOS if "ocpp201_" in p.stem}
    assert names16 == names201 and len(names16) >= 8


@pytest.mark.parametrize("path", OCPP_SCENARIOS, ids=lambda p: p.stem)
def test_ocpp_scenario_passes(path: Path) -> None:
    result = run_scenario(path)
    failed = [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]
    assert not failed


def test_a_scenario_is_deterministic() -> None:
    path = SCENARIOS / "ocpp201_offline.yaml"
    first, second = run_scenario(path), run_scenario(path)
    assert first.events["value"].tolist() == second.events["value"].tolist()


def _scenario(tmp_path: Path, step: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(f"""scenario: bad backend step
station: {SCENARIOS / 'stations' / 'ac-1-connector-ocpp16.yaml'}
duration: 1 min
steps:
  - at: 1 s
    {step}
""")
    return path


@pytest.mark.parametrize(("step", "reason"), [
    ("do: csms\n    operation: fly", "unknown operation 'fly'"),
    ("do: csms\n    operation: remote_start\n    args: {token: X}", "arguments of remote_start"),
    ("do: csms\n    operation: set_charging_profile\n    args: {purpose: Nope}",
     "arguments of set_charging_profile"),
])
def test_a_bad_backend_step_is_refused_with_its_line(tmp_path: Path, step: str,
                                                     reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ScenarioRun(load_scenario(_scenario(tmp_path, step)))
    text = str(caught.value)
    assert reason in text and "bad.yaml:5" in text


def test_a_backend_step_needs_a_simulated_backend(tmp_path: Path) -> None:
    path = tmp_path / "nobackend.yaml"
    path.write_text(f"""scenario: no backend
station: {SCENARIOS / 'stations' / 'ac-1-connector.yaml'}
duration: 1 min
steps:
  - at: 1 s
    do: csms
    operation: go_offline
""")
    with pytest.raises(ConfigError, match="no simulated OCPP backend"):
        ScenarioRun(load_scenario(path))
