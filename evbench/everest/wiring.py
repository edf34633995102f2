"""The wiring steps of the mapping table: what a rename cannot say.

Each runs after every module, parameter and connection has been renamed, once per EVerest
module of its rule, in the table's order; its docstring's first paragraph is shown in
docs/everest-import.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.car.script import NOT_YET, SCRIPT_COMMANDS, ScriptError, parse_script

if TYPE_CHECKING:
    from evbench.everest.importer import Built, Importer
    from evbench.everest.source import EverestModule

GRID_ID = "grid"
DEFAULT_TOKEN = "DEADBEEF"  # EVerest's dummy token, swiped where the configuration names none
DEFAULT_GRID_A = 63.0  # SimGrid's default supply limit


def board_on_grid(imp: Importer, module: EverestModule) -> None:
    """The board is supplied by a simulated grid (SimGrid, module id `grid`), which the import
    adds once: EVerest's simulated board has no supply of its own."""
    board = imp.built(module)
    if board is not None:
        board.connect("grid", f"{_grid(imp).id}.supply")


def _grid(imp: Importer) -> Built:
    grid = next(iter(imp.modules_of("SimGrid")), None)
    if grid is None:
        grid = imp.add(GRID_ID, "SimGrid", None, "added: the simulated supply (EVerest has none)")
    return grid


def car_in_scenario(imp: Importer, module: EverestModule) -> None:
    """The car goes into the scenario written beside the station, on the connector whose board
    it is connected to; auto_exec_commands become its script. A script with commands the car
    does not speak yet (ISO 15118's `iso_*`) is reported, and the car comes without it."""
    car = imp.built(module)
    if car is None:
        return
    car.in_scenario = True
    script = car.config.get("script", "")
    line = car.config_lines.get("script") or module.module_line
    if not script.strip():
        car.config.pop("script", None)
        imp.report(line, f"{module.id}: auto_exec_commands",
                   "no commands: the car waits unplugged; add steps (plug_in, ev_script) to the "
                   "scenario", lost=False)
        return
    try:
        parse_script(script)
    except ScriptError as error:
        del car.config["script"]
        commands = [c.strip().split(" ")[0] for c in script.split(";") if c.strip()]
        later = sorted({c for c in commands if c.startswith(NOT_YET) and c not in SCRIPT_COMMANDS})
        reason = (f"{', '.join(later)}: not supported yet (they need ISO 15118, which the "
                  "simulated car does not speak yet)" if later else str(error))
        imp.demote(line, f"{module.id}: auto_exec_commands",
                    f"{reason}: the car is imported without a script; give it IEC commands "
                    "('sleep 1;iec_wait_pwr_ready;sleep 1;draw_power_regulated 16,3;sleep 30;"
                    "unplug') in the scenario")


def auth_serves_evse(imp: Importer, module: EverestModule) -> None:
    """Energy management is set (`energy_managed`) when an energy manager is above the EVSE
    manager. In older EVerest the EVSE manager required the Auth module (`auth`); in evbench,
    as in later EVerest, the Auth module requires the EVSE managers: the import turns the
    connection round."""
    evse = imp.built(module)
    if evse is None:
        return
    for connection in module.targets("auth"):
        auth = imp.modules.get(imp.ids.get(connection.module_id, ""))
        if auth is not None and auth.module == "Auth":
            auth.connect("evse_manager", f"{evse.id}.evse", connection.line)


def token_on_session_start(imp: Importer, module: EverestModule) -> None:
    """A token presented whenever a session starts, to validators that accept every token, is
    free charging: the Auth modules it serves get `free_charging: true` with its token as
    `free_token`, and the provider is left out. Otherwise it stays a simulated reader, and the
    scenario swipes its token when each car has plugged in."""
    reader = imp.built(module)
    if reader is None:
        return
    token = module.value("main.token")
    reader.token = token if isinstance(token, str) and token else DEFAULT_TOKEN
    target = f"{reader.id}.tokens"
    auths = [a for a in imp.modules_of("Auth") if target in a.connections.get("token_provider", [])]
    if not auths or not all(_accepts_any(imp, auth) for auth in auths):
        return
    for auth in auths:
        if auth.config.get("free_charging"):
            imp.report(module.module_line, f"{module.id} ({module.module})",
                       f"{auth.id} presents {auth.config['free_token']!r} already; evbench's "
                       f"free charging has one token, so {reader.token!r} is not presented",
                       lost=False)
        auth.config["free_charging"] = True
        auth.config.setdefault("free_token", reader.token)
    imp.report(module.module_line, f"{module.id} ({module.module})",
               f"imported as free charging of {', '.join(a.id for a in auths)} (token "
               f"{reader.token!r} on every session start; its validators, which accept every "
               "token, are not asked)", lost=False)
    imp.free_charging = True
    imp.remove(reader)


def _accepts_any(imp: Importer, auth: Built) -> bool:
    validators = [imp.modules.get(t.partition(".")[0])
                  for t in auth.connections.get("token_validator", [])]
    return bool(validators) and all(
        v is not None and v.module == "LocalAllowList" and v.config.get("unknown_status")
        == "Accepted" and not v.config.get("blocked") for v in validators)


