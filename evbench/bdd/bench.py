"""The bench a BDD scenario builds: a scenario file assembled step by step, run once, lazily.

Given steps choose a station file (optionally a patched copy of it), cars and grid settings;
When steps append scenario steps with their timing (``at``, ``when``, ``after``); the first Then
step writes the scenario as YAML into the test's temporary directory, loads it with the product's
loader and runs it with the product's runner. The timeline it records is what every Then reads.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .places import NotFound, Places

if TYPE_CHECKING:  # the product is imported when a scenario is built: the plugin loads fast
    import pandas as pd

    from charger.framework.errors import ConfigError
    from charger.framework.registry import ModuleRegistry
    from evbench.scenario.runner import ScenarioRun
    from evbench.scenario.selectors import ConnectorMap
    from reports.recorder import Row

DEFAULT_STATION = "evbench:ac-1-connector"  # when a feature names none
DEFAULT_DURATION_S = 3600.0  # a cap: the run ends at its last step (plus the tail) before this
DEFAULT_TAIL_S = 5.0  # how long the run goes on after the last action
DEFAULT_SAMPLE_S = 0.1
STALL_ROWS = 5_000  # timeline rows at one simulated instant that mean a zero-time loop
NOOP_SCRIPT = "sleep 0"


@cache
def registry() -> ModuleRegistry:
    """The product's interfaces and module classes, read once per process (they are only read)."""
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry

    return ModuleRegistry(SchemaRegistry())


class SimulationStalled(BaseException):
    """Raised from the recorder when simulated time stops advancing (a zero-time loop). Not an
    Exception: the modules' guards catch and log every Exception, and this must stop the run."""


class BenchError(AssertionError):
    """A feature file asks for something the bench cannot build."""


@dataclass
class Timing:
    """When the next scenario step runs (the runner's at / when / timeout / after)."""

    at: float | None = None
    when: dict | None = None
    timeout: float | None = None
    after: float = 0.0

    def empty(self) -> bool:
        return self.at is None and self.when is None and not self.after

    def as_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.at is not None:
            out["at"] = self.at
        if self.when is not None:
            out["when"] = dict(self.when)
            if self.timeout is not None:
                out["timeout"] = self.timeout
        if self.after:
            out["after"] = round(self.after, 9)
        return out


