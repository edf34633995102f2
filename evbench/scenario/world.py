"""Putting a scenario's world (cars, grid settings) into its station, and finding connectors.

A station configuration holds the charger and its hardware (simulated or real); the scenario
adds what is outside the charger: a simulated car per connector, and settings of the simulated
grid. The connectors are found from the wiring: each EVSE manager's board, that board's car side,
the meter, and the car plugged into it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from charger.framework.config import (
    ModuleInstance,
    StationConfig,
    parse_station,
    resolve_station,
)
from charger.framework.errors import ConfigError, Problem
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import CommandSpec, document_problems
from charger.framework.yamlio import LineDict, line_at, load_yaml
from evbench.scenario.actions import ACTIONS
from evbench.scenario.expectations import EXPECTATIONS
from evbench.scenario.fleet import Fleet, station_document
from evbench.scenario.model import Scenario, Step
from evbench.scenario.names import StationNames, station_names
from evbench.scenario.selectors import ConnectorMap, Selector
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
    names: StationNames = field(default_factory=StationNames)  # what scenarios may name
    rig: str | None = None  # the bench rig file the station runs on


def _provided(registry: ModuleRegistry, inst: ModuleInstance, interface: str) -> list[str]:
    manifest = registry.get(inst.module).manifest
    return [impl for impl, p in manifest.provides.items() if p.interface == interface]


def _connected(registry: ModuleRegistry, inst: ModuleInstance,
               interface: str) -> list[tuple[str, str]]:
    manifest = registry.get(inst.module).manifest
    return [target for req, targets in inst.connections.items()
            if manifest.requires[req].interface == interface for target in targets]


def build_world(scenario: Scenario, registry: ModuleRegistry,
                rig_path: str | Path | None = None) -> World:
    """``rig_path``: a bench rig file (hil/rig.py) whose parts replace the station's."""
    if scenario.fleet is not None:
        station = fleet_station(scenario.fleet, registry)
    else:
        station = parse_station(load_yaml(scenario.station_path), scenario.station_path)
    rig = None
    if rig_path is not None:
        from hil.rig import load_rig

        rig = load_rig(rig_path, registry)
        rig.overlay(station, registry)
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
    if rig is not None and not rig.simulated_grid:
        grid_control = None  # the bench's supply is real: the simulated grid does not feed it
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
            if rig is not None:
                continue  # a bench without a simulated car: steps that need one are refused
            problems.append(Problem(scenario.path, line,
                                    f"connector {car.connector}'s board "
                                    f"{probe.board[0]} has no car side: a simulated car needs "
                                    "a simulated board"))
            continue
        problems += document_problems(car.doc, car_schema, scenario.path)
        if isinstance(car.doc, dict) and "hlc_faults" in car.doc:
            from sim.car.profiles import HLC_FAULTS_SCHEMA
            problems += document_problems(car.doc["hlc_faults"], HLC_FAULTS_SCHEMA,
                                          scenario.path)
        car_id = _free_id(station, f"car{car.connector}")
        doc = LineDict({"module": "SimCar", "config": car.doc})
        doc.line, doc.key_lines = line or 0, {"config": line or 0}
        car_connections = {"ev_board": [f"{probe.ev_board[0]}.{probe.ev_board[1]}"]}
        car_connections.update(_hlc_car(station, registry, connectors.evse[car.connector],
                                        car_id, dict(car.config), scenario.path, doc))
        station.modules[car_id] = ModuleInstance(
            car_id, "SimCar", dict(car.config), car_connections, scenario.path, doc)
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
    csms_interface = registry.schemas.interfaces.get("csms_simulator")
    with_connector = frozenset(name for name, spec in csms_interface.cmds.items()
                               if "connector" in spec.arguments) if csms_interface else frozenset()
    step_names = frozenset({s.id for s in scenario.steps if s.id} | {s.action
                                                                    for s in scenario.steps})
    connector_modules = {c: frozenset(m for m in (connectors.evse.get(c), connectors.board.get(c),
                                                  connectors.car.get(c)) if m)
                         for c in connectors.evse}
    names = station_names(station, registry, connector_modules, step_names)
    world = World(station, connectors, [probes[c] for c in sorted(probes)], grid_supply,
                  grid_control, readers, csms_control, with_connector, names,
                  rig.path if rig is not None else None)
    problems = _step_problems(scenario, world) + _condition_problems(scenario, names)
    if problems:
        raise ConfigError(problems)
    return world


