"""Given steps: the station, its configuration, the cars and the grid."""

from __future__ import annotations

import re

import yaml
from pytest_bdd import given, parsers

from .bench import Bench
from .phrases import DURATION, NUMBER, seconds

CONN = r"(?: (?:on|of) connector (?P<connector>\d+))?"
QUOTED = r'"[^"]+"(?:(?:, | and )"[^"]+")*'


def _connector(text: str | None) -> int:
    return int(text) if text else 1


def _quoted(text: str | None) -> list[str]:
    return re.findall(r'"([^"]+)"', text or "")


# --- the station -------------------------------------------------------------------------------
@given(parsers.parse('the station "{name}"'))
def station(bench: Bench, name: str) -> None:
    bench.use_station(name)


@given(parsers.re(r'module "(?P<module>[\w-]+)" has (?P<key>\w+) = (?P<value>.+)'))
def module_setting(bench: Bench, module: str, key: str, value: str) -> None:
    bench.configure(module, **{key: yaml.safe_load(value)})


@given(parsers.re(rf"connector (?P<connector>\d+) offers at most (?P<amps>{NUMBER}) A"))
def connector_max_current(bench: Bench, connector: str, amps: str) -> None:
    evse_id, _ = bench.evse(int(connector))
    board_id, _ = bench.board_of(int(connector))
    bench.configure(evse_id, max_current_a=float(amps))
    bench.configure(board_id, max_current_a=float(amps))


@given(parsers.re(r"connector (?P<connector>\d+) is wired for (?P<phases>one|three) phases?"))
def connector_phases(bench: Bench, connector: str, phases: str) -> None:
    count = 1 if phases == "one" else 3
    evse_id, _ = bench.evse(int(connector))
    board_id, _ = bench.board_of(int(connector))
    bench.configure(evse_id, phases=count)
    bench.configure(board_id, phases=count)


@given("the connectors are not energy managed")
def not_energy_managed(bench: Bench) -> None:
    bench.configure_all("EvseManager", energy_managed=False)


@given(parsers.re(rf"ventilation is available{CONN}"))
def ventilation_available(bench: Bench, connector: str | None) -> None:
    evse_id, _ = bench.evse(_connector(connector))
    bench.configure(evse_id, ventilation_available=True)


@given(parsers.re(rf"the PWM stop timeout is (?P<duration>{DURATION})"))
def pwm_stop_timeout(bench: Bench, duration: str) -> None:
    bench.configure_all("EvseManager", pwm_stop_timeout_s=seconds(duration))


@given(parsers.re(rf"the energy manager waits (?P<duration>{DURATION}) before raising a limit"))
def settle_time(bench: Bench, duration: str) -> None:
    bench.configure_all("EnergyManager", settle_s=seconds(duration))


@given(parsers.re(rf"the grid connection fuse is (?P<amps>{NUMBER}) A"))
def grid_fuse(bench: Bench, amps: str) -> None:
    for module_id, module in bench.modules_of("EnergyNode").items():
        if module.get("config", {}).get("node_type", "Fuse") == "Grid":
            bench.configure(module_id, fuse_limit_a=float(amps))


# --- authorization -----------------------------------------------------------------------------
@given("free charging is enabled")
def free_charging(bench: Bench) -> None:
    bench.configure_all("Auth", free_charging=True)


@given(parsers.re(rf"the connection timeout is (?P<duration>{DURATION})"))
def connection_timeout(bench: Bench, duration: str) -> None:
    bench.configure_all("Auth", connection_timeout_s=seconds(duration))


@given(parsers.re(rf"the local allow list accepts (?P<accepted>{QUOTED})"
                  rf"(?: and blocks (?P<blocked>{QUOTED}))?"))
def allow_list(bench: Bench, accepted: str, blocked: str | None) -> None:
    bench.configure_all("LocalAllowList", tokens=_quoted(accepted), blocked=_quoted(blocked))


# --- cars --------------------------------------------------------------------------------------
@given(parsers.re(rf'an? "(?P<profile>[^"]+)" car{CONN}'
                  rf"(?: at (?P<soc>{NUMBER}) ?% state of charge)?"))
def car(bench: Bench, profile: str, connector: str | None, soc: str | None) -> None:
    config: dict = {"profile": profile}
    if soc is not None:
        config["soc_pct"] = float(soc)
    bench.add_car(_connector(connector), **config)


@given(parsers.re(rf"the car{CONN} has (?P<key>\w+) = (?P<value>.+)"))
def car_setting(bench: Bench, connector: str | None, key: str, value: str) -> None:
    bench.car(_connector(connector))[key] = yaml.safe_load(value)


@given(parsers.re(rf"the car{CONN} follows a change of the PWM duty after "
                  rf"(?P<duration>{DURATION})"))
def car_reaction_time(bench: Bench, connector: str | None, duration: str) -> None:
    bench.car(_connector(connector))["reaction_time_s"] = seconds(duration)


@given(parsers.re(rf"the car{CONN} stops charging at (?P<soc>{NUMBER}) ?%"))
def car_target_soc(bench: Bench, connector: str | None, soc: str) -> None:
    bench.car(_connector(connector))["target_soc_pct"] = float(soc)


@given(parsers.re(rf'the car{CONN} starts with the script "(?P<script>[^"]*)"'))
def car_script(bench: Bench, connector: str | None, script: str) -> None:
    bench.car(_connector(connector))["script"] = script


# --- grid and run ------------------------------------------------------------------------------
@given(parsers.re(rf"the grid supply allows (?P<amps>{NUMBER}) A"))
def grid_supply(bench: Bench, amps: str) -> None:
    bench.grid["max_current_a"] = float(amps)


@given(parsers.re(rf"the run lasts at most (?P<duration>{DURATION})"))
def run_cap(bench: Bench, duration: str) -> None:
    bench.duration_s = seconds(duration)


@given(parsers.re(rf"signals are sampled every (?P<duration>{DURATION})"))
def sample_interval(bench: Bench, duration: str) -> None:
    bench.sample_interval_s = seconds(duration)