@dataclass
class Bench:
    """Everything a BDD scenario has said so far, and (after the first Then) its run."""

    workdir: Path
    title: str = "BDD scenario"
    places: Places = field(default_factory=Places)
    station_path: Path | None = None
    station_doc: dict | None = None  # set when a Given step patches the station
    cars: dict[int, dict[str, Any]] = field(default_factory=dict)
    grid: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    timing: Timing = field(default_factory=Timing)
    duration_s: float = DEFAULT_DURATION_S
    tail_s: float = DEFAULT_TAIL_S
    sample_interval_s: float = DEFAULT_SAMPLE_S
    _run: ScenarioRun | None = None
    _timeline: Timeline | None = None
    _refusal: ConfigError | None = None

    # --- Given: the station ----------------------------------------------------------------------
    def use_station(self, name: str) -> None:
        """The station by name or path (see :mod:`evbench.bdd.places`)."""
        try:
            self.station_path = self.places.station(name)
        except NotFound as missing:
            raise BenchError(str(missing)) from None
        self.station_doc = None

    def station(self) -> dict:
        """The station configuration as data, for a Given step to patch."""
        if self.station_path is None:
            self.use_station(DEFAULT_STATION)
        if self.station_doc is None:
            assert self.station_path is not None
            self.station_doc = yaml.safe_load(self.station_path.read_text(encoding="utf-8"))
        return self.station_doc

    def modules_of(self, module_type: str) -> dict[str, dict]:
        modules = self.station()["active_modules"]
        found = {mid: m for mid, m in modules.items() if m["module"] == module_type}
        if not found:
            raise BenchError(f"the station has no {module_type} module")
        return found

    def evse(self, connector: int) -> tuple[str, dict]:
        for mid, module in self.modules_of("EvseManager").items():
            if module.get("config", {}).get("connector_id", 1) == connector:
                return mid, module
        raise BenchError(f"the station has no EvseManager for connector {connector}")

    def board_of(self, connector: int) -> tuple[str, dict]:
        _, evse = self.evse(connector)
        target = evse.get("connections", {}).get("board")
        module_id = (target[0] if isinstance(target, list) else target).split(".")[0]
        return module_id, self.station()["active_modules"][module_id]

    def configure(self, module_id: str, **settings: Any) -> None:
        modules = self.station()["active_modules"]
        if module_id not in modules:
            raise BenchError(f"the station has no module {module_id!r} "
                             f"(modules: {', '.join(modules)})")
        modules[module_id].setdefault("config", {}).update(settings)

    def configure_all(self, module_type: str, **settings: Any) -> None:
        for module_id in self.modules_of(module_type):
            self.configure(module_id, **settings)

    # --- Given: the world ------------------------------------------------------------------------
    def add_car(self, connector: int, **config: Any) -> None:
        self.cars.setdefault(connector, {}).update(config)

    def car(self, connector: int) -> dict[str, Any]:
        if connector not in self.cars:
            raise BenchError(f"no car on connector {connector}: add one with a Given step")
        return self.cars[connector]

    # --- When: scenario steps --------------------------------------------------------------------
    def wait_until(self, t: float) -> None:
        self._flush_if(lambda tm: tm.when is not None or tm.after > 0)
        self.timing.at = t

    def wait_for(self, selector: dict, timeout: float | None = None) -> None:
        self._flush_if(lambda tm: tm.when is not None or tm.after > 0)
        self.timing.when = selector
        self.timing.timeout = timeout

    def wait(self, seconds: float) -> None:
        self.timing.after += seconds

    def do(self, action: str, connector: int | None = None, **args: Any) -> None:
        step: dict[str, Any] = {**self.timing.as_yaml(), "do": action, **args}
        if connector is not None:
            step["connector"] = connector
        self.steps.append(step)
        self.timing = Timing()

    def _flush_if(self, pending) -> None:
        """The runner waits at most once per step: a second wait needs a step of its own."""
        if not pending(self.timing):
            return
        if not self.cars:
            raise BenchError("two waits in a row need a car to carry the first one")
        self.do("ev_script", connector=min(self.cars), script=NOOP_SCRIPT)

    # --- the run ---------------------------------------------------------------------------------
    def scenario_doc(self) -> dict[str, Any]:
        if self.station_path is None:
            self.use_station(DEFAULT_STATION)
        assert self.station_path is not None
        station = self.station_path
        if self.station_doc is not None:
            station = self.workdir / "station.yaml"
            station.write_text(yaml.safe_dump(self.station_doc, sort_keys=False),
                               encoding="utf-8")
        end = {**self.timing.as_yaml(), "do": "end"}
        if self.timing.empty() or (self.timing.when is not None and not self.timing.after):
            end["after"] = self.tail_s
        world: dict[str, Any] = {"cars": [{"connector": c, **copy.deepcopy(cfg)}
                                          for c, cfg in sorted(self.cars.items())]}
        if self.grid:
            world["grid"] = dict(self.grid)
        steps = [*self.steps, end]
        # The default cap grows to let every step run: a step after the end is refused.
        duration = self.duration_s if self.duration_s != DEFAULT_DURATION_S else max(
            self.duration_s, _earliest_end(steps) + self.tail_s)
        return {"scenario": self.title, "station": str(station), "duration": duration,
                "sample_interval": self.sample_interval_s, "world": world,
                "steps": steps}

    def run(self) -> Timeline:
        if self._timeline is not None:
            return self._timeline
        if self._refusal is not None:
            raise AssertionError(f"the scenario was refused: {self._refusal}")
        run = self._prepare()
        if run is None:
            raise AssertionError(f"the scenario was refused: {self._refusal}")
        run.recorder.watch(_stall_guard(run))
        try:
            result = run.run()
        except SimulationStalled as stall:
            raise AssertionError(f"{stall}\n{_tail(run.recorder.rows)}") from None
        self._run = run
        self._timeline = Timeline(run, result)
        exceptions = run.station.exceptions if run.station is not None else []
        if exceptions:
            raise AssertionError("a module raised an exception: "
                                 + "; ".join(f"{m}: {e}" for m, e in exceptions))
        if run.step_failures:
            raise AssertionError("a scenario step did not run: " + "; ".join(run.step_failures))
        return self._timeline

    def refusal(self) -> ConfigError:
        """Why the scenario was refused before it could run (fails if it was accepted)."""
        if self._refusal is None and self._timeline is None:
            self._prepare()
        if self._refusal is None:
            raise AssertionError("the scenario was accepted")
        return self._refusal

    def _prepare(self) -> ScenarioRun | None:
        """Write the scenario file, load it and build its run; None if it was refused."""
        from charger.framework.errors import ConfigError
        from evbench.scenario import load_scenario
        from evbench.scenario.runner import ScenarioRun

        path = self.workdir / "scenario.yaml"
        path.write_text(yaml.safe_dump(self.scenario_doc(), sort_keys=False), encoding="utf-8")
        try:
            return ScenarioRun(load_scenario(path), registry=registry())
        except ConfigError as refusal:
            self._refusal = refusal
            return None


