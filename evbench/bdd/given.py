"""Given steps: the station, its configuration, the cars and the grid."""

from __future__ import annotations

import re

import yaml
from pytest_bdd import parsers

from .bench import Bench
from .library import given
from .phrases import DURATION, NUMBER, seconds

CONN = r"(?: (?:on|of) connector (?P<connector>\d+))?"
QUOTED = r'"[^"]+"(?:(?:, | and )"[^"]+")*'


def _connector(text: str | None) -> int:
    return int(text) if text else 1


def _quoted(text: str | None) -> list[str]:
    return re.findall(r'"([^"]+)"', text or "")


# --- the station -------------------------------------------------------------------------------
@given(parsers.parse('the station "{name}"'), 'the station "ac-1-connector"',
       'the station "stations/my-charger.yaml"',
       'the station "evbench:ac-2-connectors-shared-fuse"')
def station(bench: Bench, name: str) -> None:
    """The station configuration the scenario runs (default: the shipped ``ac-1-connector``).
    A name is looked up beside the feature file (``stations/NAME.yaml``), in the folders of the
    ``evbench_stations`` ini option, then among the shipped stations; a path is relative to the
    feature file, then the rootdir; ``evbench:NAME`` is a shipped station."""
    bench.use_station(name)


@given(parsers.re(r'module "(?P<module>[\w-]+)" has (?P<key>\w+) = (?P<value>.+)'),
       'module "evse1" has max_current_a = 16', 'module "auth" has free_charging = true')
def module_setting(bench: Bench, module: str, key: str, value: str) -> None:
    """Set any parameter of a module of the station (the value is read as YAML)."""
    bench.configure(module, **{key: yaml.safe_load(value)})


@given(parsers.re(rf"connector (?P<connector>\d+) offers at most (?P<amps>{NUMBER}) A"),
       "connector 1 offers at most 16 A")
def connector_max_current(bench: Bench, connector: str, amps: str) -> None:
    """The connector's EVSE manager and its board are rated for at most this current."""
    evse_id, _ = bench.evse(int(connector))
    board_id, _ = bench.board_of(int(connector))
    bench.configure(evse_id, max_current_a=float(amps))
    bench.configure(board_id, max_current_a=float(amps))


@given(parsers.re(r"connector (?P<connector>\d+) is wired for (?P<phases>one|three) phases?"),
       "connector 1 is wired for one phase", "connector 2 is wired for three phases")
def connector_phases(bench: Bench, connector: str, phases: str) -> None:
    """The connector's EVSE manager and board switch one or three phases."""
    count = 1 if phases == "one" else 3
    evse_id, _ = bench.evse(int(connector))
    board_id, _ = bench.board_of(int(connector))
    bench.configure(evse_id, phases=count)
    bench.configure(board_id, phases=count)


@given("the connectors are not energy managed", "the connectors are not energy managed")
def not_energy_managed(bench: Bench) -> None:
    """Every EVSE manager offers its own maximum, without waiting for the energy manager."""
    bench.configure_all("EvseManager", energy_managed=False)


@given(parsers.re(rf"ventilation is available{CONN}"), "ventilation is available",
       "ventilation is available on connector 2")
def ventilation_available(bench: Bench, connector: str | None) -> None:
    """The connector may charge a car that asks for ventilation (state D)."""
    evse_id, _ = bench.evse(_connector(connector))
    bench.configure(evse_id, ventilation_available=True)


@given(parsers.re(rf"the PWM stop timeout is (?P<duration>{DURATION})"),
       "the PWM stop timeout is 6 s")
def pwm_stop_timeout(bench: Bench, duration: str) -> None:
    """How long every EVSE manager waits for the car to stop drawing before it opens the
    contactor anyway."""
    bench.configure_all("EvseManager", pwm_stop_timeout_s=seconds(duration))


@given(parsers.re(rf"the energy manager waits (?P<duration>{DURATION}) before raising a limit"),
       "the energy manager waits 10 s before raising a limit")
def settle_time(bench: Bench, duration: str) -> None:
    """Current freed by a reduction is handed out again only after this time."""
    bench.configure_all("EnergyManager", settle_s=seconds(duration))


@given(parsers.re(rf"the grid connection fuse is (?P<amps>{NUMBER}) A"),
       "the grid connection fuse is 32 A")
def grid_fuse(bench: Bench, amps: str) -> None:
    """The fuse of the energy tree's grid connection node."""
    for module_id, module in bench.modules_of("EnergyNode").items():
        if module.get("config", {}).get("node_type", "Fuse") == "Grid":
            bench.configure(module_id, fuse_limit_a=float(amps))