def _hlc_car(station: StationConfig, registry: ModuleRegistry, evse_id: str, car_id: str,
             car_config: dict, path: str, doc: LineDict) -> dict[str, list[str]]:
    """The car's side of high-level communication and DC, where the station and the profile
    have them: its SLAC (SimEvSlac) and EVCC (Iso15118Ev) on the car's port of the connector's
    PLC link, configured from the profile's ``hlc`` block, and the DC inlet of the connector's
    power path. Returns SimCar's extra connections."""
    from charger.slac.endpoint import local_mac
    from sim.car.profiles import car_profiles, hlc_behaviour

    evse = station.modules[evse_id]
    profile = car_profiles().get(car_config.get("profile") or
                                 registry.get("SimCar").manifest.config["profile"]["default"])
    if profile is None:
        return {}
    connections: dict[str, list[str]] = {}
    if "dc" in profile:
        for module_id, _impl in _connected(registry, evse, "power_supply_DC"):
            inlet = _provided(registry, station.modules[module_id], "ev_dc_inlet")
            if inlet:
                connections["ev_dc"] = [f"{module_id}.{inlet[0]}"]
    behaviour = hlc_behaviour(profile)
    slacs = _connected(registry, evse, "slac")
    if behaviour is None or not slacs:
        return connections
    slac = station.modules[slacs[0][0]]
    links = _connected(registry, slac, "plc_link")
    if not links:
        return connections
    link_id, evse_side = links[0]
    ev_side = [impl for impl in _provided(registry, station.modules[link_id], "plc_link")
               if impl != evse_side]
    if not ev_side:
        return connections
    port = slac.config.get("port", 1)
    plc = [f"{link_id}.{ev_side[0]}"]
    slac_id, ev_id = _free_id(station, f"{car_id}_slac"), _free_id(station, f"{car_id}_evcc")
    station.modules[slac_id] = ModuleInstance(slac_id, "SimEvSlac", {"port": port},
                                              {"plc": plc}, path, doc)
    protocols = [{"iso15118-2": "iso2", "din70121": "din"}[p] for p in behaviour.protocols]
    # Each car its own EVCCID (its MAC for ISO 15118-2), stable across runs.
    evcc_id = local_mac(ev_id).replace(":", "").upper()
    evcc_config: dict = {"port": port, "protocols": protocols, "evcc_id": evcc_id,
                         "fills_optional": bool(behaviour.fills),
                         "loop_interval_s": behaviour.loop_interval_s,
                         "timeout_profile": behaviour.timeouts}
    extra = tuple((f["fault"], f.get("at")) for f in car_config.get("hlc_faults", []))
    for fault, at in behaviour.faults + extra:
        if fault in ("silent", "out_of_sequence") and at:
            # The EVCC's faults: silence before a request, or garbage in its place.
            evcc_config["fault"] = "silent_before" if fault == "silent" else "garbage_before"
            evcc_config["fault_message"] = f"{at}Req"
    evcc_connections = {"plc": plc, "slac": [f"{slac_id}.main"]}
    car_end = station.modules[link_id].config.get("car_interface")
    if car_end:
        # A bench's emulated line (EmulatedEthernetPlc): the car's end is a real interface in
        # the car's network namespace, and its V2G goes through that namespace's IP stack.
        evcc_config.update(interface=car_end, netns=station.modules[link_id].config["car_netns"])
        del evcc_connections["plc"]
    station.modules[ev_id] = ModuleInstance(ev_id, "Iso15118Ev", evcc_config, evcc_connections,
                                            path, doc)
    connections["slac"] = [f"{slac_id}.main"]
    connections["hlc"] = [f"{ev_id}.ev"]
    return connections


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


def _free_id(station: StationConfig, wanted: str) -> str:
    candidate, n = wanted, 1
    while candidate in station.modules:
        n += 1
        candidate = f"{wanted}_{n}"
    return candidate


def fleet_station(fleet: Fleet, registry: ModuleRegistry) -> StationConfig:
    """The fleet's station; its energy manager's settings are checked against the manager's
    manifest, on the line of the fleet's ``energy_manager``."""
    manifest = registry.get("EnergyManager").manifest
    problems = [Problem(fleet.path, fleet.energy_manager_line, f"fleet.energy_manager: "
                        f"{p.reason}") for p in document_problems(
        fleet.energy_manager, {"type": "object", "properties": manifest.config,
                               "additionalProperties": False}, fleet.path)]
    if problems:
        raise ConfigError(problems)
    doc = station_document(fleet)
    return parse_station(doc, fleet.path)


def _check_car(world: World, step: Step) -> list[str]:
    if step.connector in world.connectors.car:
        return []
    if world.rig is not None:
        return [f"rig {world.rig} has no simulated car on connector {step.connector}"]
    return [f"no car on connector {step.connector} (add one under world.cars)"]


def _check_evse(world: World, step: Step) -> list[str]:
    if step.connector in world.connectors.evse:
        return []
    return [f"the station has no connector {step.connector} "
            f"(connectors: {sorted(world.connectors.evse) or 'none'})"]


def _check_reader(world: World, step: Step) -> list[str]:
    reader = step.args.get("reader")
    if world.readers and (not reader or reader in world.readers):
        return []
    return ["the station has no simulated RFID reader" + (f" {reader!r}" if reader else "")
            + (f" (readers: {', '.join(world.readers)})" if world.readers else "")]


