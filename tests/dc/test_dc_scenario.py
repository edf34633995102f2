"""The DC hardware driven by a scenario: steps call its commands and inject its faults with the
generic `call` action (as docs/dc-hardware.md shows), and expectations judge its errors and
variables on the timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun

STATION = Path(__file__).parents[2] / "scenarios" / "stations" / "dc-1-connector.yaml"
SCENARIO = f"""\
scenario: A runaway DC supply is caught by the over-voltage monitor
station: {STATION}
duration: 20 s
steps:
  - {{at: 1 s, do: call, module: dc1, impl: contactors, command: set_closed, args: {{value: true}}}}
  - {{do: call, module: dc1, impl: ovp, command: start, args: {{over_voltage_limit_v: 550}}}}
  - do: call
    module: dc1
    impl: power_supply
    command: set_export_voltage_current
    args: {{voltage_v: 450, current_a: 2}}
  - {{do: call, module: dc1, impl: power_supply, command: set_mode, args: {{mode: Export}}}}
  - {{at: 4 s, do: call, module: dc1, impl: control, command: set_fault, args: {{fault: FAULT}}}}
  - {{at: 5 s, id: runaway, do: call, module: dc1, impl: control, command: set_fault,
     args: {{fault: supply_runaway}}}}
expect:
  - within: 200 ms
    from: {{step: runaway}}
    to: {{error: over_voltage_monitor/OverVoltage}}
  - within: 50 ms
    from: {{error: OverVoltage}}
    to: {{var: state, source: dc1.contactors, value: {{commanded_closed: false, closed: false}}}}
"""


def _run(tmp_path: Path, fault: str) -> dict[str, bool]:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.replace("FAULT", fault), encoding="utf-8")
    result = ScenarioRun(load_scenario(path)).run()
    return {f"{e.kind}: {e.name}": e.passed for e in result.expectations}


def test_the_over_voltage_monitor_trips_and_opens_the_contactors(tmp_path: Path) -> None:
    verdicts = _run(tmp_path, "imd_communication")  # a fault that does not matter here
    assert all(verdicts.values()), verdicts


def test_a_failed_over_voltage_monitor_lets_the_runaway_through(tmp_path: Path) -> None:
    verdicts = _run(tmp_path, "ovp_device")
    failed = [text for text, passed in verdicts.items() if not passed]
    assert any("OverVoltage" in text for text in failed), verdicts
    assert not any(text.startswith("invariant") for text in failed)


@pytest.mark.parametrize("fault", ["contactor_welded", "supply_hardware"])
def test_faults_are_named_in_the_interface(tmp_path: Path, fault: str) -> None:
    """Every fault name is accepted by validation (the step's arguments are checked against
    the dc_simulator interface)."""
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO.replace("FAULT", fault), encoding="utf-8")
    load_scenario(path)
