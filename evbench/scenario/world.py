"""Putting a scenario's world (cars, grid settings) into its station, and finding connectors.

A station configuration holds the charger and its hardware (simulated or real); the scenario
adds what is outside the charger: a simulated car per connector, and settings of the simulated
grid. The connectors are found from the wiring: each EVSE manager's board, that board's car side,
the meter, and the car plugged into it.
"""

from __future__ import annotations

from dataclasses import dataclass

from charger.framework.config import (
    ModuleInstance,
    StationConfig,
    parse_station,
    resolve_station,
)
from charger.framework.errors import ConfigError, Problem
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import document_problems
from charger.framework.yamlio import LineDict, line_at, load_yaml
from evbench.scenario.model import Scenario, Step
from evbench.scenario.selectors import ConnectorMap
from reports.recorder import ConnectorProbe


@dataclass
class World:
    station: StationConfig
    connectors: ConnectorMap
    probes: list[ConnectorProbe]
    grid_supply: tuple[str, str] | None
    grid_control: tuple[str, str] | None
    readers: list[str]  # module ids of simulated RFID readers
    csms_control: tuple[str, str] | None = None  # a simulated OCPP backend's control
    csms_connector_operations: frozenset[str] = frozenset()  # its commands with a connector


def _provided(registry: ModuleRegistry, inst: ModuleInstance, interface: str) -> list[str]:
    manifest = registry.get(inst.module).manifest
    return [impl for impl, p in manifest.provides.items() if p.interface == interface]


def _connected(registry: ModuleRegistry, inst: ModuleInstance,
               interface: str) -> list[tuple[str, str]]:
    manifest = registry.get(inst.module).manifest
    return [target for req, targets in inst.connections.items()
            if manifest.requires[req].interface == interface for target in targets]


def build_world(scenario: Scenario, registry: ModuleRegistry) -> World:
    station = parse_station(load_yaml(scenario.station_path), scenario.station_path)
    resolve_station(station, registry)  # problems here belong to the station file
    problems: list[Problem] = []
    for module_id, overrides in scenario.module_config.items():
        line = scenario.module_config.line_of(module_id)
        inst = station.modules.get(module_id)
        if inst is None:
            problems.append(Problem(scenario.path, line, f"module_config: the station has no "
                                    f"module {module_id!r}"))
            continue
        manifest = registry.get(inst.module).manifest
        found = document_problems(overrides, {"type": "object",
                                              "properties": manifest.config,
                                              "additionalProperties": False}, scenario.path)
        problems += found
        if not found:  # a bad override is reported, never used: what follows would trip on it
            inst.config.update(overrides)

    grid_control = next(((i.id, impl) for i in station.modules.values()
                         for impl in _provided(registry, i, "grid_simulator")), None)
    grid_supply = next(((i.id, impl) for i in station.modules.values()
                        for impl in _provided(registry, i, "grid_supply")), None)
    if scenario.grid:
        if grid_control is None:
            problems.append(Problem(scenario.path, getattr(scenario.grid_doc, "line", None),
                                    "world.grid is set but the station has no simulated grid"))
        else:
            inst = station.modules[grid_control[0]]
            manifest = registry.get(inst.module).manifest
            problems += document_problems(
                scenario.grid_doc, {"type": "object", "properties": manifest.config,
                                    "additionalProperties": False}, scenario.path)
            inst.config.update(scenario.grid)

    problems += connector_problems(station, registry, scenario)
    connectors = ConnectorMap()
    probes: dict[int, ConnectorProbe] = {}
    for inst in station.modules.values():
        if not _provided(registry, inst, "evse_manager"):
            continue
        connector = inst.config.get("connector_id", 1)
        if connector in connectors.evse:
            continue  # a second EVSE manager on this connector: reported above
        boards = _connected(registry, inst, "evse_board_support")
        if not boards:
            continue
        board_module, board_impl = boards[0]
        board_inst = station.modules[board_module]
        ev_side = _provided(registry, board_inst, "ev_board_support")
        meters = _connected(registry, inst, "powermeter")
        if not meters:
            meters = [(board_module, impl)
                      for impl in _provided(registry, board_inst, "powermeter")]
        connectors.evse[connector] = inst.id
        connectors.board[connector] = board_module
        probes[connector] = ConnectorProbe(
            connector, (board_module, board_impl),
            (board_module, ev_side[0]) if ev_side else None,
            meters[0] if meters else None)

    car_schema = {"type": "object", "additionalProperties": False,
                  "properties": {**registry.get("SimCar").manifest.config,
                                 "connector": {"type": "integer"}}}
    for car in scenario.cars:
        line = getattr(car.doc, "line", None)
        probe = probes.get(car.connector)
        if probe is None:
            problems.append(Problem(scenario.path, line,
                                    f"the station has no connector {car.connector} "
                                    f"(connectors: {sorted(probes) or 'none'})"))
            continue
        if probe.ev_board is None:
            problems.append(Problem(scenario.path, line,
                                    f"connector {car.connector}'s board "
                                    f"{probe.board[0]} has no car side: a simulated car needs "
                                    "a simulated board"))
            continue
        problems += document_problems(car.doc, car_schema, scenario.path)
        car_id = _free_id(station, f"car{car.connector}")
        doc = LineDict({"module": "SimCar", "config": car.doc})
        doc.line, doc.key_lines = line or 0, {"config": line or 0}
        station.modules[car_id] = ModuleInstance(
            car_id, "SimCar", dict(car.config),
            {"ev_board": [f"{probe.ev_board[0]}.{probe.ev_board[1]}"]}, scenario.path, doc)
        connectors.car[car.connector] = car_id
        probes[car.connector] = ConnectorProbe(probe.connector, probe.board, probe.ev_board,
                                               probe.meter, (car_id, "car"))
    if problems:
        raise ConfigError(problems)
    resolve_station(station, registry)

    readers = [i.id for i in station.modules.values()
               if _provided(registry, i, "rfid_simulator")]
    csms_control = next(((i.id, impl) for i in station.modules.values()
                         for impl in _provided(registry, i, "csms_simulator")), None)
    _check_steps(scenario, connectors, readers, grid_control)
    _check_csms_steps(scenario, registry, csms_control)
    csms_interface = registry.schemas.interfaces.get("csms_simulator")
    with_connector = frozenset(name for name, spec in csms_interface.cmds.items()
                               if "connector" in spec.arguments) if csms_interface else frozenset()
    return World(station, connectors, [probes[c] for c in sorted(probes)], grid_supply,
                 grid_control, readers, csms_control, with_connector)


