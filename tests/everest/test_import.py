"""`evbench import everest`: EVerest configurations become stations that evbench checks and
runs; what is not carried over is reported on its line; malformed input is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from charger.framework.config import load_station
from charger.framework.yamlio import load_yaml
from evbench.cli import main
from evbench.scenario import load_scenario, run_scenario
from evbench.scenario.world import build_world
from sim.car.script import SCRIPT_COMMANDS
from tests.everest.conftest import AC_CONFIGS, ALL_CONFIGS, CONFIGS, line_of


def _scenario(station: Path) -> Path:
    return station.with_name(f"{station.stem}-scenario.yaml")


def _modules(station: Path) -> dict:
    return yaml.safe_load(station.read_text())["active_modules"]


@pytest.mark.parametrize("name", ALL_CONFIGS)
def test_every_configuration_imports_into_a_station_and_scenario_evbench_accepts(
        name, import_cli, registry):
    code, err, station = import_cli(CONFIGS / name)
    assert code in (0, 1), err
    assert "Traceback" not in err and "refuses" not in err, err
    loaded = load_station(station, registry)
    assert loaded.modules
    build_world(load_scenario(_scenario(station)), registry)  # the scenario's checks pass


@pytest.mark.parametrize("name", AC_CONFIGS)
def test_ac_configurations_run_and_charge(name, import_cli):
    code, err, station = import_cli(CONFIGS / name)
    assert code in (0, 1), err
    scenario = load_yaml(_scenario(station))
    drawing = [car["connector"] for car in scenario["world"]["cars"]
               if "draw_power" in car.get("script", "")]
    assert drawing, "every AC fixture has a car that draws power"
    result = run_scenario(_scenario(station))
    assert result.passed, [(e.name, e.detail) for e in result.expectations if not e.passed]
    for connector in drawing:
        # Every fixture's car draws at least 10 A on one phase at 230 V for 40 s: 25 Wh.
        assert result.energy_wh[connector] > 20, (connector, result.energy_wh)


def test_what_is_not_carried_over_is_reported_on_its_line(tmp_path, import_cli):
    config = tmp_path / "everest.yaml"
    text = (CONFIGS / "ac-one-connector.yaml").read_text()
    text = text.replace("      charge_mode: AC\n", "      charge_mode: AC\n      warp_factor: 9\n")
    text = text.replace("    connections:\n      bsp:",
                        "    connections:\n      flux:\n        - module_id: board_1\n"
                        "          implementation_id: board_support\n      bsp:", 1)
    config.write_text(text.replace("  api:\n", "  mystery:\n    module: FluxCapacitor\n  api:\n"))
    code, err, station = import_cli(config)
    assert code == 1
    expected = [
        ("warp_factor", "unmapped: evse_1: warp_factor: a parameter of EvseManager the mapping "
                        "table does not know"),
        ("flux:", "unmapped: evse_1: connection flux: a requirement of EvseManager the mapping "
                  "table does not know"),
        ("module: FluxCapacitor", "unmapped: mystery (FluxCapacitor): an EVerest module the "
                                  "mapping table does not know"),
        ("module: API", "note: api (API): left out: evbench's Api needs the wall clock"),
        ("module: EvseV2G", "unmapped: v2g_charger (EvseV2G)"),
        ("module: EvseSecurity", "unmapped: security (EvseSecurity)"),
        ("module_id: v2g_charger", "unmapped: evse_1: connection hlc -> v2g_charger: ISO 15118"),
        ("telemetry_enabled", "note: settings.telemetry_enabled"),
        ("session_logging_path", "note: evse_1: session_logging_path"),
    ]
    for marker, message in expected:
        line = line_of(config, marker) + (marker == "flux:")  # a connection: its target's line
        assert f"{config}:{line}: {message}" in err, (marker, err)
    # ... and the written station says so in its header, and still runs what it could.
    header = station.read_text().split("description:")[0]
    assert f"line {line_of(config, 'module: FluxCapacitor')}: mystery (FluxCapacitor)" in header
    assert "imported 8 of 13 EVerest modules" in err


def test_iso_commands_are_reported_as_not_supported_yet_and_the_car_comes_without_them(
        import_cli):
    config = CONFIGS / "dc-one-connector.yaml"
    code, err, station = import_cli(config)
    assert code == 1
    script = yaml.safe_load(config.read_text())["active_modules"]["dc_car"]["config_module"][
        "auto_exec_commands"]
    names = {c.strip().split(" ")[0] for c in script.split(";") if c.strip()}
    later = sorted(n for n in names if n not in SCRIPT_COMMANDS)  # the car's, when it has them
    cars = load_yaml(_scenario(station))["world"]["cars"]
    if later:
        line = line_of(config, "auto_exec_commands")
        assert (f"{config}:{line}: unmapped: dc_car: auto_exec_commands: {', '.join(later)}: "
                "not supported yet") in err
        assert cars == [{"connector": 1}]
    else:
        assert cars == [{"connector": 1, "script": script}]
    assert f"{config}:{line_of(config, 'charge_mode: DC')}: unmapped: dc_evse: charge_mode: " \
           "'DC': DC charging is not available to a station yet" in err


def test_a_complete_import_exits_0(import_cli):
    code, err, station = import_cli(CONFIGS / "legacy-top-level.yaml")
    assert code == 0, err
    assert ": complete" in err and "unmapped" not in err
    modules = _modules(station)
    assert modules["evse_manager"]["config"] == {"connector_id": 1, "phases": 3,
                                                 "max_current_a": 16, "energy_managed": False}
    assert modules["yeti_driver"]["module"] == "SimBoard"
    assert load_yaml(_scenario(station))["world"]["cars"][0]["script"].startswith("sleep 1;")


def test_the_oldest_form_json_with_tabs_and_an_auth_the_evse_manager_required(import_cli):
    config = CONFIGS / "legacy-tabs.json"
    code, err, station = import_cli(config)
    assert code == 1
    modules = _modules(station)
    # The EVSE manager required the Auth module then; evbench's Auth requires the EVSE manager.
    assert modules["auth"]["connections"]["evse_manager"] == "evse_manager.evse"
    assert modules["auth"]["config"]["free_token"] == "A1B2C3D4"
    assert modules["evse_manager"]["config"]["phases"] == 1
    assert f"{config}:{line_of(config, 'JsEmgrLogger')}: unmapped: emgr_logger (JsEmgrLogger)" \
        in err


def test_a_dummy_token_provider_before_accepting_validators_is_free_charging(import_cli):
    code, err, station = import_cli(CONFIGS / "ac-one-connector.yaml")
    modules = _modules(station)
    assert modules["auth"]["config"] == {"connection_timeout_s": 20, "free_charging": True,
                                         "free_token": "CAFE0001"}
    assert "dummy_tokens" not in modules
    assert modules["auth"]["connections"]["token_validator"] == "dummy_validator.main"
    assert modules["dummy_validator"] == {"module": "LocalAllowList",
                                          "config": {"unknown_status": "Accepted"}}
    assert "free charging of auth (token 'CAFE0001'" in err
    assert load_yaml(_scenario(station))["steps"] == []


def test_manual_tokens_are_swiped_and_ocpp_gets_a_backend_that_accepts_them(import_cli):
    code, err, station = import_cli(CONFIGS / "ac-two-connectors-ocpp16.yaml")
    modules = _modules(station)
    assert modules["manual_tokens"] == {"module": "SimRfidReader"}
    ocpp = modules["ocpp"]
    assert ocpp["module"] == "Ocpp16"
    backend = ocpp["connections"]["link"].partition(".")[0]
    assert modules[backend]["config"] == {"ocpp_versions": ["1.6"],
                                          "tokens": {"DEADBEEF": "Accepted"}}
    assert ocpp["connections"]["powermeter"] == ["yeti_a.meter", "yeti_b.meter"]
    # EVerest's energy sinks, the other way round: per-EVSE sinks to the EVSE managers, the
    # grid connection's to its node.
    assert modules["evse_a"]["connections"]["external_limits"] == "ocpp.energy_limits"
    assert modules["grid"]["connections"]["external_limits"] == "ocpp.energy_limits"
    assert modules["grid"]["module"] == "EnergyNode"  # EVerest's id kept; the supply renamed
    assert modules["grid"]["connections"]["supply"] == "grid_2.supply"
    scenario = load_yaml(_scenario(station))
    assert scenario["steps"] == [{"at": "2 s", "do": "swipe", "token": "DEADBEEF"}]


def test_the_energy_tree_keeps_its_shape_and_units(import_cli):
    code, err, station = import_cli(CONFIGS / "ac-energy-tree.yaml")
    modules = _modules(station)
    assert modules["site"]["config"] == {"fuse_limit_a": 20.0, "phases": 3, "node_type": "Grid"}
    assert modules["left_node"]["config"]["node_type"] == "Fuse"
    assert modules["em"]["connections"] == {"root": "site.energy"}
    assert modules["left"]["config"]["energy_managed"] is True
    cars = {c["connector"]: c for c in load_yaml(_scenario(station))["world"]["cars"]}
    assert cars[2]["phases"] == 1 and cars[2]["max_current_a"] == 32
    assert "powermeter -> left_board" in err


def test_values_evbench_cannot_take_are_reported_and_left_out(tmp_path, import_cli, registry):
    config = tmp_path / "everest.yaml"
    config.write_text((CONFIGS / "ac-energy-tree.yaml").read_text()
                      .replace("fuse_limit_A: 20.0", "fuse_limit_A: -5")
                      .replace("module_id: right_board, implementation_id: board_support",
                               "module_id: nowhere, implementation_id: board_support"))
    code, err, station = import_cli(config)
    assert code == 1
    assert f"{config}:{line_of(config, 'fuse_limit_A: -5')}: unmapped: site: -5: evbench's " \
           "EnergyNode parameter 'fuse_limit_a' cannot take it" in err
    assert "the file has no module 'nowhere'" in err
    assert "right (EvseManager): left out: evbench's EvseManager needs its 'board' connected" \
        in err
    modules = load_station(station, registry).modules
    assert "right" not in modules and "fuse_limit_a" not in _modules(station)["site"]["config"]


def test_with_api_everests_api_becomes_the_api_module_on_the_wall_clock(import_cli, registry,
                                                                        capsys):
    config = CONFIGS / "ac-one-connector.yaml"
    code, err, station = import_cli(config, "--api")
    api = _modules(station)["api"]
    assert api == {"module": "Api", "connections": {
        "evse_manager": "evse_1.evse", "powermeter": "board_1.meter", "grid": "grid.control"}}
    load_station(station, registry)
    assert f"run: evbench run {_scenario(station)} --bus mqtt" in err
    # In virtual time the run is refused, with the reason, before anything starts.
    assert main(["run", str(_scenario(station))]) == 2
    assert "api: module Api needs the wall clock" in capsys.readouterr().err


def test_without_output_the_station_is_printed(capsys, tmp_path, registry):
    assert main(["import", "everest", str(CONFIGS / "legacy-top-level.yaml")]) == 0
    printed = tmp_path / "station.yaml"
    printed.write_text(capsys.readouterr().out)
    assert set(load_station(printed, registry).modules) == {
        "yeti_driver", "evse_manager", "auth", "token_validator", "grid"}


MALFORMED = {
    "yaml-syntax": ("active_modules:\n  a: {module: EvseManager\n", 2, "invalid YAML"),
    "duplicate-key": ("active_modules:\n  a:\n    module: Auth\n    module: Auth\n", 4,
                      "duplicate key 'module'"),
    "entry-without-module": ("active_modules:\n  a:\n    config_module: {}\n", 2,
                             "a: 'module' must name an EVerest module"),
    "config-module-list": ("active_modules:\n  a:\n    module: Auth\n    config_module: [1]\n", 4,
                           "a: config_module must be a mapping"),
    "connection-without-impl": ("active_modules:\n  a:\n    module: Auth\n    connections:\n"
                                "      evse_manager:\n        - module_id: b\n", 6,
                                "must give module_id and implementation_id"),
    "active-modules-list": ("active_modules: [a, b]\n", 1, "active_modules must map"),
    "not-a-mapping": ("- module: Auth\n", 1, "the file is not a mapping"),
    "no-modules": ("settings: {}\n", 1, "no active_modules"),
    "evbench-station": ("active_modules:\n  a:\n    module: Auth\n    config: {}\n", 4,
                        "this is an evbench file already"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_exits_2_with_file_and_line(case, tmp_path, import_cli):
    text, line, phrase = MALFORMED[case]
    config = tmp_path / "everest.yaml"
    config.write_text(text)
    code, err, station = import_cli(config)
    assert code == 2
    assert f"error: {config}:{line}: " in err and phrase in err, err
    assert not station.exists() and not station.parent.exists()


MINIMAL = """\
active_modules:
  evse:
    module: EvseManager
    connections:
      bsp: [{module_id: board, implementation_id: board_support}]
  board:
    module: YetiSimulator
