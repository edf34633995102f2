"""Scenario actions: what a step's ``do:`` may say, and what each becomes on the bus.

Each action is one entry of ``ACTIONS``: its arguments (JSON-schema properties), what part of
the station it needs (checked by ``build_world``), the bus command it becomes (called by the
runner), and its description for the docs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evbench.scenario.model import Step
    from evbench.scenario.world import World

Command = tuple[tuple[str, str], str, dict[str, Any]]  # (module, impl), command, arguments


@dataclass(frozen=True)
class Action:
    name: str
    arguments: dict[str, dict]  # JSON-schema properties
    required: tuple[str, ...]
    summary: str  # docs: what happens
    # What the action needs of the station: "car" (a car on the step's connector), "evse" (the
    # step's connector), "reader", "grid", "csms", "energy" (the step's connector and an energy
    # manager) or "module"; None for nothing.
    needs: str | None
    command: Callable[[World, Step], Command] | None  # None: the runner handles it itself
    arguments_doc: str = ""  # docs, when the argument names alone do not say enough

    @property
    def uses_connector(self) -> bool:
        return self.needs in ("car", "evse", "csms", "energy")

    def arguments_text(self) -> str:
        if self.arguments_doc:
            return self.arguments_doc
        names = [f"`{a}`" if a in self.required else f"optional `{a}`" for a in self.arguments]
        return ", ".join(names)


def _car(command: str, *keys: str) -> Callable[[World, Step], Command]:
    def build(world: World, step: Step) -> Command:
        return ((world.connectors.car[step.connector], "car"), command,
                {k: step.args[k] for k in keys})
    return build


def _evse(command: str, **defaults: Any) -> Callable[[World, Step], Command]:
    """The step's connector's EVSE command; its arguments from the step, else ``defaults``."""
    def build(world: World, step: Step) -> Command:
        args = {k: step.args.get(k, default) for k, default in defaults.items()}
        return (world.connectors.evse[step.connector], "evse"), command, args
    return build


def _fault(world: World, step: Step) -> Command:
    car = (world.connectors.car[step.connector], "car")
    args = step.args
    active = args.get("active", True)
    if args["fault"] == "rcd":
        current = args.get("current_ma", 30.0) if active else 0.0
        return car, "set_rcd_current", {"current_ma": current, "dc": args.get("dc", False)}
    return car, "set_fault", {"fault": args["fault"], "active": active}


def _hardware_fault(world: World, step: Step) -> Command:
    # The simulated board under the step's car (a car needs a simulated board) takes it.
    board = (world.connectors.board[step.connector], "control")
    return board, "set_fault", {"fault": step.args["fault"],
                                "active": step.args.get("active", True)}


def _swipe(world: World, step: Step) -> Command:
    reader = step.args.get("reader") or world.readers[0]
    return (reader, "control"), "present_token", {"id_token": step.args["token"]}


def _grid(world: World, step: Step) -> Command:
    assert world.grid_control is not None
    return world.grid_control, "set_supply", dict(step.args)


def _grid_command(command: str, **renamed: str) -> Callable[[World, Step], Command]:
    """A grid_simulator command; ``renamed`` maps the command's argument to the step's."""
    def build(world: World, step: Step) -> Command:
        assert world.grid_control is not None
        args = {arg: step.args.get(key) for arg, key in renamed.items() if key in step.args}
        return world.grid_control, command, args
    return build


def _car_plan(world: World, step: Step) -> Command:
    from evbench.scenario.world import energy_manager

    manager = energy_manager(world)
    assert manager is not None
    return (manager, "site"), "set_car_plan", {
        "evse": world.connectors.evse[step.connector],
        "departure_in_s": float(step.args["departure_in_s"]),
        "energy_wh": float(step.args["energy_kwh"]) * 1000.0,
        "max_current_a": step.args.get("max_current_a"), "phases": step.args.get("phases")}


def csms_command(world: World, step: Step) -> Command:
    """The command of a ``csms`` step: the backend operation, its arguments, and the step's
    connector when the operation takes one and the step does not name it."""
    assert world.csms_control is not None
    args = dict(step.args.get("args", {}))
    if step.args["operation"] in world.csms_connector_operations:
        args.setdefault("connector", step.connector)
    return world.csms_control, step.args["operation"], args


def _call(world: World, step: Step) -> Command:
    args = step.args
    return (args["module"], args["impl"]), args["command"], dict(args.get("args", {}))


ACTIONS: dict[str, Action] = {action.name: action for action in (
    Action("plug_in", {}, (), "the car plugs in (it charges when the charger allows)", "car",
           _car("plug_in")),
    Action("unplug", {}, (), "the car unplugs", "car", _car("unplug")),
    Action("pause", {}, (), "the car pauses (C -> B)", "car", _car("pause")),
    Action("resume", {}, (), "the car resumes (B -> C)", "car", _car("resume")),
    Action("swipe", {"token": {"type": "string", "minLength": 1, "maxLength": 64},
                     "reader": {"type": "string"}}, ("token",),
           "a card is held to the (named) simulated RFID reader", "reader", _swipe),
    Action("ev_script", {"script": {"type": "string", "minLength": 1}}, ("script",),
           "the car runs an EVerest car-simulator command string (below)", "car",
           _car("execute_script", "script")),
    Action("fault", {"fault": {"enum": ["diode_fail", "error_e", "ventilation", "rcd"]},
                     "active": {"type": "boolean"},
                     "current_ma": {"type": "number", "minimum": 0},
                     "dc": {"type": "boolean"}}, ("fault",),
           "inject or remove a car-side fault", "car", _fault,
           "`fault`: `diode_fail`, `error_e`, `ventilation` or `rcd`; `active` (default true); "
           "for `rcd`: `current_ma` (default 30), `dc`"),
    Action("hardware_fault",
           {"fault": {"enum": ["welded_contactor", "lock_jammed", "meter_silent"]},
            "active": {"type": "boolean"}}, ("fault",),
           "inject or remove a fault of the simulated board under the step's car", "car",
           _hardware_fault,
           "`fault`: `welded_contactor` (the contactors stay closed when told to open), "
           "`lock_jammed` (the lock does not move), `meter_silent` (the meter stops answering); "
           "`active` (default true)"),
    Action("set_soc", {"soc_pct": {"type": "number", "minimum": 0, "maximum": 100}},
           ("soc_pct",), "set the battery's state of charge", "car", _car("set_soc", "soc_pct")),
    Action("grid", {"voltage_v": {"type": "number", "minimum": 0},
                    "frequency_hz": {"type": "number", "minimum": 0},
                    "max_current_a": {"type": "number", "minimum": 0},
                    "available": {"type": "boolean"}}, (),
           "change the supply of the simulated grid", "grid", _grid,
           "any of `voltage_v`, `frequency_hz`, `max_current_a`, `available`"),
    Action("grid_event", {"kind": {"enum": ["voltage", "frequency", "outage"]},
                          "value": {"type": "number", "minimum": 0},
                          "duration_s": {"type": "number", "exclusiveMinimum": 0}},
           ("kind", "duration_s"),
           "a voltage or frequency excursion, or an outage, that ends by itself", "grid",
           _grid_command("grid_event", kind="kind", value="value", duration_s="duration_s"),
           "`kind` (`voltage`, `frequency` or `outage`), `value` (V or Hz; not for an "
           "outage), `duration_s`"),
    Action("demand_response", {"notice_s": {"type": "number", "minimum": 0},
                               "duration_s": {"type": "number", "exclusiveMinimum": 0},
                               "max_import_kw": {"type": "number", "minimum": 0}},
           ("notice_s", "duration_s", "max_import_kw"),
           "the grid announces a demand-response event: from `notice_s` on, for "
           "`duration_s`, the site imports at most `max_import_kw`", "grid",
           _grid_command("announce_demand_response", notice_s="notice_s",
                         duration_s="duration_s", max_import_kw="max_import_kw")),
    Action("car_plan", {"departure_in_s": {"type": "number", "minimum": 0},
                        "energy_kwh": {"type": "number", "minimum": 0},
                        "max_current_a": {"type": "number", "minimum": 0},
                        "phases": {"enum": [1, 2, 3]}},
           ("departure_in_s", "energy_kwh"),
           "tell the energy manager when the car on the connector leaves, how much it still "
           "needs and (optional `max_current_a`, `phases`) the most it draws per phase and on "
           "how many phases; the optimiser schedules by it", "energy", _car_plan),
    Action("charger_pause", {}, (),
           "the charger pauses (basic charging: PWM off; HLC: no current, the car told by its "
           "limits and, on ISO 15118-2, a ReNegotiation)", "evse",
           _evse("pause_charging")),
    Action("charger_resume", {}, (), "the charger resumes", "evse", _evse("resume_charging")),
    Action("stop_transaction",
           {"reason": {"enum": ["Local", "Remote", "EmergencyStop", "Other"]}}, (),
           "the charger ends the transaction", "evse", _evse("stop_transaction", reason="Local"),
           "optional `reason`: `Local` (default), `Remote`, `EmergencyStop`, `Other`"),
    Action("enable", {}, (), "the connector becomes available", "evse",
           _evse("enable_disable", enable=True)),
    Action("disable", {}, (), "the connector becomes unavailable", "evse",
           _evse("enable_disable", enable=False)),
    Action("csms", {"operation": {"type": "string", "minLength": 1},
                    "args": {"type": "object"}}, ("operation",),
           "the simulated OCPP backend acts: remote start/stop, charging profiles, rejections, "
           "going offline, ... (the operations are listed in [ocpp.md](ocpp.md))", "csms",
           csms_command),
    Action("call", {"module": {"type": "string"}, "impl": {"type": "string"},
                    "command": {"type": "string"}, "args": {"type": "object"}},
           ("module", "impl", "command"),
           "call any command of any module of the station (names and arguments are checked "
           "against its interface)", "module", _call),
    Action("end", {}, (), "end the run now", None, None),
)}