def _check_grid(world: World, step: Step) -> list[str]:
    if world.grid_control:
        return []
    if world.rig is not None:
        return [f"rig {world.rig} has no simulated grid (simulated_grid: false)"]
    return ["the station has no simulated grid"]


def energy_manager(world: World) -> str | None:
    """The module id of the station's energy manager, if it has one."""
    return next((i.id for i in world.station.modules.values() if i.module == "EnergyManager"),
                None)


def _check_energy(world: World, step: Step) -> list[str]:
    return _check_evse(world, step) + ([] if energy_manager(world)
                                       else ["the station has no energy manager"])


def _check_command(spec: CommandSpec, args: dict) -> list[str]:
    problem = spec.check_arguments({**spec.defaults(), **args})
    return [f"arguments of {spec.name}: {problem}"] if problem else []


def _check_csms(world: World, step: Step) -> list[str]:
    if world.csms_control is None:
        return ["the station has no simulated OCPP backend"]
    module, impl = world.csms_control
    interface = world.names.implementations[module][impl]
    operation = step.args["operation"]
    spec = interface.cmds.get(operation)
    if spec is None:
        return [f"unknown operation {operation!r} (known: {', '.join(sorted(interface.cmds))})"]
    args = dict(step.args.get("args", {}))
    if "connector" in spec.arguments:
        # Not checked against the station: a backend may name any connector (0 is the whole
        # station, and bad-input scenarios send one that does not exist on purpose).
        args.setdefault("connector", step.connector)
    return _check_command(spec, args)


def _check_call(world: World, step: Step) -> list[str]:
    module, impl, command = step.args["module"], step.args["impl"], step.args["command"]
    impls = world.names.implementations
    if module not in impls:
        return [f"the station has no module {module!r} (modules: {', '.join(impls)})"]
    if impl not in impls[module]:
        return [f"module {module} has no implementation {impl!r} (implementations: "
                f"{', '.join(impls[module]) or 'none'})"]
    interface = impls[module][impl]
    spec = interface.cmds.get(command)
    if spec is None:
        return [f"{module}.{impl} ({interface.name}) has no command {command!r} (commands: "
                f"{', '.join(interface.cmds) or 'none'})"]
    return _check_command(spec, dict(step.args.get("args", {})))


@dataclass(frozen=True)
class Need:
    """What a kind of step (``Action.needs``) asks of the station."""

    description: str  # docs
    check: Callable[[World, Step], list[str]]  # the reasons the station falls short


NEEDS: dict[str, Need] = {
    "car": Need("a car on the step's connector", _check_car),
    "evse": Need("the step's connector", _check_evse),
    "reader": Need("a simulated RFID reader", _check_reader),
    "grid": Need("a simulated grid", _check_grid),
    "energy": Need("the step's connector and an energy manager", _check_energy),
    "csms": Need("a simulated OCPP backend", _check_csms),
    "module": Need("the named module", _check_call),
}


def _step_problems(scenario: Scenario, world: World) -> list[Problem]:
    problems = []
    for step in scenario.steps:
        needs = ACTIONS[step.action].needs
        for reason in NEEDS[needs].check(world, step) if needs else []:
            problems.append(Problem(scenario.path, step.line,
                                    f"step {step.index} ({step.action}): {reason}"))
    return problems


def _condition_problems(scenario: Scenario, names: StationNames) -> list[Problem]:
    """Every name a condition or expectation uses must be one the station has: a misspelled
    name would never match, and a ``never:`` on it would pass whatever happens."""
    problems = []

    def check(selector: Selector, line: int | None, what: str) -> None:
        reasons = selector.kind.check_names(selector.spec, names)
        if selector.connector is not None and selector.connector not in names.connectors:
            reasons = [f"the station has no connector {selector.connector} (connectors: "
                       f"{sorted(names.connectors) or 'none'})", *reasons]
        problems.extend(Problem(scenario.path, line, f"{what}: {r}") for r in reasons)

    for step in scenario.steps:
        if step.when is not None:
            check(step.when, step.key_lines.get("when", step.line), f"step {step.index} when")
    for number, expectation in enumerate(scenario.expectations, start=1):
        kind, spec = EXPECTATIONS[expectation.kind], expectation.spec
        what = f"expectation {number} ({expectation.kind})"
        connector = spec.get("connector")
        if connector is not None and connector not in names.connectors:
            problems.append(Problem(scenario.path,
                                    expectation.key_lines.get("connector", expectation.line),
                                    f"{what}: the station has no connector {connector} "
                                    f"(connectors: {sorted(names.connectors) or 'none'})"))
            connector = None
        for key in kind.conditions:
            check(Selector(dict(spec[key])).on_connector(connector),
                  expectation.key_lines.get(key, expectation.line), f"{what} {key}")
    return problems
