"""Running a scenario: the station and its world on one clock, steps driven, everything recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import simpy

from charger.framework.bus import Bus, CommandError
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from charger.framework.virtualclock import TimeStalled
from charger.framework.wallclock import WallClockEnvironment
from evbench.assembly import assemble
from evbench.scenario.actions import ACTIONS
from evbench.scenario.expectations import judge
from evbench.scenario.fleet import with_fleet
from evbench.scenario.invariants import judge_invariants, wiring_of
from evbench.scenario.limits import check_run_size
from evbench.scenario.loader import load_scenario
from evbench.scenario.model import Scenario, Step
from evbench.scenario.selectors import Selector
from evbench.scenario.world import World, build_world
from reports.model import SIGNAL_COLUMNS, ExpectationResult, RunResult
from reports.recorder import Recorder, Row, SignalSampler

SOURCE = "scenario"
PROGRESS_EVERY_S = 10.0  # wall seconds between progress lines of a distributed run
OBSERVATION_LAG_S = 0.02  # wall s: a message's way to the recorder from another process/device


class ScenarioRun:
    """One run of a scenario: in-process on virtual time (default), or distributed, with every
    module in its own OS process on an MQTT bus (``bus_url``) on the wall clock (``factor`` wall
    seconds per simulated second). ``max_rows`` replaces the recording caps (a benchmark's
    larger run)."""

    def __init__(self, scenario: Scenario, seed: int | None = None,
                 registry: ModuleRegistry | None = None, bus_url: str | None = None,
                 factor: float = 1.0, log_dir: Path | None = None,
                 progress: Callable[[str], None] | None = None, state_dir: Path | None = None,
                 rig: Path | None = None, max_rows: int | None = None):
        self.scenario = scenario
        self.bus_url = bus_url
        self.progress = progress
        self.seed = scenario.seed if seed is None else seed
        scenario = self.scenario = with_fleet(scenario, self.seed)
        self.registry = registry or ModuleRegistry(SchemaRegistry())
        self.world: World = build_world(scenario, self.registry, rig)
        check_run_size(scenario, len(self.world.probes), max_rows)
        self.world.station.state_dir = state_dir
        self.assembly = assemble(
            self.world.station, self.registry, seed=self.seed, bus_url=bus_url, factor=factor,
            wall_clock=rig is not None, name=SOURCE, log_dir=log_dir,
            on_event=self._record_manager_event)
        self.env: simpy.Environment = self.assembly.env
        self.bus: Bus = self.assembly.bus
        self.recorder = Recorder(self.env, max_rows)
        self.assembly.tap(self.recorder.record)
        self.sampler = SignalSampler(self.env, self.bus, self.world.probes,
                                     self.world.grid_supply, scenario.sample_interval_s,
                                     max_rows)
        self.finished = self.env.event()
        for limit in (self.recorder.limit, self.sampler.limit):  # a full record ends the run
            limit.reached.callbacks.append(self._finish)
        self.step_failures: list[str] = []
        self.stalled: str | None = None  # why virtual time stopped moving, if it did
        self._mark = 0  # timeline rows before this index happened before the current step

    @property
    def station(self) -> Station | None:
        """The in-process station (None when the modules run as processes)."""
        return self.assembly.station

    # --- running ---------------------------------------------------------------------------------
    def run(self) -> RunResult:
        wall_start = time.perf_counter()
        if self.assembly.distributed:
            self._say(f"broker {self.bus_url}: starting {self.assembly.describe()}")
        self.assembly.start()
        if self.assembly.distributed:
            self._announce_progress()
        try:
            self.sampler.start()
            self.env.process(self._steps(self.scenario.steps))
            if self.scenario.fleet_steps:  # the fleet's cars come and go on their own
                self.env.process(self._steps(self.scenario.fleet_steps))
            self.env.process(self._deadline())
            try:
                self.env.run(until=self.finished)
            except TimeStalled as stalled:  # a module's bug: the run ends with what it recorded
                self.stalled = str(stalled)
                self.recorder.record("log", SOURCE, "error", self.stalled, always=True)
            self.sampler.finish()
        finally:
            self.assembly.stop()
        return self._result(time.perf_counter() - wall_start)

    def _announce_progress(self) -> None:
        """Say how long a distributed run will take, where to watch it, and then how far it
        got every PROGRESS_EVERY_S wall seconds."""
        factor = self.env.factor  # type: ignore[attr-defined]
        self._say(f"running {self.scenario.duration_s:g} simulated s at factor {factor:g} "
                  f"(about {self.scenario.duration_s * factor:.0f} wall s); "
                  f"evbench monitor --bus {self.bus_url}")
        if self.progress is not None:
            self.env.process(self._report_progress(PROGRESS_EVERY_S / factor))

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def _report_progress(self, period_s: float) -> Generator:
        while True:
            yield self.env.timeout(period_s)
            self._say(f"  t = {self.env.now:.0f} s of {self.scenario.duration_s:g} s")

    def _record_manager_event(self, group: str, what: str, detail: dict) -> None:
        # Called on the supervisor thread: hand it to the simulation thread.
        assert isinstance(self.env, WallClockEnvironment)
        self.env.post(lambda: self.recorder.record("lifecycle", "manager", what,
                                                   {"group": group, **detail}))

    def _finish(self, _event: simpy.Event | None = None) -> None:
        """End the run (at its deadline, an ``end`` step, or a full record), once."""
        if not self.finished.triggered:
            self.finished.succeed()

    def _deadline(self) -> Generator:
        yield self.env.timeout(self.scenario.duration_s)
        self._finish()

    def _steps(self, steps: list[Step]) -> Generator:
        for step in steps:
            if step.at is not None:
                if step.at < self.env.now:
                    self.recorder.record("log", SOURCE, "warning",
                                         f"step {step.label} at t={step.at:g} s runs late, "
                                         f"at t={self.env.now:g} s")
                yield self.env.timeout(max(0.0, step.at - self.env.now))
            if step.when is not None:
                met = yield from self._wait_for(step.when, step.timeout)
                if not met:
                    self._fail(step, f"condition {step.when.describe()} was not met"
                               + (f" within {step.timeout:g} s" if step.timeout else ""))
                    return
            if step.after:
                yield self.env.timeout(step.after)
            self.recorder.record("step", SOURCE, step.action,
                                 {"index": step.index, "id": step.id or "",
                                  "connector": step.connector, **step.args})
            self._mark = len(self.recorder.rows)
            if step.action == "end":
                self._finish()
                return
            yield from self._perform(step)

    def _fail(self, step: Step, reason: str) -> None:
        text = f"step {step.label} (line {step.line}): {reason}"
        self.step_failures.append(text)
        self.recorder.record("log", SOURCE, "error", text)

    def _wait_for(self, selector: Selector, timeout: float | None) -> Generator:
        met = self.env.event()
        world = self.world
        if selector.is_signal:
            # Checked on each sample from now on, the samples expectations are judged on.
            column = SIGNAL_COLUMNS.index(selector.spec["signal"])

            def check() -> None:
                sample = ((row[1], row[column]) for row in self.sampler.last_sample)
                if not met.triggered and selector.sample_holds(sample):
                    met.succeed()
            self.sampler.on_sample(check)
            cleanup = lambda: self.sampler.off_sample(check)  # noqa: E731
        else:
            match = selector.matcher(world.connectors)
            # Replay history (transitions need it); only rows since the last step count.
            hits = [i for i, row in enumerate(self.recorder.rows) if match(row)]
            if hits and hits[-1] >= self._mark:
                return True

            def watch(row: Row) -> None:
                if match(row) and not met.triggered:
                    met.succeed()
            self.recorder.watch(watch)
            cleanup = lambda: self.recorder.unwatch(watch)  # noqa: E731
        waits: list[simpy.Event] = [met, self.finished]
        if timeout is not None:
            waits.append(self.env.timeout(timeout))
        yield self.env.any_of(waits)
        cleanup()
        return met.triggered

    # --- actions ---------------------------------------------------------------------------------
    def _perform(self, step: Step) -> Generator:
        target, command, args = self._command_for(step)
        try:
            yield self.bus.call(SOURCE, target[0], target[1], command, args)
        except CommandError as error:
            self._fail(step, f"{target[0]}.{target[1]}.{command} failed: {error}")

    def _command_for(self, step: Step) -> tuple[tuple[str, str], str, dict[str, Any]]:
        build = ACTIONS[step.action].command
        assert build is not None  # only "end" has none, and the runner ends the run itself
        return build(self.world, step)

    # --- results ---------------------------------------------------------------------------------
    def _result(self, wall_time_s: float) -> RunResult:
        signals = self.sampler.frame()
        energy = {c: float(signals[signals["connector"] == c]["energy_wh"].iloc[-1])
                  for c in sorted(self.sampler.latest)} if len(signals) else {}
        results = [judge(e, self.recorder.rows, signals, energy, self.world.connectors)
                   for e in self.scenario.expectations]
        results += self._implicit_results()
        for outcome in results:
            self.recorder.record("expect", SOURCE, outcome.name,
                                 {"passed": outcome.passed, "detail": outcome.detail},
                                 always=True)
        return RunResult(
            scenario=self.scenario.title, scenario_file=self.scenario.path,
            station=self.scenario.station_path, seed=self.seed,
            events=self.recorder.events_frame(), signals=signals, expectations=results,
            sim_time_s=float(self.env.now), wall_time_s=wall_time_s, energy_wh=energy)

    def _implicit_results(self) -> list[ExpectationResult]:
        out = []
        if self.scenario.steps:
            out.append(ExpectationResult(
                "every scenario step ran", not self.step_failures,
                "; ".join(self.step_failures) or f"{len(self.scenario.steps)} steps ran", None,
                kind="implicit"))
        exceptions = [f"{row.source}: {row.value}" for row in self.recorder.rows
                      if row.kind == "log" and row.name == "exception"]
        out.append(ExpectationResult(
            "no module raised an exception", not exceptions,
            "; ".join(exceptions) or "none raised", None, kind="implicit"))
        if self.stalled is not None:
            out.append(ExpectationResult("simulated time kept moving", False, self.stalled, None,
                                         kind="implicit"))
        full = [limit.describe() for limit in (self.recorder.limit, self.sampler.limit)
                if limit.reached.triggered]
        if full:
            out.append(ExpectationResult("the run stayed within its recording limits", False,
                                         "; ".join(full), None, kind="implicit"))
        # The safety invariants (evbench/scenario/invariants.py), judged on every run.
        out += judge_invariants(self.recorder.rows, wiring_of(self.world), float(self.env.now),
                                self.scenario.invariants_off, self._observation_lag_s())
        return out


    def _observation_lag_s(self) -> float:
        """Simulated seconds by which facts from different processes or devices may reach
        the recorder out of order: none in virtual time; on the wall clock, OBSERVATION_LAG_S
        of wall time, scaled by the run's factor."""
        factor = getattr(self.env, "factor", None)
        return OBSERVATION_LAG_S / factor if factor else 0.0


def run_scenario(scenario: Scenario | str | Path, seed: int | None = None,
                 bus_url: str | None = None, factor: float = 1.0,
                 log_dir: Path | None = None,
                 progress: Callable[[str], None] | None = None,
                 state_dir: Path | None = None, rig: Path | None = None) -> RunResult:
    """Load (if given a path) and run a scenario; return what was recorded. ``progress``
    receives what a distributed run has to say while it runs (broker, progress); modules keep
    files that outlive a process in ``state_dir``; ``rig``: a bench rig file, run on the wall
    clock."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return ScenarioRun(scenario, seed, bus_url=bus_url, factor=factor, log_dir=log_dir,
                       progress=progress, state_dir=state_dir, rig=rig).run()