def reader_token(imp: Importer, module: EverestModule) -> None:
    """A manual token provider is a simulated reader; the scenario swipes `DEADBEEF` (or the
    provider's `main.token`) when each car has plugged in."""
    reader = imp.built(module)
    if reader is not None:
        token = module.value("main.token")
        reader.token = token if isinstance(token, str) and token else DEFAULT_TOKEN


def energy_node_type(imp: Importer, module: EverestModule) -> None:
    """The node an energy manager's energy_trunk names is the grid connection: `node_type:
    Grid`, supplied by the simulated grid (whose limit is raised to the node's fuse when that
    is higher); every other node is a `Fuse`."""
    node = imp.built(module)
    if node is None:
        return
    roots = {t.partition(".")[0] for m in imp.modules_of("EnergyManager")
             for t in m.connections.get("root", [])}
    if node.id not in roots:
        node.config["node_type"] = "Fuse"
        return
    node.config["node_type"] = "Grid"
    grid = _grid(imp)
    node.connect("supply", f"{grid.id}.supply")
    fuse = node.config.get("fuse_limit_a")
    if isinstance(fuse, int | float) and not isinstance(fuse, bool) \
            and fuse > grid.config.get("max_current_a", DEFAULT_GRID_A) and fuse <= 1e6:
        grid.config["max_current_a"] = float(fuse)


def api_sees_the_world(imp: Importer, module: EverestModule) -> None:
    """The Api also reaches the simulated world: the EVSE managers' meters (in their order),
    the readers and the grid; its limits go where EVerest's API sinks were (turned round, as
    OCPP's). The cars are the scenario's, so the Api cannot plug them in."""
    api = imp.built(module)
    if api is None:
        return
    evses = [imp.modules.get(t.partition(".")[0]) for t in api.connections.get("evse_manager", [])]
    meters = [e.connections.get("powermeter", [None])[0] if e else None for e in evses]
    if meters and all(meters):
        for meter in meters:
            api.connect("powermeter", meter)
    for reader in list(imp.modules_of("SimRfidReader"))[:len(evses)]:
        api.connect("rfid", f"{reader.id}.control")
    grid = next(iter(imp.modules_of("SimGrid")), None)
    if grid is not None:
        api.connect("grid", f"{grid.id}.control")
    _limits_to_sinks(imp, module, f"{api.id}.limits", ("evse_energy_sink",))


def ocpp_backend(imp: Importer, module: EverestModule) -> None:
    """The charge point talks to a simulated backend (SimCsms, added) that accepts the tokens
    the scenario swipes; its meters and locks are those of its EVSE managers, in their order;
    each of EVerest's energy sinks becomes a requirement of evbench's side: a node above one
    EVSE manager alone gives the limit to that EVSE manager, another node takes it itself."""
    ocpp = imp.built(module)
    if ocpp is None:
        return
    version = "1.6" if ocpp.module == "Ocpp16" else "2.0.1"
    tokens = {reader.token: "Accepted" for reader in imp.modules_of("SimRfidReader")
              if reader.token}
    csms = imp.add("csms", "SimCsms", None,
                   f"added: a simulated OCPP {version} backend for {ocpp.id} (replace it by an "
                   "OcppWebSocketLink for a real one, docs/ocpp.md)")
    csms.config.update({"ocpp_versions": [version],
                        "tokens": tokens or {DEFAULT_TOKEN: "Accepted"}})
    ocpp.connect("link", f"{csms.id}.link")
    evses = [imp.modules.get(t.partition(".")[0]) for t in ocpp.connections.get("evse_manager", [])]
    for evse_req, ocpp_req in (("powermeter", "powermeter"), ("lock", "connector_lock")):
        found = [e.connections.get(evse_req, [None])[0] if e else None for e in evses]
        if found and all(found) and ocpp_req not in ocpp.connections:
            for target in found:
                ocpp.connect(ocpp_req, target)
    _limits_to_sinks(imp, module, f"{ocpp.id}.energy_limits",
                     ("evse_energy_sink", "connector_zero_sink"))


def _limits_to_sinks(imp: Importer, module: EverestModule, limits: str,
                     requirements: tuple[str, ...]) -> None:
    """EVerest's energy sinks point from the module that sets limits to energy nodes; in
    evbench the EVSE manager (for a node above it alone) or the node requires the limits."""
    for sink in module.targets(*requirements):
        node = imp.modules.get(imp.ids.get(sink.module_id, ""))
        if node is None or node.module != "EnergyNode":
            continue
        children = [imp.modules.get(t.partition(".")[0])
                    for t in node.connections.get("children", [])]
        alone = children[0] if len(children) == 1 else None
        for target in ([alone] if alone is not None and alone.module == "EvseManager"
                       else []) + [node]:
            if "external_limits" not in target.connections:
                target.connect("external_limits", limits, sink.line)
                break
        else:
            imp.report(sink.line, f"{module.id}: connection {sink.requirement} -> "
                       f"{sink.module_id}", f"{node.id} takes limits from "
                       f"{node.connections['external_limits'][0]} already (evbench's nodes and "
                       "EVSE managers take one source of limits): left out")
