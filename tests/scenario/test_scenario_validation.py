"""A malformed scenario is refused with file, line and reason, by ``load_scenario`` (what can be
checked alone) or ``build_world`` (what needs the station), and by ``evbench validate``."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from evbench.cli import EXIT_BAD_INPUT, EXIT_OK, main
from evbench.scenario import load_scenario
from evbench.scenario.world import build_world
from tests.support.broken_files import edited, marker_line

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
scenario: validation base
station: stations/ac-1-connector.yaml
duration: 2 min
world:
  cars:
    - connector: 1
      profile: sedan-3ph-11kw
steps:
  - at: 5 s
    do: plug_in
  - after: 2 s
    do: swipe
    token: AABBCCDD
  - when: {session: ChargingStarted}
    timeout: 30 s
    do: ev_script
    script: "sleep 5;unplug"
expect:
  - happens: {session: ChargingStarted}
  - signal: current_l1_a
    max: 16.5
"""


@dataclass(frozen=True)
class Broken:
    id: str
    old: str  # text of GOOD to replace (must occur exactly once)
    new: str
    marker: str  # the reported line holds this text ("=text": is exactly this text)
    phrase: str  # part of the reason
    nth: int = 1
    more: tuple[tuple[str, str], ...] = ()  # further (old, new) replacements

    def text(self) -> str:
        return edited(GOOD, ((self.old, self.new), *self.more))

    def line(self) -> int:
        return marker_line(self.text(), self.marker, self.nth)


