"""Lifecycle and clock: init on every module before any is ready, commands only after ready, a
module's exceptions recorded without stopping the run, and no wall clock in the model."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from charger.framework import CommandError, CommandErrorType
from charger.framework.registry import ModuleRegistry
from evbench.scenario import load_scenario
from evbench.scenario.runner import ScenarioRun

REPO = Path(__file__).resolve().parents[2]


def _station(crash: str = "none", crash_at_s: float = 2.0, connector: bool = False) -> str:
    plug = """\
          board1:
            module: SimBoard
            connections:
              grid: grid.supply
          evse1:
            module: EvseManager
            connections:
              board: board1.board
""" if connector else ""
    return f"""\
        active_modules:
{plug}          grid:
            module: SimGrid
          watcher1:
            module: Lifecycle
            config: {{peers: [grid, watcher2, crasher]}}
            connections:
              supply: grid.supply
          crasher:
            module: Lifecycle
            config: {{crash: {crash}, crash_at_s: {crash_at_s}}}
            connections:
              supply: grid.supply
          watcher2:
            module: Lifecycle
            config: {{peers: [grid, watcher1, crasher]}}
        """


def test_every_module_is_initialised_before_any_is_ready(harness: Callable[..., Any]) -> None:
    h = harness(_station())
    h.advance(0.5)
    for name in ("watcher1", "watcher2"):
        seen = h.station.modules[name].seen
        init = next(s for s in seen if s[0] == "init")
        ready = next(s for s in seen if s[0] == "ready")
        assert not any(init[2].values()), init  # nobody ready while anybody is in init
        assert all(ready[2].values()), ready  # everybody ready once anybody runs
    lifecycle = [(r.source, r.name) for r in h.recorder.rows if r.kind == "lifecycle"]
    inits = [i for i, (_, what) in enumerate(lifecycle) if what == "init"]
    readies = [i for i, (_, what) in enumerate(lifecycle) if what == "ready"]
    assert len(inits) == len(readies) == 4
    assert max(inits) < min(readies)


def test_commands_are_served_only_after_ready(harness: Callable[..., Any]) -> None:
    h = harness(_station(), start=False)
    args = {"voltage_v": 220}
    with pytest.raises(CommandError) as caught:
        h.call("grid", "control", "set_supply", args)
    assert caught.value.type is CommandErrorType.NOT_READY
    assert h.rows("var", "supply") == []
    h.station.start()
    h.call("grid", "control", "set_supply", args)
    assert h.station.modules["grid"].supply["voltage_v"] == 220.0


@pytest.mark.parametrize(("crash", "text"), [
    ("init", "RuntimeError: crash in init"),
    ("ready", "RuntimeError: crash in ready"),
    ("process", "RuntimeError: crash in a process"),
    ("callback", "RuntimeError: crash in a callback"),
])
def test_a_module_exception_is_recorded_and_the_station_runs_on(
        harness: Callable[..., Any], crash: str, text: str) -> None:
    h = harness(_station(crash))
    h.advance(10.5)
    assert h.station.exceptions == [("crasher", text)]
    exception_logs = [r for r in h.recorder.rows if r.kind == "log" and r.name == "exception"]
    assert [(r.source, r.value) for r in exception_logs] == [("crasher", text)]
    # the other modules keep working after the crash, on the same clock
    ticks = [s[1] for s in h.station.modules["watcher1"].seen if s[0] == "tick"]
    assert ticks[-1] == 10.0
    h.call("grid", "control", "set_supply", {"voltage_v": 240})
    h.advance(0.1)
    assert h.station.modules["watcher1"].seen[-1][0] == "supply"


def test_a_raising_start_process_fails_the_implicit_expectation_but_not_the_run(
        write: Callable[..., Path], registry: ModuleRegistry) -> None:
    write("stations/lifecycle.yaml", _station("process", crash_at_s=3.0, connector=True))
    path = write("scenario.yaml", """\
        scenario: a module crashes on the way
        station: stations/lifecycle.yaml
        duration: 20 s
        steps:
          - at: 10 s
            do: grid
            max_current_a: 20
        """)
    run = ScenarioRun(load_scenario(path), registry=registry)
    result = run.run()
    assert result.sim_time_s == 20.0
    verdicts = {e.name: e for e in result.expectations}
    crashed = verdicts["no module raised an exception"]
    assert not crashed.passed
    assert "crasher: RuntimeError: crash in a process" in crashed.detail
    assert verdicts["every scenario step ran"].passed  # the step after the crash still ran
    assert not result.passed
    steps = result.events[result.events["kind"] == "step"]
    assert list(steps["t"]) == [10.0]
    ticks = [s[1] for s in run.station.modules["watcher2"].seen if s[0] == "tick"]
    assert ticks[-1] == 20.0
    assert run.station.modules["grid"].supply["max_current_a"] == 20.0
    assert list(result.signals["t"])[-3:] == [18.0, 19.0, 20.0]  # sampled to the end
    assert list(result.signals["grid_limit_a"])[-1] == 20.0


def test_a_clean_run_passes_the_implicit_expectation(write: Callable[..., Path],
                                                     registry: ModuleRegistry) -> None:
    write("stations/lifecycle.yaml", _station(connector=True))
    path = write("scenario.yaml", """\
        scenario: nothing crashes
        station: stations/lifecycle.yaml
        duration: 5 s
        steps: []
        """)
    result = ScenarioRun(load_scenario(path), registry=registry).run()
    verdicts = {e.name: e.passed for e in result.expectations if e.kind == "implicit"}
    assert verdicts == {"no module raised an exception": True}
    assert result.passed


def _budgeted(run: ScenarioRun, max_events: int) -> ScenarioRun:
    """Make the run fail instead of hanging when it processes too many simulation events."""
    step = run.env.step
    count = 0

    def counted() -> None:
        nonlocal count
        count += 1
        if count > max_events:
            raise RuntimeError(f"more than {max_events} events by t={run.env.now}")
        step()

    run.env.step = counted  # type: ignore[method-assign]
    return run


def test_a_station_without_connectors_runs_to_its_duration(
        write: Callable[..., Path], registry: ModuleRegistry) -> None:
    write("stations/lifecycle.yaml", _station())
    path = write("scenario.yaml", """\
        scenario: no connector at all
        station: stations/lifecycle.yaml
        duration: 5 s
        steps: []
        """)
    run = _budgeted(ScenarioRun(load_scenario(path), registry=registry), 20_000)
    result = run.run()
    assert result.sim_time_s == 5.0


# --- no wall clock in the model ------------------------------------------------------------------
WALL_CLOCK = re.compile(r"time\.time\(|time\.sleep\(|datetime\.now\(|datetime\.utcnow\(|"
                        r"perf_counter|monotonic\(|from time import")
# The runner measures how fast a run was and the CLI starts runs; the MQTT mode's wall-clock
# transport (its real-time environment, private broker, module processes and their supervisor)
# lives on the wall clock by design. Modules and the simulated world never read it.
ALLOWED = {"evbench/scenario/runner.py", "evbench/cli.py", "charger/framework/wallclock.py",
           "charger/framework/broker.py", "charger/framework/process.py",
           "charger/framework/manager.py", "charger/framework/mqtt.py"}


def test_no_wall_clock_read_or_sleep_in_the_model() -> None:
    files = sorted([*(REPO / "charger").rglob("*.py"), *(REPO / "sim").rglob("*.py")])
    assert len(files) > 20
    offenders = []
    for file in files:
        relative = file.relative_to(REPO).as_posix()
        if relative in ALLOWED:
            continue
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if WALL_CLOCK.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_the_wall_clock_pattern_finds_what_it_must() -> None:
    for line in ("t = time.time()", "time.sleep(1)", "datetime.now()", "datetime.utcnow()",
                 "datetime.datetime.now(tz)", "time.perf_counter()", "time.monotonic()",
                 "from time import sleep"):
        assert WALL_CLOCK.search(line), line
    assert not WALL_CLOCK.search("yield self.env.timeout(1)")
