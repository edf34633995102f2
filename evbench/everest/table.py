"""The EVerest -> evbench mapping: the only place it is declared.

Each EVerest module name has one rule: the evbench module it becomes (or none, and why), its
parameters (``config_module`` keys, and ``config_implementation`` keys written ``impl.key``),
its requirements (connection names) and its implementations. The importer reads it, the page
docs/everest-import.md is generated from it (``python -m evbench.everest.docs --write``), and
the coverage count reads it. Anything not in it is reported as unknown.

What the table cannot say as a rename (a car that becomes part of a scenario, a token provider
that becomes free charging, the grid and backend EVerest does not have) is a wiring step named
by the rule; its docstring is shown in the docs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evbench.everest import wiring
from evbench.everest.findings import NotCarried

if TYPE_CHECKING:
    from evbench.everest.importer import Importer
    from evbench.everest.source import EverestModule


@dataclass(frozen=True)
class Param:
    """An EVerest parameter: renamed to ``evbench`` (converted by ``convert``), or, with
    ``evbench`` None, not written: ``convert`` then only checks that evbench behaves so for the
    value (raising NotCarried otherwise); without ``convert`` the parameter is reported with
    ``note`` (``lost``: a behaviour is lost; otherwise it has no effect here)."""

    everest: str
    evbench: str | None = None
    convert: Callable[[Any], Any] | None = None
    note: str = ""
    lost: bool = True


@dataclass(frozen=True)
class Req:
    """An EVerest requirement (connection name): renamed, or reported with ``note``."""

    everest: str
    evbench: str | None = None
    note: str = ""
    lost: bool = True


@dataclass(frozen=True)
class ModuleRule:
    everest: tuple[str, ...]  # module names (current and older ones)
    role: str
    evbench: str | None  # the evbench module; None: no counterpart (``note`` says what to do)
    params: tuple[Param, ...] = ()
    requires: tuple[Req, ...] = ()
    provides: dict[str, str | None] = field(default_factory=dict)  # EVerest impl -> evbench
    note: str = ""
    lost: bool = True  # for a module without counterpart: is something lost (or no effect)?
    wiring: Callable[[Importer, EverestModule], None] | None = None  # after the renames


# --- value conversions: each returns the evbench value or raises NotCarried --------------------
def number(value: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotCarried(f"{value!r} is not a number")
    return value


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise NotCarried(f"{value!r} is not true or false")
    return value


def phases_from_three_phases(value: Any) -> int:
    return 3 if flag(value) else 1


def phases_from_count(value: Any) -> int:
    if number(value) not in (1, 3):
        raise NotCarried(f"phase_count {value!r}: evbench's energy nodes have 1 or 3 phases; "
                         "the node is imported with 3")
    return int(value)


def text(value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise NotCarried(f"{value!r} is not text")
    return str(value)


def only(*accepted: Any, note: str, lost: bool = True) -> Callable[[Any], None]:
    """A check: evbench behaves as the accepted values say; any other value is reported."""
    def check(value: Any) -> None:
        if value not in accepted or isinstance(value, bool) != isinstance(accepted[0], bool):
            raise NotCarried(note, lost)
    check.accepted = accepted  # type: ignore[attr-defined]  # for the docs
    return check


def validation_status(value: Any) -> str:
    if value not in ("Accepted", "Blocked", "Expired", "Invalid"):
        raise NotCarried(f"validation_result {value!r} is none of Accepted, Blocked, Expired, "
                         "Invalid")
    return value


# --- notes that several rules share --------------------------------------------------------------
NO_HLC = ("ISO 15118 and DIN 70121 (high-level communication, SLAC) are not available to a "
          "station yet: evbench has the modules (docs/slac.md, docs/iso15118.md), but its EVSE "
          "manager and car do not use them yet; they charge by IEC 61851-1 (PWM)")
NO_DC = ("DC charging is not available to a station yet: evbench has a simulated DC power path "
         "(docs/dc-hardware.md), but its EVSE manager charges AC only so far")
NO_EFFECT = "no effect on a simulation"
LOGS = ("evbench records every message of a run in its timeline (evbench run --out DIR writes "
        "timeline.csv and report.html)")
NO_API = ("evbench's API is the Api module (docs/api.md), which EVerest's API module becomes; "
          "this one has no counterpart")
CAR_IEC = ("the simulated car charges by IEC 61851-1; its script and profile "
           "(sim/car/profiles.yaml) set what it does")


def _hlc(name: str) -> Param:
    return Param(name, None, only(False, note=NO_HLC), "only `false`: " + NO_HLC)


def _dc(name: str) -> Param:
    return Param(name, note=NO_DC)


_BOARD_PROVIDES = {"board_support": "board", "ev_board_support": "ev_board", "rcd": "rcd",
                   "connector_lock": "lock", "powermeter": "meter",
                   "yeti_simulation_control": "ev_board"}

MODULES: tuple[ModuleRule, ...] = (
    ModuleRule(
        ("YetiSimulator", "JsYetiSimulator"), "simulated board", "SimBoard",
        params=(
            Param("connector_id", None, None,
                  "evbench numbers connectors by the EVSE manager's connector_id", lost=False),
            Param("reset_powermeter_on_session_start", None, only(False, note=(
                "evbench's simulated meter counts from the start of the run; a session's energy "
                "is the difference of its readings"), lost=False), "only `false`"),
        ),
        provides=_BOARD_PROVIDES,
        note="the simulated plug: charger side, car side, relays, RCD, meter, lock; it takes "
             "its supply from a simulated grid the import adds",
        wiring=wiring.board_on_grid,
    ),
    ModuleRule(
        ("EvManager", "JsEvManager", "JsCarSimulator"), "car simulator", "SimCar",
        params=(
            Param("connector_id", None, None,
                  "the car's connector is the one whose board it is connected to", lost=False),
            Param("auto_enable", None, None, "the simulated car is always enabled", lost=False),
            Param("auto_exec", None, None,
                  "the scenario's car runs auto_exec_commands from the start either way "
                  "(EVerest runs them on request when false)", lost=False),
            Param("auto_exec_commands", "script", text,
                  "the car's command string; `iso_*` commands are reported as not yet supported "
                  "and the car is then imported without a script"),
            Param("auto_exec_infinite", note="the script runs once: repeat it with ev_script "
                  "steps in the scenario"),
            Param("soc", "soc_pct", number, "state of charge in %"),
            Param("max_current", "max_current_a", number, "A per phase"),
            Param("three_phases", "phases", phases_from_three_phases, "true: 3, false: 1"),
            Param("ac_nominal_voltage", None, only(230, 230.0, note=(
                "evbench takes the voltage from the simulated grid (SimGrid voltage_v, 230 V)")),
                  "only 230 V (the simulated grid's)"),
            *(_dc(n) for n in ("dc_max_current_limit", "dc_max_power_limit",
                               "dc_max_voltage_limit", "dc_energy_capacity", "dc_target_current",
                               "dc_target_voltage", "dc_discharge_max_current_limit",
                               "dc_discharge_max_power_limit", "dc_discharge_target_current",
                               "dc_discharge_v2g_minimal_soc")),
            *(Param(n, note=NO_HLC) for n in ("support_sae_j2847", "departure_time", "e_amount",
                                               "force_payment_option")),
            Param("keep_cross_boot_plugin_state", None, None, NO_EFFECT, lost=False),
            Param("plugin_commands", note="write them as an ev_script step of the scenario"),
        ),
        requires=(
            Req("ev_board_support", "ev_board"),
            Req("simulation_control", "ev_board"),
            Req("ev", note=NO_HLC),
            Req("slac", note=NO_HLC),
            Req("powermeter", note="the car reads the simulated board's meter itself",
                lost=False),
            Req("kvs", note=NO_EFFECT, lost=False),
        ),
        provides={"main": "car", "ev_manager": None},
        note="becomes a car of the scenario the import writes beside the station (a car is part "
             "of the world around a station, not of the station): on the connector its board "
             "drives, with auto_exec_commands as its script and SimCar's default profile "
             "(sedan-3ph-11kw: 16 A on 3 phases, EvManager's defaults too); " + CAR_IEC,
        wiring=wiring.car_in_scenario,
    ),
    ModuleRule(
        ("EvseManager",), "EVSE manager", "EvseManager",
        params=(
            Param("connector_id", "connector_id", number),
            Param("max_current", "max_current_a", number, "A per phase (older EVerest)"),
            Param("max_current_import_A", "max_current_a", number, "A per phase"),
            Param("max_current_export_A", note="bidirectional power transfer is not available"),
            Param("three_phases", "phases", phases_from_three_phases, "true: 3, false: 1"),
            Param("has_ventilation", "ventilation_available", flag),
            Param("charge_mode", None, only("AC", note=NO_DC), "only `AC`: " + NO_DC),
            _hlc("ac_hlc_enabled"), _hlc("ac_enforce_hlc"), _hlc("ac_hlc_use_5percent"),
            _hlc("ac_with_soc"), _hlc("supported_iso_ac_bpt"), _hlc("hack_allow_bpt_with_iso2"),
            _hlc("sae_j2847_2_bpt_enabled"), _hlc("ev_receipt_required"),
            _hlc("dbg_hlc_auth_after_tstep"), _hlc("central_contract_validation_allowed"),
            _hlc("enable_autocharge"),
            Param("payment_enable_eim", None, only(True, note=(
                "evbench authorizes by external identification (cards, OCPP) only")),
                  "only `true`"),
            Param("payment_enable_contract", None, None,
                  "Plug and Charge needs ISO 15118: " + NO_HLC, lost=False),
            Param("disable_authentication", None, only(False, note=(
                "set free_charging: true on the Auth module instead")), "only `false`"),
            Param("ac_nominal_voltage", None, only(230, 230.0, note=(
                "evbench takes the voltage from the simulated grid (SimGrid voltage_v, 230 V)")),
                  "only 230 V (the simulated grid's)"),
            Param("external_ready_to_start_charging", None, only(False, note=(
                "evbench's EVSE manager is ready as soon as it starts; nothing waits for an "
                "external signal")), "only `false`"),
            Param("request_zero_power_in_idle", None, None,
                  "evbench's energy manager gives current only to connectors with a car",
                  lost=False),
            *(Param(n, note="phase switching (3 ph / 1 ph) is not available")
              for n in ("switch_3ph1ph_delay_s", "switch_3ph1ph_cp_state")),
            *(Param(n, note="random delays (UK smart charging regulations) are not available")
              for n in ("uk_smartcharging_random_delay_enable",
                        "uk_smartcharging_random_delay_max_duration",
                        "uk_smartcharging_random_delay_at_any_change")),
            Param("sae_j2847_2_bpt_mode", note=NO_HLC),
            *(Param(n, note="bidirectional power transfer is not available")
              for n in ("bpt_channel", "bpt_generator_mode", "bpt_grid_code_island_method")),
            *(_dc(n) for n in ("dc_current_regulation_tolerance", "dc_peak_current_ripple",
                               "dc_isolation_voltage_V", "dc_ramp_ampere_per_second")),
            *(Param(n, None, None, LOGS, lost=False)
              for n in ("session_logging", "session_logging_path", "session_logging_xml",
                        "logfile_suffix")),
            *(Param(n, None, None, "identification: " + NO_EFFECT, lost=False)
              for n in ("evse_id", "evse_id_din", "country_code", "connector_type",
                        "session_id_type")),
            Param("rcd_enabled", None, only(True, note=(
                "leave the EVSE manager's rcd connection out instead")), "only `true` (older "
                  "EVerest; the RCD is the ac_rcd connection)"),
            Param("lock_connector_in_state_b", None, only(True, note=(
                "evbench locks the connector in state B")), "only `true`"),
        ),
        requires=(
            Req("bsp", "board"),
            Req("ac_rcd", "rcd"),
            Req("connector_lock", "lock"),
            Req("powermeter_grid_side", "powermeter"),
            Req("powermeter", "powermeter", "older EVerest"),
            Req("powermeter_car_side", note=NO_DC),
            Req("slac", note=NO_HLC),
            Req("hlc", note=NO_HLC),
            Req("imd", note=NO_DC),
            Req("powersupply_DC", note=NO_DC),
            Req("over_voltage_monitor", note=NO_DC),
            Req("store", note="evbench's EVSE manager keeps nothing across restarts",
                lost=False),
            Req("auth", None, "older EVerest: the import connects it the other way round (the "
                "Auth module requires the EVSE manager)", lost=False),
        ),
        provides={"evse": "evse", "energy_grid": "energy", "token_provider": None,
                  "random_delay": None, "dc_external_derate": None},
        note="one connector's IEC 61851-1 session, as EVerest's; it waits for the energy "
             "manager's limits (energy_managed) when one is above it",
        wiring=wiring.auth_serves_evse,
    ),
    ModuleRule(
        ("Auth", "JsAuth"), "authorization", "Auth",
        params=(
            Param("connection_timeout", "connection_timeout_s", number, "s"),
            Param("selection_algorithm", None, only("PlugEvents", "FindFirst", note=(
                "evbench's Auth gives a token to the first connector with a car waiting, "
                "else to the next car plugged in")),
                  "`PlugEvents`, `FindFirst`: evbench gives a token to the first connector with a "
                  "car waiting, else to the next car plugged in"),
            Param("prioritize_authorization_over_stopping_transaction", None, None,
                  "parent id tokens are not modelled: a token presented again on its charging "
                  "connector stops it", lost=False),
            Param("ignore_connector_faults", None, only(False, note=(
                "evbench does not authorize a faulted connector")), "only `false`"),
            Param("master_pass_group_id", None, only("", note="master pass groups are not "
                                                     "available"), "only empty"),
            Param("plug_in_timeout_enabled", None, only(False, note=(
                "evbench keeps a plugged-in car waiting for a token")), "only `false`"),
        ),
        requires=(
            Req("token_provider", "token_provider"), Req("tokenProvider", "token_provider"),
            Req("token_validator", "token_validator"), Req("tokenValidator", "token_validator"),
            Req("evse_manager", "evse_manager"),
            Req("kvs", note="evbench's Auth keeps nothing across restarts", lost=False),
        ),
        provides={"main": "main", "reservation": None},
    ),
    ModuleRule(
        ("DummyTokenProvider", "JsDummyTokenProvider"), "token provider", "SimRfidReader",
        params=(
            Param("main.token", None, text, "the token presented"),
            Param("main.type", None, None, "token types are not modelled", lost=False),
            Param("main.timeout", None, None,
                  "the Auth module's connection_timeout applies", lost=False),
            Param("main.connector_id", None, only(0, note=(
                "free charging presents its token on every connector")), "only 0"),
            Param("main.sleep", None, None, NO_EFFECT, lost=False),
        ),
        requires=(
            Req("evse", note="the token is presented when that connector's session starts",
                lost=False),
        ),
        provides={"main": "tokens"},
        note="presents its token when a session starts: where every validator of the Auth module "
             "accepts any token, that is the Auth module's free charging (free_token: the token); "
             "otherwise a simulated RFID reader, and the scenario swipes the token",
        wiring=wiring.token_on_session_start,
    ),
    ModuleRule(
        ("DummyTokenProviderManual", "JsDummyTokenProviderManual"), "token provider",
        "SimRfidReader",
        params=(
            Param("main.mqtt_topic", None, None,
                  "tokens are presented by scenario swipe steps, or over the reader's "
                  "rfid_simulator interface", lost=False),
            Param("main.type", None, None, "token types are not modelled", lost=False),
            Param("main.token", None, text, "the token the scenario swipes"),
        ),
        provides={"main": "tokens"},
        note="a simulated RFID reader; the scenario swipes a token when each car has plugged in",
        wiring=wiring.reader_token,
    ),
    ModuleRule(
        ("DummyTokenValidator", "JsDummyTokenValidator"), "token validator", "LocalAllowList",
        params=(
            Param("main.validation_result", "unknown_status", validation_status,
                  "the status of every token"),
            Param("main.validation_reason", None, None, NO_EFFECT, lost=False),
            Param("main.sleep", None, None,
                  "evbench's validator answers at once", lost=False),
        ),
        provides={"main": "main"},
        note="an allow-list with no tokens whose unknown_status is the validation_result",
    ),
    ModuleRule(
        ("EnergyManager",), "energy manager", "EnergyManager",
        params=(
            *(Param(n, None, None, "evbench's energy manager shares current at once "
                    "(no schedule)", lost=False)
              for n in ("schedule_total_duration", "schedule_interval_duration",
                        "update_interval", "debug")),
            *(Param(n, note="phase switching (3 ph / 1 ph) is not available")
              for n in ("switch_3ph1ph_while_charging_mode",
                        "switch_3ph1ph_max_nr_of_switches_per_session",
                        "switch_3ph1ph_time_hysteresis_s", "switch_3ph1ph_power_hysteresis_W",
                        "switch_3ph1ph_switch_limit_stickyness")),
        ),
        requires=(Req("energy_trunk", "root"),),
        provides={"main": "main"},
    ),
    ModuleRule(
        ("EnergyNode",), "energy node (fuse, grid connection)", "EnergyNode",
        params=(
            Param("fuse_limit_A", "fuse_limit_a", number, "A per phase"),
            Param("phase_count", "phases", phases_from_count, "1 or 3"),
            Param("enhance_external_schedule", None, only(False, note=(
                "limits in W are converted by the OCPP module (nominal_voltage_v)")),
                  "only `false`"),
            Param("nominal_voltage_V", None, None,
                  "the OCPP module's nominal_voltage_v converts limits in W", lost=False),
        ),
        requires=(
            Req("energy_consumer", "children"),
            Req("powermeter", note="evbench's energy nodes do not read a meter: they share "
                "their limit among the EVSEs' requests"),
            Req("price_information", note="prices are not available"),
        ),
        provides={"energy_grid": "energy", "external_limits": None},
        note="the node the energy manager's energy_trunk names is the grid connection "
             "(node_type Grid, following the simulated grid's supply); the others are fuses",
        wiring=wiring.energy_node_type,
    ),
    *(ModuleRule(
        (name,), f"OCPP {version}", module,
        params=(
            Param("ChargePointConfigPath", note=(
                "EVerest's OCPP settings file is not read: set this module's charge_point_id "
                "and configuration (docs/ocpp.md)")),
            *(Param(n, None, None, "EVerest's install paths: " + NO_EFFECT, lost=False)
              for n in ("OcppMainPath", "SchemasPath", "ScriptsPath", "UserConfigPath",
                        "DatabasePath", "CoreDatabasePath", "DeviceModelDatabasePath",
                        "DeviceModelConfigPath", "EverestDeviceModelDatabasePath",
                        "MessageLogPath")),
            Param("PublishChargingScheduleIntervalS", None, None,
                  "the composite schedule is computed when the backend asks", lost=False),
        ),
        requires=(
            Req("evse_manager", "evse_manager"),
            Req("auth", "auth"),
            Req("powermeter", "powermeter", "older EVerest"),
            Req("evse_energy_sink", None, "the import connects it the other way round: each "
                "sink's EVSE manager (a node above one EVSE manager alone) or node requires "
                "this module's energy_limits", lost=False),
            Req("connector_zero_sink", None, "as evse_energy_sink", lost=False),
            Req("reservation", None, "evbench's OCPP module handles reservations itself",
                lost=False),
            Req("system", None, "evbench's OCPP module simulates reset and firmware update "
                "itself", lost=False),
            Req("security", note="certificate management is not available; security profiles "
                "1-3 are the OcppWebSocketLink's (docs/ocpp.md)"),
            Req("data_transfer", note="DataTransfer is answered by the module "
                "(data_transfer_vendors)"),
            Req("display_message", note="display messages are not available"),
            Req("extensions_15118", note=NO_HLC),
            Req("kvs", note=NO_EFFECT, lost=False),
        ),
        provides={"main": "main", "auth_validator": "auth_validator",
                  "auth_provider": "auth_provider", "ocpp_generic": None,
                  "session_cost": None, "data_transfer": None},
        note="talks to a simulated backend (SimCsms) the import adds, which accepts the token "
             "the scenario swipes; replace it by an OcppWebSocketLink for a real backend; the "
             "connectors' meters and locks are connected in the EVSE managers' order",
        wiring=wiring.ocpp_backend,
    ) for name, version, module in (("OCPP", "1.6", "Ocpp16"), ("OCPP201", "2.0.1", "Ocpp201"))),
    # --- no counterpart --------------------------------------------------------------------------
    ModuleRule(
        ("API",), "API", "Api",
        requires=(
            Req("evse_manager", "evse_manager"),
            Req("error_history", None, "evbench's Api serves the errors itself", lost=False),
            Req("evse_energy_sink", None, "as OCPP's evse_energy_sink: turned round to the Api's "
                "limits", lost=False),
            Req("ocpp", note="the Api has no OCPP commands: use the OCPP backend"),
            Req("random_delay", note="random delays (UK smart charging regulations) are not "
                "available"),
        ),
        provides={"main": "main"},
        note="evbench's Api (REST, WebSocket and a dashboard, docs/api.md) needs the wall clock, "
             "so a scenario with it runs only with 'evbench run --bus mqtt' or as 'evbench "
             "station': it is imported with --api, and otherwise left out (a note)",
        wiring=wiring.api_sees_the_world,
    ),
    ModuleRule(("RpcApi", "EvAPI"), "API", None, note=NO_API),
    ModuleRule(("evse_manager_consumer_API", "auth_consumer_API", "error_history_consumer_API",
                "external_energy_limits_consumer_API", "dc_external_derate_consumer_API",
                "ocpp_consumer_API", "evse_board_support_API", "powermeter_API",
                "isolation_monitor_API", "power_supply_DC_API", "slac_API", "system_API",
                "display_message_API", "over_voltage_monitor_API"), "API", None, note=NO_API),
    ModuleRule(("SlacSimulator", "JsSlacSimulator", "EvSlac", "EvseSlac", "EvseV2G", "JsRiseV2G",
                "PyEvJosev", "PyJosev", "JsCarV2G", "Evse15118D20", "IsoMux", "JsPyJosev"),
               "ISO 15118 / SLAC", None, note=NO_HLC),
    ModuleRule(("DCSupplySimulator", "JsDCSupplySimulator", "IMDSimulator", "JsIMDSimulator",
                "OVMSimulator"), "DC power path", None, note=NO_DC),
    ModuleRule(("EvseSecurity",), "certificates", None,
               note="certificates matter to ISO 15118 and OCPP security profiles 2-3: the "
                    "OcppWebSocketLink takes ca_file and client_cert_file (docs/ocpp.md)"),
    ModuleRule(("PersistentStore",), "key-value store", None, lost=False,
               note="evbench's modules keep their own state (the OCPP module its database)"),
    ModuleRule(("ErrorHistory",), "error history", None, lost=False,
               note="the timeline records every error raised and cleared"),
    ModuleRule(("System",), "system (reset, firmware, logs)", None, lost=False,
               note="evbench's OCPP module simulates reset and firmware update itself"),
    ModuleRule(("Setup",), "setup (Wi-Fi, UI)", None, lost=False, note=NO_EFFECT),
    ModuleRule(("TerminalDisplayMessage", "TerminalCostAndPriceMessage"), "display", None,
               note="display messages and tariffs are not available"),
    ModuleRule(("OCPPExtensionExample",), "OCPP extension", None,
               note="custom OCPP extensions are not available"),
    ModuleRule(("GenericPowermeter", "SerialCommHub"), "hardware meter", None,
               note="real meters are not available yet; the simulated board has a meter"),
)

RULES: dict[str, ModuleRule] = {name: rule for rule in MODULES for name in rule.everest}


@dataclass(frozen=True)
class KeyRule:
    """A key of a module entry, or of the file's top level / framework settings."""

    everest: str
    evbench: str | None = None  # the station key it becomes
    note: str = ""
    lost: bool = False