CASES = [
    Broken("yaml-syntax", "do: plug_in", "do: plug_in: now", "plug_in: now", "invalid YAML"),
    Broken("duplicate-key", "    do: plug_in\n", "    do: plug_in\n    do: unplug\n",
           "do: unplug", "duplicate key 'do'"),
    Broken("unknown-top-level-key", "scenario: validation base",
           "speed: fast\nscenario: validation base", "speed",
           "unknown key(s) ('speed' was unexpected)"),
    Broken("missing-required-key", "duration: 2 min\n", "", "scenario:",
           "'duration' is a required property"),
    Broken("unknown-action", "do: plug_in", "do: plug_it", "plug_it",
           "steps/0/do: 'plug_it' is not one of"),
    Broken("missing-required-argument", "    token: AABBCCDD\n", "", "after: 2 s",
           "'token' is a required property"),
    Broken("unknown-argument", "    token: AABBCCDD\n", "    token: AABBCCDD\n    colour: red\n",
           "colour", "step 2 (swipe): unknown argument 'colour' (arguments of swipe: reader, "
           "token)"),
    Broken("argument-of-wrong-type", "token: AABBCCDD", "token: [AABBCCDD]", "token:",
           "token: ['AABBCCDD'] is not of type 'string'"),
    Broken("bad-duration-words", "duration: 2 min", "duration: 5 minutes", "duration",
           "duration: '5 minutes' is not valid"),
    Broken("negative-duration", "duration: 2 min", "duration: -1", "duration",
           "duration: -1 is not valid"),
    Broken("bad-step-time", "at: 5 s", "at: 5 secs", "at: 5 secs", "steps/0/at"),
    Broken("zero-sample-interval", "duration: 2 min", "duration: 2 min\nsample_interval: 0",
           "sample_interval", "sample_interval must be greater than 0"),
    Broken("unknown-car-profile", "profile: sedan-3ph-11kw", "profile: tesla-roadster",
           "tesla-roadster", "unknown car profile 'tesla-roadster' (known: compact-1ph-7kw"),
    Broken("two-cars-on-one-connector", "      profile: sedan-3ph-11kw\n",
           "      profile: sedan-3ph-11kw\n    - connector: 1\n", "=    - connector: 1",
           "two cars on connector 1", nth=2),
    Broken("ev-script-unknown-command", "sleep 5;unplug", "sleep 5;fly", "script:",
           "step 3 (ev_script): command 2 ('fly'): unknown command 'fly'"),
    Broken("ev-script-argument-count", "sleep 5;unplug", "draw_power_regulated 16", "script:",
           "draw_power_regulated takes 2 argument(s), got 1"),
    Broken("ev-script-not-a-number", "sleep 5;unplug", "sleep soon", "script:",
           "arguments must be numbers"),
    Broken("ev-script-bad-v2g-mode", "sleep 5;unplug", "iso_start_v2g_session HVDC", "script:",
           "iso_start_v2g_session mode 'HVDC' is not one of"),
    Broken("at-and-when-together", "    timeout: 30 s\n", "    timeout: 30 s\n    at: 3 s\n",
           "at: 3 s", "step 3: use 'at' or 'when', not both"),
    Broken("timeout-without-when", "  - at: 5 s\n", "  - at: 5 s\n    timeout: 3 s\n",
           "timeout: 3 s", "step 1: 'timeout' only applies to 'when'"),
    Broken("condition-naming-two-kinds", "when: {session: ChargingStarted}",
           "when: {session: ChargingStarted, cp: C}", "when:",
           "a condition names exactly one of session, cp"),
    Broken("condition-naming-no-kind", "when: {session: ChargingStarted}",
           "when: {connector: 1}", "when:", "a condition names exactly one of"),
    Broken("unknown-signal-in-condition", "when: {session: ChargingStarted}",
           "when: {signal: soc, ge: 80}", "when:", "unknown signal 'soc' (known: cp_voltage_v"),
    Broken("signal-condition-without-comparison", "when: {session: ChargingStarted}",
           "when: {signal: soc_pct}", "when:", "a signal condition needs a comparison"),
    Broken("comparison-on-an-event-condition", "when: {session: ChargingStarted}",
           "when: {session: ChargingStarted, ge: 3}", "when:",
           "'ge' only applies to signal conditions"),
    Broken("unknown-cp-state", "when: {session: ChargingStarted}", "when: {cp: X}", "when:",
           "'X' is not one of ['A', 'B', 'C', 'D', 'E', 'F']"),
    Broken("condition-on-a-missing-step", "when: {session: ChargingStarted}",
           "when: {step: nowhere}", "when:", "no step has id or action 'nowhere'"),
    Broken("duplicate-step-id", "  - after: 2 s\n", "  - after: 2 s\n    id: twice\n",
           "id: twice", "duplicate step id 'twice'", nth=2,
           more=(("  - at: 5 s\n", "  - at: 5 s\n    id: twice\n"),)),
    Broken("unknown-signal-in-expectation", "signal: current_l1_a", "signal: current_l4_a",
           "current_l4_a", "unknown signal 'current_l4_a'"),
    Broken("expectation-without-min-or-max", "    max: 16.5\n", "", "signal: current_l1_a",
           "a signal expectation needs min or max"),
    Broken("expectation-of-no-kind", "  - happens: {session: ChargingStarted}\n",
           "  - name: nothing at all\n", "name: nothing at all", "expect/0"),
    Broken("expectation-of-two-kinds", "  - happens: {session: ChargingStarted}\n",
           "  - happens: {session: ChargingStarted}\n    never: {cp: F}\n", "happens:",
           "expect/0"),
    Broken("unknown-key-in-expectation", "    max: 16.5\n", "    max: 16.5\n    each: true\n",
           "each: true", "unknown key 'each' in a signal expectation"),
    Broken("missing-station-file", "station: stations/ac-1-connector.yaml",
           "station: stations/nowhere.yaml", "station:",
           "station configuration 'stations/nowhere.yaml' not found"),
    # --- what only the station can tell (build_world) ------------------------------------------
    Broken("step-for-a-connector-without-a-car", "  - at: 5 s\n    do: plug_in\n",
           "  - at: 5 s\n    do: plug_in\n    connector: 2\n", "at: 5 s",
           "step 1 (plug_in): no car on connector 2 (add one under world.cars)"),
    Broken("car-on-a-missing-connector", "    - connector: 1\n", "    - connector: 3\n",
           "connector: 3", "the station has no connector 3 (connectors: [1])"),
    Broken("unknown-car-parameter", "    - connector: 1\n      profile: sedan-3ph-11kw\n",
           "    - wheels: 4\n      connector: 1\n", "wheels",
           "unknown key(s) ('wheels' was unexpected)"),
    Broken("car-parameter-out-of-range", "      profile: sedan-3ph-11kw\n",
           "      profile: sedan-3ph-11kw\n      soc_pct: 120\n", "soc_pct", "120 is greater"),
    Broken("swipe-on-a-missing-reader", "    token: AABBCCDD\n",
           "    token: AABBCCDD\n    reader: front\n", "after: 2 s",
           "step 2 (swipe): the station has no simulated RFID reader 'front'"),
    Broken("module-config-for-a-missing-module", "world:\n",
           "module_config:\n  evse9: {max_current_a: 16}\nworld:\n", "evse9",
           "module_config: the station has no module 'evse9'"),
    Broken("module-config-unknown-parameter", "world:\n",
           "module_config:\n  evse1: {max_amps: 16}\nworld:\n", "evse1",
           "unknown key(s) ('max_amps' was unexpected)"),
    Broken("grid-unknown-parameter", "world:\n", "world:\n  grid: {hertz: 60}\n",
           "grid:", "unknown key(s) ('hertz' was unexpected)"),
    # --- names checked against the station's manifests (a typo made never: pass) -------------
    Broken("misspelled-session-event", "happens: {session: ChargingStarted}",
           "never: {session: ChargingStartd}", "never:",
           "unknown session event 'ChargingStartd' (known: Enabled, Disabled, SessionStarted"),
    Broken("misspelled-session-event-in-when", "when: {session: ChargingStarted}",
           "when: {session: ChargingStartd}", "when:", "unknown session event 'ChargingStartd'"),
    Broken("misspelled-variable", "happens: {session: ChargingStarted}",
           "never: {var: sesion_event}", "never:",
           "unknown variable 'sesion_event' (variables of the station: "),
    Broken("unknown-variable-source", "happens: {session: ChargingStarted}",
           "never: {var: session_event, source: evse7}", "never:",
           "unknown source 'evse7' (modules and implementations: "),
    Broken("variable-of-another-source", "happens: {session: ChargingStarted}",
           "never: {var: session_event, source: board1.board}", "never:",
           "board1.board publishes no variable 'session_event'"),
    Broken("unknown-field-in-variable-value", "happens: {session: ChargingStarted}",
           "never: {var: session_event, value: {evnt: Error}}", "never:",
           "value: the variable has no field 'evnt'"),
    Broken("impossible-value-in-variable-value", "happens: {session: ChargingStarted}",
           "never: {var: session_event, value: {event: Eror}}", "never:",
           "value.event: 'Eror' is not one of"),
    Broken("variable-not-on-the-connector", "happens: {session: ChargingStarted}",
           "never: {var: token_validation_status, connector: 1}", "never:",
           "no module of connector 1 (board1, car1, evse1) publishes 'token_validation_status'"),
    Broken("misspelled-error-type", "happens: {session: ChargingStarted}",
           "never: {error: ac_rcd/ACC}", "never:",
           "unknown error type 'ac_rcd/ACC' (known: ac_rcd/AC, ac_rcd/DC"),
    Broken("misspelled-bare-error-name", "happens: {session: ChargingStarted}",
           "never: {cleared: RCDTrp}", "never:", "unknown error type 'RCDTrp'"),
    Broken("unknown-token-status", "happens: {session: ChargingStarted}",
           "happens: {auth: Acepted}", "happens:",
           "unknown token validation status 'Acepted' (known: Processing, Accepted"),
    Broken("expectation-on-a-missing-step", "happens: {session: ChargingStarted}",
           "happens: {step: swpe}", "happens:",
           "no step has id or action 'swpe' (steps: ev_script, plug_in, swipe)"),
    Broken("expectation-on-a-missing-connector", "    max: 16.5\n",
           "    max: 16.5\n    connector: 2\n", "connector: 2",
           "the station has no connector 2 (connectors: [1])"),
    Broken("condition-on-a-missing-connector", "when: {session: ChargingStarted}",
           "when: {session: ChargingStarted, connector: 3}", "when:",
           "the station has no connector 3 (connectors: [1])"),
    Broken("connector-of-an-expectation-passed-to-its-condition",
           "happens: {session: ChargingStarted}",
           "happens: {session: ChargingStarted}\n    connector: 2", "connector: 2",
           "the station has no connector 2"),
    Broken("connector-on-a-condition-without-one", "when: {session: ChargingStarted}",
           "when: {auth: Accepted, connector: 1}", "when:",
           "'connector' does not apply to auth conditions"),
    Broken("connector-on-a-step-without-one", "    token: AABBCCDD\n",
           "    token: AABBCCDD\n    connector: 2\n", "connector: 2",
           "step 2 (swipe): 'connector' does not apply to swipe steps"),
    Broken("call-to-a-missing-module", "  - after: 2 s\n    do: swipe\n",
           "  - do: call\n    module: evse7\n    impl: evse\n    command: pause_charging\n"
           "  - after: 2 s\n    do: swipe\n", "do: call",
           "step 2 (call): the station has no module 'evse7' (modules: "),
    Broken("call-to-a-missing-implementation", "  - after: 2 s\n    do: swipe\n",
           "  - do: call\n    module: evse1\n    impl: main\n    command: pause_charging\n"
           "  - after: 2 s\n    do: swipe\n", "do: call",
           "module evse1 has no implementation 'main' (implementations: evse"),
    Broken("call-of-a-missing-command", "  - after: 2 s\n    do: swipe\n",
           "  - do: call\n    module: evse1\n    impl: evse\n    command: pause\n"
           "  - after: 2 s\n    do: swipe\n", "do: call",
           "evse1.evse (evse_manager) has no command 'pause' (commands: authorize"),
    Broken("call-with-bad-arguments", "  - after: 2 s\n    do: swipe\n",
           "  - do: call\n    module: evse1\n    impl: evse\n    command: enable_disable\n"
           "    args: {enable: maybe}\n  - after: 2 s\n    do: swipe\n", "do: call",
           "arguments of enable_disable:"),
    # --- values that cannot mean anything --------------------------------------------------
    Broken("expectation-condition-of-no-kind", "happens: {session: ChargingStarted}",
           "happens: {connector: 1}", "happens:", "a condition names exactly one of"),
    Broken("zero-duration", "duration: 2 min", "duration: 0", "duration",
           "duration must be greater than 0"),
    Broken("zero-timeout", "timeout: 30 s", "timeout: 0", "timeout:",
           "a timeout must be greater than 0"),
    Broken("step-after-the-end", "at: 5 s", "at: 3 min", "at: 3 min",
           "step 1 (plug_in) runs at t=180 s at the earliest, after the end of the run"),
    Broken("step-after-the-end-by-waiting", "  - after: 2 s\n", "  - after: 2 h\n",
           "after: 2 h", "step 2 (swipe) runs at t=7205 s at the earliest"),
    Broken("min-greater-than-max", "    max: 16.5\n", "    max: 16.5\n    min: 20\n",
           "min: 20", "min 20 is greater than max 16.5"),
    Broken("energy-min-greater-than-max", "  - signal: current_l1_a\n    max: 16.5\n",
           "  - energy_wh: {min: 5, max: 1}\n", "energy_wh",
           "min 5 is greater than max 1"),
    Broken("until-before-from", "    max: 16.5\n", "    max: 16.5\n    from: 60\n"
           "    until: 30\n", "until: 30", "'until' t=30 s is before 'from' t=60 s"),
    Broken("window-after-the-end", "    max: 16.5\n", "    max: 16.5\n    from: 10 min\n",
           "from: 10 min", "'from' t=600 s is after the end of the run"),
    Broken("signal-condition-that-can-never-hold", "when: {session: ChargingStarted}",
           "when: {signal: soc_pct, ge: 80, lt: 50}", "when:",
           "can never all hold"),
]