def _stall_guard(run: ScenarioRun):
    state = {"t": -1.0, "rows": 0}

    def guard(row: Row) -> None:
        if row.t != state["t"]:
            state["t"], state["rows"] = row.t, 0
        state["rows"] += 1
        if state["rows"] > STALL_ROWS:
            raise SimulationStalled(f"simulated time stopped at t={row.t:.3f} s: more than "
                                    f"{STALL_ROWS} timeline rows at that instant "
                                    "(a zero-time loop between modules)")
    return guard


def _tail(rows: list[Row], count: int = 12) -> str:
    lines = [f"  {r.t:9.3f} {r.source:<20} {r.kind:<13} {r.name:<34} {r.text[:80]}"
             for r in rows[-count:]]
    return "last timeline rows:\n" + "\n".join(lines)


Trace = list[tuple[float, Any]]  # (time, value from then on), one entry per instant


class Timeline:
    """What a run recorded, read the way the Then steps need it."""

    def __init__(self, run: ScenarioRun, result: Any):
        self.run = run
        self.result = result
        self.rows: list[Row] = run.recorder.rows
        self.events: pd.DataFrame = result.events  # the timeline, one row per recorded message
        self.signals: pd.DataFrame = result.signals  # one row per connector per sample
        self.energy_wh: dict[int, float] = result.energy_wh
        self.connectors: ConnectorMap = run.world.connectors
        self.end_t: float = float(result.sim_time_s)
        self._probes = {p.connector: p for p in run.world.probes}
        self._measurements: dict[int, list[tuple[float, dict]]] = {}

    # --- per-connector physical traces (exact: taken from the board's measurement messages) ----
    def measurements(self, connector: int) -> list[tuple[float, dict]]:
        if connector not in self._measurements:
            probe = self._probes.get(connector)
            if probe is None or probe.ev_board is None:
                raise AssertionError(f"connector {connector} has no simulated board to measure")
            source = f"{probe.ev_board[0]}.{probe.ev_board[1]}"
            self._measurements[connector] = [
                (r.t, r.value) for r in self.rows
                if r.kind == "var" and r.name == "measurement" and r.source == source]
        return self._measurements[connector]

    def trace(self, connector: int, key) -> Trace:
        """A measured quantity as (t, value) steps; of several values at one instant only the
        last counts (a zero-duration glitch carries no energy and trips no fuse)."""
        out: Trace = []
        for t, value in self.measurements(connector):
            item = key(value)
            if out and out[-1][0] == t:
                out[-1] = (t, item)
            else:
                out.append((t, item))
            if len(out) > 1 and out[-1][1] == out[-2][1]:
                out.pop()
        return out

    def pwm(self, connector: int) -> Trace:
        """Pilot generator: a duty cycle (%), ``"off"`` (constant +12 V) or ``"F"`` (-12 V)."""
        def pilot(m: dict) -> float | str:
            if m["pwm_duty_pct"] is not None:
                return float(m["pwm_duty_pct"])
            return "F" if m["cp_voltage_v"] <= -11.0 else "off"
        return self.trace(connector, pilot)

    def current(self, connector: int, phase: int) -> Trace:
        return self.trace(connector, lambda m: float(m["current_a"][phase - 1]))

    def relays(self, connector: int) -> Trace:
        return self.trace(connector, lambda m: bool(m["relays_closed"]))

    # --- messages ----------------------------------------------------------------------------
    def session_events(self, connector: int | None = None) -> list[tuple[float, dict]]:
        return [(r.t, r.value) for r in self.rows
                if r.kind == "var" and r.name == "session_event"
                and (connector is None or r.value.get("connector") == connector)]

    def evse_states(self, connector: int) -> Trace:
        source = f"{self.connectors.evse[connector]}.evse"
        return [(r.t, r.value) for r in self.rows
                if r.kind == "var" and r.name == "state" and r.source == source]

    def token_statuses(self) -> list[tuple[float, str, str]]:
        return [(r.t, r.value["id_token"], r.value["status"]) for r in self.rows
                if r.kind == "var" and r.name == "token_validation_status"]

    def car_states(self, connector: int) -> list[tuple[float, dict]]:
        car = self.connectors.car.get(connector)
        return [(r.t, r.value) for r in self.rows
                if r.kind == "var" and r.name == "ev_state" and r.source == f"{car}.car"]

    def errors(self, raised: bool = True) -> list[Row]:
        kind = "error_raised" if raised else "error_cleared"
        return [r for r in self.rows if r.kind == kind]