def connector_problems(station: StationConfig, registry: ModuleRegistry,
                       scenario: Scenario | None = None) -> list[Problem]:
    """Each EVSE manager whose connector_id an earlier one already has, on the line of its
    connector_id (in the scenario's module_config when set there): a connector, and the car
    plugged into it, can belong to one EVSE manager only."""
    problems = []
    first: dict[int, str] = {}
    overrides = scenario.module_config if scenario is not None else {}
    for inst in station.modules.values():
        if not _provided(registry, inst, "evse_manager"):
            continue
        connector = inst.config.get("connector_id", 1)
        if connector not in first:
            first[connector] = inst.id
            continue
        reason = (f"{inst.id}: connector_id {connector} is already {first[connector]}'s "
                  "(each EVSE manager needs its own connector)")
        if scenario is not None and "connector_id" in overrides.get(inst.id, {}):
            problems.append(Problem(scenario.path,
                                    line_at(overrides, [inst.id, "connector_id"]), reason))
        else:
            problems.append(Problem(inst.path, inst.line("config", "connector_id"), reason))
    return problems


def csms_command(world: World, step: Step) -> tuple[tuple[str, str], str, dict]:
    """The command of a ``csms`` step: the backend operation, its arguments, and the step's
    connector when the operation takes one and the step does not name it."""
    assert world.csms_control is not None
    args = dict(step.args.get("args", {}))
    if step.args["operation"] in world.csms_connector_operations:
        args.setdefault("connector", step.connector)
    return world.csms_control, step.args["operation"], args


def _check_csms_steps(scenario: Scenario, registry: ModuleRegistry,
                      csms_control: tuple[str, str] | None) -> None:
    steps = [s for s in scenario.steps if s.action == "csms"]
    if not steps:
        return
    problems = []
    interface = registry.schemas.interface("csms_simulator")
    for step in steps:
        where = f"step {step.index} (csms)"
        operation = step.args["operation"]
        if csms_control is None:
            problems.append(Problem(scenario.path, step.line,
                                    f"{where}: the station has no simulated OCPP backend"))
            continue
        spec = interface.cmds.get(operation)
        if spec is None:
            problems.append(Problem(scenario.path, step.line,
                                    f"{where}: unknown operation {operation!r} (known: "
                                    f"{', '.join(sorted(interface.cmds))})"))
            continue
        args = dict(step.args.get("args", {}))
        if "connector" in spec.arguments:
            args.setdefault("connector", step.connector)
        problem = spec.check_arguments({**spec.defaults(), **args})
        if problem:
            problems.append(Problem(scenario.path, step.line,
                                    f"{where}: arguments of {operation}: {problem}"))
    if problems:
        raise ConfigError(problems)


def _free_id(station: StationConfig, wanted: str) -> str:
    candidate, n = wanted, 1
    while candidate in station.modules:
        n += 1
        candidate = f"{wanted}_{n}"
    return candidate


CAR_ACTIONS = {"plug_in", "unplug", "pause", "resume", "ev_script", "fault", "set_soc"}
EVSE_ACTIONS = {"charger_pause", "charger_resume", "stop_transaction", "enable", "disable"}


def _check_steps(scenario: Scenario, connectors: ConnectorMap, readers: list[str],
                 grid_control: tuple[str, str] | None) -> None:
    problems = []
    for step in scenario.steps:
        where = f"step {step.index} ({step.action})"
        if step.action in CAR_ACTIONS and step.connector not in connectors.car:
            problems.append(Problem(scenario.path, step.line,
                                    f"{where}: no car on connector {step.connector} "
                                    "(add one under world.cars)"))
        if step.action in EVSE_ACTIONS and step.connector not in connectors.evse:
            problems.append(Problem(scenario.path, step.line,
                                    f"{where}: the station has no connector {step.connector}"))
        if step.action == "swipe":
            reader = step.args.get("reader")
            if not readers or (reader and reader not in readers):
                problems.append(Problem(scenario.path, step.line,
                                        f"{where}: the station has no simulated RFID reader"
                                        + (f" {reader!r}" if reader else "")))
        if step.action == "grid" and grid_control is None:
            problems.append(Problem(scenario.path, step.line,
                                    f"{where}: the station has no simulated grid"))
    if problems:
        raise ConfigError(problems)