def _check(path: Path, registry: ModuleRegistry) -> None:
    build_world(load_scenario(path), registry)


def test_the_good_scenario_is_accepted(write: Callable[[str, str], Path],
                                       registry: ModuleRegistry) -> None:
    scenario = load_scenario(write("good.yaml", GOOD))
    assert [s.action for s in scenario.steps] == ["plug_in", "swipe", "ev_script"]
    assert scenario.duration_s == 120.0
    assert scenario.steps[0].at == 5.0 and scenario.steps[1].after == 2.0
    assert scenario.steps[2].timeout == 30.0 and scenario.steps[2].line == 14
    assert [e.kind for e in scenario.expectations] == ["happens", "signal"]
    world = build_world(scenario, registry)
    assert world.connectors.car == {1: "car1"}
    assert world.readers == ["rfid"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_broken_scenario_is_refused_with_file_line_and_reason(
        case: Broken, write: Callable[[str, str], Path], registry: ModuleRegistry) -> None:
    path = write("broken.yaml", case.text())
    with pytest.raises(ConfigError) as caught:
        _check(path, registry)
    problems = caught.value.problems
    assert all(p.path == str(path) for p in problems)
    found = [(p.line, p.reason) for p in problems]
    assert any(line == case.line() and case.phrase in reason for line, reason in found), found


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
@pytest.mark.usefixtures("cached_cli_registries")
def test_evbench_validate_refuses_a_broken_scenario(
        case: Broken, write: Callable[[str, str], Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    path = write("broken.yaml", case.text())
    assert main(["validate", str(path)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert f"error: {path}:{case.line()}: " in err
    assert case.phrase in err
    assert "Traceback" not in out + err


def test_evbench_validate_accepts_the_good_scenario(
        write: Callable[[str, str], Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write("good.yaml", GOOD)
    assert main(["validate", str(path)]) == EXIT_OK
    out, _ = capsys.readouterr()
    assert f"{path}: ok (scenario 'validation base', 3 steps, 2 expectations)" in out


def test_every_problem_is_reported_in_one_round(write: Callable[[str, str], Path]) -> None:
    text = (GOOD.replace("do: plug_in", "do: plug_it")
            .replace("profile: sedan-3ph-11kw", "profile: tesla")
            .replace("signal: current_l1_a", "signal: amps"))
    with pytest.raises(ConfigError) as caught:
        load_scenario(write("broken.yaml", text))
    reasons = " | ".join(p.reason for p in caught.value.problems)
    assert "'plug_it' is not one of" in reasons
    # the shape is checked first; what needs a well-formed document comes after it is fixed
    fixed = text.replace("do: plug_it", "do: plug_in")
    with pytest.raises(ConfigError) as caught:
        load_scenario(write("broken.yaml", fixed))
    reasons = " | ".join(p.reason for p in caught.value.problems)
    assert "unknown car profile 'tesla'" in reasons and "unknown signal 'amps'" in reasons


def test_a_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_scenario(tmp_path / "nowhere.yaml")


@pytest.mark.parametrize(("old", "new", "key"), [
    ("duration: 2 min", "duration: 2 min\nspeed: fast", "speed"),
    ("      profile: sedan-3ph-11kw\n", "      profile: sedan-3ph-11kw\n      wheels: 4\n",
     "wheels"),
], ids=["top-level", "car"])
def test_an_unknown_key_is_reported_on_its_own_line(
        write: Callable[[str, str], Path], registry: ModuleRegistry, old: str, new: str,
        key: str) -> None:
    text = GOOD.replace(old, new)
    path = write("broken.yaml", text)
    with pytest.raises(ConfigError) as caught:
        _check(path, registry)
    line = next(n for n, t in enumerate(text.splitlines(), start=1) if t.strip().startswith(key))
    assert [p.line for p in caught.value.problems if key in p.reason] == [line]


# --- known ways to crash the loader --------------------------------------------------------------
def _refused(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    return caught.value


@pytest.mark.parametrize("value", ["abc", "[1]", "null"])
def test_a_non_number_bound_on_an_event_expectation_is_a_config_error(
        write: Callable[[str, str], Path], value: str) -> None:
    path = write("broken.yaml", GOOD.replace("  - happens: {session: ChargingStarted}\n",
                                             f"  - happens: {{session: ChargingStarted}}\n"
                                             f"    min: {value}\n"))
    error = _refused(path)
    assert any(p.line == 20 and "unknown key 'min'" in p.reason for p in error.problems)


@pytest.mark.parametrize("value", ["[sedan-3ph-11kw]", "{name: sedan}"])
def test_a_non_string_car_profile_is_a_config_error(write: Callable[[str, str], Path],
                                                   value: str) -> None:
    path = write("broken.yaml", GOOD.replace("profile: sedan-3ph-11kw", f"profile: {value}"))
    error = _refused(path)
    assert any(p.line == 7 for p in error.problems)


def test_an_enormous_integer_duration_is_a_config_error(write: Callable[[str, str], Path]) -> None:
    path = write("broken.yaml", GOOD.replace("duration: 2 min", "duration: 1" + "0" * 400))
    error = _refused(path)
    assert any(p.line == 3 for p in error.problems)


@pytest.mark.parametrize(("old", "new"), [
    ("duration: 2 min", "duration: .inf"),
    ("duration: 2 min", "duration: .nan"),
    ("duration: 2 min", "duration: 2 min\nsample_interval: .nan"),
    ("duration: 2 min", "duration: 9999999999999999999999999999999999 h"),
    ("at: 5 s", "at: .nan"),
], ids=["duration-inf", "duration-nan", "sample-interval-nan", "duration-huge-string",
        "at-nan"])
def test_a_non_finite_duration_is_a_config_error(write: Callable[[str, str], Path], old: str,
                                                 new: str) -> None:
    _refused(write("broken.yaml", GOOD.replace(old, new)))


def test_a_bad_module_config_override_is_a_config_error(write: Callable[[str, str], Path],
                                                        registry: ModuleRegistry) -> None:
    path = write("broken.yaml", GOOD.replace("world:\n", "module_config:\n"
                                             "  evse1: {connector_id: []}\nworld:\n"))
    with pytest.raises(ConfigError) as caught:
        _check(path, registry)
    # line 5: "  evse1: {connector_id: []}" (line 4 is "module_config:")
    assert any(p.line == 5 and "connector_id" in p.reason for p in caught.value.problems)


def test_two_evse_managers_on_one_connector_id_are_refused(
        write: Callable[[str, str], Path], registry: ModuleRegistry) -> None:
    path = write("broken.yaml", GOOD.replace(
        "station: stations/ac-1-connector.yaml",
        "station: stations/two.yaml").replace("world:\n", "module_config:\n"
                                              "  evse2: {connector_id: 1}\nworld:\n"))
    two = (REPO / "scenarios" / "stations" / "ac-2-connectors-shared-fuse.yaml")
    (path.parent / "stations" / "two.yaml").write_text(two.read_text(encoding="utf-8"),
                                                       encoding="utf-8")
    with pytest.raises(ConfigError, match="connector"):
        _check(path, registry)


def test_the_station_path_is_named_as_a_reader_would(scenario_dir: Path,
                                                     write: Callable[[str, str], Path]) -> None:
    (scenario_dir / "sub").mkdir()
    path = write("sub/good.yaml", GOOD.replace("station: stations/", "station: ../x/../stations/"))
    (scenario_dir / "x").mkdir()
    assert load_scenario(path).station_path == str(scenario_dir / "stations/ac-1-connector.yaml")
    # Through a symbolic link, ../ leaves the link's target (here another copy of the
    # station): the path stays as written, naming the file that is read.
    (scenario_dir / "elsewhere" / "deep").mkdir(parents=True)
    shutil.copytree(scenario_dir / "stations", scenario_dir / "elsewhere" / "stations")
    (scenario_dir / "link").symlink_to(scenario_dir / "elsewhere" / "deep")
    path = write("sub/linked.yaml",
                 GOOD.replace("station: stations/", "station: ../link/../stations/"))
    assert load_scenario(path).station_path == str(
        scenario_dir / "sub/../link/../stations/ac-1-connector.yaml")