"""


@pytest.mark.parametrize("command", [["run"], ["validate"], ["station"]])
@pytest.mark.parametrize("name", ["ac-one-connector.yaml", "legacy-top-level.yaml", "minimal"])
def test_run_validate_and_station_name_the_import_command(command, name, capsys, tmp_path):
    """Recognised by EVerest's keys, its older form, or a module name only EVerest has."""
    config = CONFIGS / name
    if name == "minimal":
        config = tmp_path / "everest.yaml"
        config.write_text(MINIMAL)
    assert main([*command, str(config)]) == 2
    err = capsys.readouterr().err
    assert "this is an EVerest configuration" in err
    assert f"'evbench import everest {config} -o STATION.yaml'" in err


MANUAL_TOKENS = """\
active_modules:
  board: {module: YetiSimulator}
  evse:
    module: EvseManager
    config_module: {connector_id: 1}
    connections:
      bsp: [{module_id: board, implementation_id: board_support}]
      connector_lock: [{module_id: board, implementation_id: connector_lock}]
  car:
    module: EvManager
    config_module:
      auto_exec_commands: sleep 2;iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 30;unplug
    connections:
      ev_board_support: [{module_id: board, implementation_id: ev_board_support}]
  reader: {module: DummyTokenProviderManual}
  validator:
    module: DummyTokenValidator
    config_implementation: {main: {validation_result: RESULT}}
  auth:
    module: Auth
    config_module: {connection_timeout: 30}
    connections:
      token_provider: [{module_id: reader, implementation_id: main}]
      token_validator: [{module_id: validator, implementation_id: main}]
      evse_manager: [{module_id: evse, implementation_id: evse}]
"""