# --- authorization -----------------------------------------------------------------------------
@given("free charging is enabled", "free charging is enabled")
def free_charging(bench: Bench) -> None:
    """Every auth module authorizes a plugged-in car without a token."""
    bench.configure_all("Auth", free_charging=True)


@given(parsers.re(rf"the connection timeout is (?P<duration>{DURATION})"),
       "the connection timeout is 10 s")
def connection_timeout(bench: Bench, duration: str) -> None:
    """How long a token stays valid waiting for a car to be plugged in (and the reverse)."""
    bench.configure_all("Auth", connection_timeout_s=seconds(duration))


@given(parsers.re(rf"the local allow list accepts (?P<accepted>{QUOTED})"
                  rf"(?: and blocks (?P<blocked>{QUOTED}))?"),
       'the local allow list accepts "AABBCCDD"',
       'the local allow list accepts "AABBCCDD", "11223344" and blocks "DEADBEEF"')
def allow_list(bench: Bench, accepted: str, blocked: str | None) -> None:
    """The tokens the local allow list accepts, and those it rejects as blocked."""
    bench.configure_all("LocalAllowList", tokens=_quoted(accepted), blocked=_quoted(blocked))


# --- cars --------------------------------------------------------------------------------------
@given(parsers.re(rf'an? "(?P<profile>[^"]+)" car{CONN}'
                  rf"(?: at (?P<soc>{NUMBER}) ?% state of charge)?"),
       'a "sedan-3ph-11kw" car', 'a "sedan-3ph-11kw" car on connector 2 at 40 % state of charge')
def car(bench: Bench, profile: str, connector: str | None, soc: str | None) -> None:
    """A simulated car of this profile waits by the connector (default 1), not plugged in."""
    config: dict = {"profile": profile}
    if soc is not None:
        config["soc_pct"] = float(soc)
    bench.add_car(_connector(connector), **config)


@given(parsers.re(rf"the car{CONN} has (?P<key>\w+) = (?P<value>.+)"),
       "the car has reaction_time_s = 2", "the car on connector 2 has soc_pct = 80")
def car_setting(bench: Bench, connector: str | None, key: str, value: str) -> None:
    """Set any parameter of the car (the value is read as YAML)."""
    bench.car(_connector(connector))[key] = yaml.safe_load(value)


@given(parsers.re(rf"the car{CONN} follows a change of the PWM duty after "
                  rf"(?P<duration>{DURATION})"),
       "the car follows a change of the PWM duty after 3 s")
def car_reaction_time(bench: Bench, connector: str | None, duration: str) -> None:
    """The car's reaction time to a new PWM duty (IEC 61851-1 allows at most 5 s)."""
    bench.car(_connector(connector))["reaction_time_s"] = seconds(duration)


@given(parsers.re(rf"the car{CONN} stops charging at (?P<soc>{NUMBER}) ?%"),
       "the car stops charging at 90 %")
def car_target_soc(bench: Bench, connector: str | None, soc: str) -> None:
    """The state of charge at which the car ends charging by itself."""
    bench.car(_connector(connector))["target_soc_pct"] = float(soc)


@given(parsers.re(rf'the car{CONN} starts with the script "(?P<script>[^"]*)"'),
       'the car starts with the script "sleep 1;iec_wait_pwr_ready;draw_power_fixed 16,3"')
def car_script(bench: Bench, connector: str | None, script: str) -> None:
    """The car command script (docs/scenarios.md) the car runs from the start."""
    bench.car(_connector(connector))["script"] = script


# --- grid and run ------------------------------------------------------------------------------
@given(parsers.re(rf"the grid supply allows (?P<amps>{NUMBER}) A"),
       "the grid supply allows 63 A")
def grid_supply(bench: Bench, amps: str) -> None:
    """The current the simulated grid supplies at most, per phase."""
    bench.grid["max_current_a"] = float(amps)


@given(parsers.re(rf"the run lasts at most (?P<duration>{DURATION})"),
       "the run lasts at most 10 min")
def run_cap(bench: Bench, duration: str) -> None:
    """The run's simulated duration cap (by default it ends 5 s after the last action)."""
    bench.duration_s = seconds(duration)


@given(parsers.re(rf"signals are sampled every (?P<duration>{DURATION})"),
       "signals are sampled every 1 s")
def sample_interval(bench: Bench, duration: str) -> None:
    """How often the sampled signals are taken (default 100 ms)."""
    bench.sample_interval_s = seconds(duration)