def _earliest_end(steps: list[dict[str, Any]]) -> float:
    """When the last step runs at the earliest (steps run in order, each at its ``at`` at the
    earliest, then after its ``after``)."""
    t = 0.0
    for step in steps:
        t = max(t, float(step.get("at", 0.0))) + float(step.get("after", 0.0))
    return t


def times_of(selector: dict, timeline: Timeline) -> list[float]:
    """Instants a product scenario selector (``{contactor: closed}``...) matches."""
    from evbench.scenario.selectors import Evidence, Selector

    evidence = Evidence(timeline.rows, timeline.signals, timeline.connectors)
    return Selector(selector).times(evidence)


def value_at(trace: Trace, t: float, default: Any = None) -> Any:
    """The value holding at time ``t`` (after every change at ``t``)."""
    value = default
    for when, item in trace:
        if when > t + 1e-9:
            break
        value = item
    return value


def values_between(trace: Trace, start: float, end: float = math.inf,
                   default: Any = None) -> list[tuple[float, Any]]:
    """Every (t, value) that holds at some time in [start, end)."""
    out = [(start, value_at(trace, start, default))]
    out += [(t, v) for t, v in trace if start + 1e-9 < t < end - 1e-9]
    return out


def merged_sum(traces: list[Trace], start: float = 0.0,
               end: float = math.inf) -> list[tuple[float, float]]:
    """The sum of several traces at every instant any of them changes, in [start, end)."""
    times = sorted({start} | {t for trace in traces for t, _ in trace if start < t < end})
    return [(t, sum(value_at(trace, t, 0.0) for trace in traces)) for t in times]