@pytest.mark.parametrize("status, charges", [("Accepted", True), ("Blocked", False)])
def test_a_dummy_validator_answers_every_token_with_its_result(status, charges, tmp_path,
                                                               import_cli):
    """A manual provider becomes a reader the scenario swipes; the validator's one result for
    every token decides whether the car charges."""
    config = tmp_path / "everest.yaml"
    config.write_text(MANUAL_TOKENS.replace("RESULT", status))
    code, err, station = import_cli(config)
    assert code == 0, err
    assert load_yaml(_scenario(station))["steps"] == [
        {"at": "3 s", "do": "swipe", "token": "DEADBEEF"}]
    result = run_scenario(_scenario(station))
    assert (result.energy_wh[1] > 20) is charges, result.energy_wh
    statuses = {json.loads(v)["status"] for v in
                result.events[result.events["name"] == "token_validation_status"]["value"]}
    assert ("Accepted" if charges else "Rejected") in statuses, statuses


def test_outputs_that_cannot_be_used_are_refused_before_anything_is_written(tmp_path, capsys):
    config = tmp_path / "everest.yaml"
    config.write_text((CONFIGS / "legacy-top-level.yaml").read_text())
    assert main(["import", "everest", str(config), "-o", str(config)]) == 2
    assert "is the EVerest configuration itself" in capsys.readouterr().err
    assert main(["import", "everest", str(config), "--scenario", "x.yaml"]) == 2
    assert "--scenario: needs -o STATION.yaml" in capsys.readouterr().err
    (tmp_path / "dir.yaml").mkdir()
    assert main(["import", "everest", str(config), "-o", str(tmp_path / "dir.yaml")]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert config.read_text() == (CONFIGS / "legacy-top-level.yaml").read_text()


def test_a_standalone_module_is_external(tmp_path, import_cli):
    """EVerest's standalone: true (someone else starts the module) is evbench's external."""
    config = tmp_path / "everest.yaml"
    config.write_text(MANUAL_TOKENS.replace("RESULT", "Accepted").replace(
        "  reader: {module: DummyTokenProviderManual}",
        "  reader: {module: DummyTokenProviderManual, standalone: true}"))
    code, err, station = import_cli(config)
    assert code == 0, err
    assert _modules(station)["reader"] == {"module": "SimRfidReader", "external": True}


def test_a_dummy_token_provider_before_a_refusing_validator_stays_a_reader(tmp_path,
                                                                          import_cli):
    """Free charging would skip the validator: where it refuses tokens, the provider stays a
    reader and the scenario swipes its token, which the validator then refuses."""
    config = tmp_path / "everest.yaml"
    config.write_text((CONFIGS / "ac-one-connector.yaml").read_text().replace(
        "validation_result: Accepted", "validation_result: Blocked"))
    code, err, station = import_cli(config)
    modules = _modules(station)
    assert modules["dummy_tokens"] == {"module": "SimRfidReader"}
    assert "free_charging" not in modules["auth"]["config"]
    assert load_yaml(_scenario(station))["steps"] == [
        {"at": "3 s", "do": "swipe", "token": "CAFE0001"}]
    result = run_scenario(_scenario(station))
    assert result.energy_wh[1] == 0