ENTRY_KEYS: dict[str, KeyRule] = {rule.everest: rule for rule in (
    KeyRule("standalone", "external", "on the MQTT bus: someone else starts it (docs/mqtt.md)"),
    KeyRule("mapping", note="evbench numbers connectors by the EVSE managers' connector_id"),
    KeyRule("evse", note="older form of mapping: evbench numbers connectors by connector_id"),
    KeyRule("telemetry", note="evbench records every message in the run's timeline"),
    KeyRule("access", note="every module may read and write every configuration"),
    KeyRule("capabilities", note="modules run with the manager's rights"),
    KeyRule("x-view-model", note="the admin panel's layout: " + NO_EFFECT),
)}

TOP_KEYS: dict[str, KeyRule] = {rule.everest: rule for rule in (
    KeyRule("x-module-layout", note="the admin panel's layout: " + NO_EFFECT),
    KeyRule("description", "description"),
    *(KeyRule(f"settings.{name}", note="EVerest's framework setting: evbench's own are "
              "call_timeout_s, liveness_timeout_s, process_groups (docs/stations.md)")
      for name in ("mqtt_broker_host", "mqtt_broker_port", "mqtt_broker_socket_path",
                   "mqtt_everest_prefix", "mqtt_external_prefix", "telemetry_enabled",
                   "telemetry_prefix", "validate_schema", "run_as_user", "prefix",
                   "config_file", "logging_config_file", "modules_dir", "interfaces_dir",
                   "types_dir", "errors_dir", "schemas_dir", "www_dir", "controller_port",
                   "controller_rpc_timeout_ms", "forward_exceptions",
                   "version_information_file")),
)}


def rule_for(module: str) -> ModuleRule | None:
    return RULES.get(module)


def param_rule(rule: ModuleRule, key: str) -> Param | None:
    return next((p for p in rule.params if p.everest == key), None)


def req_rule(rule: ModuleRule, requirement: str) -> Req | None:
    return next((r for r in rule.requires if r.everest == requirement), None)
