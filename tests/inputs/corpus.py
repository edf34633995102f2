"""The malformed-input corpus: scenario and station files, and command lines, that evbench must
refuse with exit code 2 and one clear message (``file:line: reason``, or a usage message), never
a traceback, quickly and with bounded memory.

Each case is a broken copy of a good file (a table of edits, see tests/support/broken_files.py)
or a file written out in full, and the command line that is given it. ``{file}`` in a command
is the case's file, ``{dir}`` the directory it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.support.broken_files import edited, marker_line

REPO = Path(__file__).resolve().parents[2]
ONE_CONNECTOR = (REPO / "scenarios" / "stations" / "ac-1-connector.yaml").read_text("utf-8")
TWO_CONNECTORS = (REPO / "scenarios" / "stations" /
                  "ac-2-connectors-shared-fuse.yaml").read_text("utf-8")

GOOD_SCENARIO = """\
scenario: corpus base
station: stations/one.yaml
duration: 2 min
sample_interval: 1 s
seed: 1
world:
  grid: {max_current_a: 40}
  cars:
    - connector: 1
      profile: sedan-3ph-11kw
      soc_pct: 20
steps:
  - at: 5 s
    do: plug_in
  - after: 2 s
    do: swipe
    token: AABBCCDD
    id: swiped
  - when: {session: ChargingStarted}
    timeout: 30 s
    do: ev_script
    script: "sleep 5;unplug"
expect:
  - happens: {session: ChargingStarted}
  - within: 5 s
    from: {session: Authorized}
    to: {session: ChargingStarted}
  - signal: current_l1_a
    max: 16.5
"""

# An EVerest configuration in its own format (module entries with config_module, connection
# lists of module_id/implementation_id, framework settings): 'evbench import everest' reads it.
EVEREST_CONFIG = """\
settings:
  telemetry_enabled: true
active_modules:
  connector_1:
    module: EvseManager
    config_module:
      connector_id: 1
      has_ventilation: true
    connections:
      bsp:
        - module_id: board_driver
          implementation_id: board_support
  board_driver:
    module: YetiDriver
    config_implementation:
      board_support:
        baud_rate: 115200
"""


@dataclass(frozen=True)
class Case:
    category: str
    id: str
    text: str | bytes = ""  # the case's file
    marker: str | None = None  # the message names the case's file and this text's line
    phrase: str = ""  # part of the message
    command: tuple[str, ...] = ("validate", "{file}")
    usage: bool = False  # an argparse usage error instead of file:line
    station: str | None = None  # a station file for the scenario (stations/<id>.yaml)
    in_station: bool = False  # the marker is in that station file
    bomb: bool = False  # run in a subprocess under a memory limit
    suffix: str = ".yaml"
    nth: int = 1  # which line holding the marker

    @property
    def file_name(self) -> str:
        return f"case-{self.id}{self.suffix}"

    def line(self) -> int | None:
        if self.marker is None:
            return None
        text = self.station if self.in_station else self.text
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        assert text is not None
        return marker_line(text, self.marker, self.nth)


def _scenario(category: str, id: str, edits: tuple[tuple[str, str], ...], marker: str,
              phrase: str = "", command: tuple[str, ...] = ("validate", "{file}"),
              nth: int = 1) -> Case:
    return Case(category, id, edited(GOOD_SCENARIO, edits), marker, phrase, command, nth=nth)


def _station(category: str, id: str, edits: tuple[tuple[str, str], ...], marker: str,
             phrase: str = "", base: str = ONE_CONNECTOR, nth: int = 1) -> Case:
    return Case(category, id, edited(base, edits), marker, phrase, nth=nth)


def _station_run(category: str, id: str, edits: tuple[tuple[str, str], ...], marker: str,
                 phrase: str = "", base: str = TWO_CONNECTORS, nth: int = 1) -> Case:
    """``evbench run`` of the good scenario on a broken station."""
    scenario = GOOD_SCENARIO.replace("station: stations/one.yaml",
                                     f"station: stations/case-{id}.yaml")
    return Case(category, id, scenario, marker, phrase, ("run", "{file}", "--out", "{dir}/out"),
                station=edited(base, edits), in_station=True, nth=nth)


def _yaml(id: str, text: str | bytes, marker: str | None, phrase: str = "invalid YAML",
          command: tuple[str, ...] = ("validate", "{file}")) -> Case:
    return Case("yaml-syntax", id, text, marker, phrase, command)


def _cli(id: str, *args: str, phrase: str = "") -> Case:
    return Case("cli-arguments", id, GOOD_SCENARIO, None, phrase, args, usage=True)


RUN = ("run", "{file}", "--out", "{dir}/out")

YAML_SYNTAX = [
    _yaml("unclosed-bracket", "scenario: x\nsteps: [\n  {do: plug_in}\nduration: 1\n",
          "duration: 1"),
    _yaml("unclosed-quote", 'scenario: x\nstation: "y\nduration: 1\n', "station:",
          "end of stream"),
    _yaml("tab-indent", edited(GOOD_SCENARIO, (("    do: plug_in", "\tdo: plug_in"),)),
          "\tdo: plug_in"),
    _yaml("bad-indent", edited(GOOD_SCENARIO, (("    do: plug_in", "      do: plug_in"),)),
          "      do: plug_in"),
    _yaml("mapping-in-scalar", edited(GOOD_SCENARIO, (("do: plug_in", "do: plug_in: now"),)),
          "plug_in: now"),
    _yaml("duplicate-key", edited(GOOD_SCENARIO, (("seed: 1\n", "seed: 1\nseed: 2\n"),)),
          "seed: 2", "duplicate key 'seed'"),
    _yaml("duplicate-anchor", "a: &x 1\nb: &x 2\nc: *x\n", "b: &x 2"),
    _yaml("undefined-alias", edited(GOOD_SCENARIO, (("seed: 1", "seed: *nowhere"),)),
          "seed: *nowhere", "nowhere"),
    _yaml("python-tag", edited(GOOD_SCENARIO, (("seed: 1", "seed: !!python/object:os.system 1"),
                                               )), "python/object", "could not determine"),
    _yaml("unknown-tag", edited(GOOD_SCENARIO, (("seed: 1", "seed: !secret 1"),)), "!secret"),
    _yaml("invalid-timestamp", edited(GOOD_SCENARIO, (("seed: 1", "seed: 2025-13-45"),)),
          "2025-13-45", "'2025-13-45' is no valid timestamp"),
    _yaml("invalid-int-tag", edited(GOOD_SCENARIO, (("seed: 1", "seed: !!int 0x"),)),
          "seed: !!int", "is no valid int"),
    _yaml("invalid-float-tag", edited(GOOD_SCENARIO, (("seed: 1", "seed: !!float many"),)),
          "seed: !!float", "is no valid float"),
    _yaml("empty-int-tag", edited(GOOD_SCENARIO, (("seed: 1", "seed: !!int"),)),
          "seed: !!int", "'' is no valid int"),
    _yaml("empty-timestamp-tag", edited(GOOD_SCENARIO, (("seed: 1", "seed: !!timestamp"),)),
          "seed: !!timestamp", "is no valid timestamp"),
    _yaml("invalid-binary", edited(GOOD_SCENARIO, (("seed: 1", "seed: !!binary zz"),)),
          "seed: !!binary", "base64"),
    _yaml("list-as-key", "? [a, b]\n: 1\n", "? [a, b]"),
    _yaml("two-documents", GOOD_SCENARIO + "---\n" + GOOD_SCENARIO, "=---",
          "expected a single document"),
    _yaml("control-character", "a: 1\nscenario: x\x07\n", "scenario", "special characters"),
    _yaml("not-utf8", b"scenario: caf\xe9\n", "scenario", "not a text file"),
    _yaml("merge-of-a-scalar", "base: &b 1\nsteps:\n  <<: *b\n", "base: &b 1", "merging"),
    _yaml("stray-closing-bracket", edited(GOOD_SCENARIO, (("seed: 1", "seed: 1]"),)), "seed: 1]",
          ""),
    # (the parser notices the missing bracket at the next token, on the next line)
    _yaml("station-syntax", edited(ONE_CONNECTOR, (("module: SimGrid", "module: [SimGrid"),)),
          "config: {max_current_a: 63}"),
]

RESOURCE_BOMBS = [
    Case("resource-bombs", "alias-bomb", "\n".join(
        ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    ) + "\n", "a4: &a4", "values with aliases expanded", bomb=True),
    Case("resource-bombs", "alias-bomb-run", "\n".join(
        ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    ) + "\n", "a4: &a4", "values with aliases expanded", RUN, bomb=True),
    Case("resource-bombs", "alias-bomb-station", "\n".join(
        ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    ) + "\n", "a4: &a4", "values with aliases expanded", ("station", "{file}"), bomb=True),
    Case("resource-bombs", "alias-bomb-in-mapping", "".join(
        [f"k{i}: &k{i} {{" + ", ".join(f"x{j}: *k{i - 1}" for j in range(9)) + "}\n"
         for i in range(1, 10)]).replace("*k0", "1"), "k5: &k5", "values with aliases expanded",
        bomb=True),
    Case("resource-bombs", "nested-brackets", "[" * 10000 + "]" * 10000 + "\n", "[[[",
         "nested more than 64 levels", bomb=True),
    Case("resource-bombs", "nested-mappings", "".join(f"{' ' * i}k{i}:\n" for i in range(300)),
         " k63:", "nested more than 64 levels", bomb=True),
    Case("resource-bombs", "nested-flow-mappings", "a: " + "{b: " * 5000 + "1" + "}" * 5000
         + "\n", "a: {b:", "nested more than 64 levels", bomb=True),
    Case("resource-bombs", "self-containing-alias", "steps: &s\n  - do: plug_in\n  - *s\n",
         "- *s", "inside the value it names", bomb=True),
    Case("resource-bombs", "many-values", "steps: [" + "1, " * 200_000 + "1]\n", "steps:",
         "more than 100,000 values", bomb=True),
    Case("resource-bombs", "huge-file", "# " + "x" * (2 << 20) + "\n", None,
         "file larger than 1,048,576 bytes", bomb=True),
    Case("resource-bombs", "sample-interval-microsecond-run",
         edited(GOOD_SCENARIO, (("sample_interval: 1 s", "sample_interval: 0.000001"),)),
         "sample_interval", "the run would record 120,000,001 signal rows", RUN, bomb=True),
    Case("resource-bombs", "thousand-hours-run",
         edited(GOOD_SCENARIO, (("duration: 2 min", "duration: 1000 h"),)),
         "duration: 1000 h", "the limit is 1,000,000", RUN, bomb=True),
    Case("resource-bombs", "thousand-hours-validate",
         edited(GOOD_SCENARIO, (("duration: 2 min", "duration: 1000 h"),)),
         "duration: 1000 h", "3,600,001 signal rows", bomb=True),
    Case("resource-bombs", "two-connectors-too-long-run", edited(GOOD_SCENARIO, (
        ("duration: 2 min", "duration: 80 h"),
        ("station: stations/one.yaml", "station: stations/two.yaml"))),
        "duration: 80 h", "× 2 connectors", RUN, bomb=True),
    # A run on a station whose energy node is its own child used to hang for ever.
    Case("resource-bombs", "energy-tree-self-child-run",
         GOOD_SCENARIO.replace("stations/one.yaml",
                               "stations/case-energy-tree-self-child-run.yaml"),
         "children: [evse1.energy, evse2.energy, fuse]", "lists fuse itself", RUN,
         station=edited(TWO_CONNECTORS, (("children: [evse1.energy, evse2.energy]",
                                          "children: [evse1.energy, evse2.energy, fuse]"),)),
         in_station=True, bomb=True),
]

SCENARIO_STRUCTURE = [
    _scenario("scenario-structure", "missing-duration", (("duration: 2 min\n", ""),),
              "scenario:", "'duration' is a required property"),
    _scenario("scenario-structure", "missing-steps", (
        ("steps:\n  - at: 5 s\n    do: plug_in\n  - after: 2 s\n    do: swipe\n    token: "
         "AABBCCDD\n    id: swiped\n  - when: {session: ChargingStarted}\n    timeout: 30 s\n"
         "    do: ev_script\n    script: \"sleep 5;unplug\"\n", ""),), "scenario:"),
    _scenario("scenario-structure", "unknown-top-level-key",
              (("seed: 1", "seed: 1\nspeed: fast"),), "speed: fast"),
    _scenario("scenario-structure", "title-not-text", (("scenario: corpus base", "scenario: [a]"),),
              "scenario: [a]"),
    _scenario("scenario-structure", "seed-negative", (("seed: 1", "seed: -1"),), "seed: -1"),
    _scenario("scenario-structure", "seed-text", (("seed: 1", "seed: one"),), "seed: one"),
    _scenario("scenario-structure", "duration-words", (("duration: 2 min", "duration: 2 minutes"),),
              "duration: 2 minutes"),
    _scenario("scenario-structure", "duration-negative", (("duration: 2 min", "duration: -5"),),
              "duration: -5"),
    _scenario("scenario-structure", "duration-infinite", (("duration: 2 min", "duration: .inf"),),
              "duration: .inf"),
    _scenario("scenario-structure", "duration-enormous",
              (("duration: 2 min", "duration: 1" + "0" * 400),), "duration: 1000"),
    _scenario("scenario-structure", "sample-interval-zero",
              (("sample_interval: 1 s", "sample_interval: 0"),), "sample_interval: 0"),
    _scenario("scenario-structure", "sample-interval-list",
              (("sample_interval: 1 s", "sample_interval: [1]"),), "sample_interval"),
    _scenario("scenario-structure", "steps-not-a-list",
              (("steps:\n  - at: 5 s", "steps: now\nsteps_were:\n  - at: 5 s"),), "steps: now"),
    _scenario("scenario-structure", "step-not-a-mapping",
              (("  - at: 5 s\n    do: plug_in\n", "  - plug_in\n"),), "- plug_in"),
    _scenario("scenario-structure", "step-without-do", (("    do: plug_in\n", ""),), "at: 5 s"),
    _scenario("scenario-structure", "unknown-action", (("do: plug_in", "do: plug_it"),), "plug_it"),
    _scenario("scenario-structure", "unknown-argument",
              (("    token: AABBCCDD\n", "    token: AABBCCDD\n    colour: red\n"),), "colour"),
    _scenario("scenario-structure", "missing-argument", (("    token: AABBCCDD\n", ""),),
              "after: 2 s"),
    _scenario("scenario-structure", "argument-wrong-type",
              (("token: AABBCCDD", "token: {a: 1}"),), "token: {a: 1}"),
    _scenario("scenario-structure", "step-time-words", (("at: 5 s", "at: soon"),), "at: soon"),
    _scenario("scenario-structure", "at-and-when",
              (("    timeout: 30 s\n", "    timeout: 30 s\n    at: 3 s\n"),), "at: 3 s"),
    _scenario("scenario-structure", "timeout-without-when",
              (("  - at: 5 s\n", "  - at: 5 s\n    timeout: 3 s\n"),), "timeout: 3 s"),
    _scenario("scenario-structure", "condition-two-kinds",
              (("when: {session: ChargingStarted}", "when: {session: ChargingStarted, cp: C}"),),
              "when:"),
    _scenario("scenario-structure", "condition-unknown-signal",
              (("when: {session: ChargingStarted}", "when: {signal: soc, ge: 80}"),), "when:"),
    _scenario("scenario-structure", "condition-missing-step",
              (("when: {session: ChargingStarted}", "when: {step: nowhere}"),), "when:"),
    _scenario("scenario-structure", "duplicate-step-id",
              (("  - at: 5 s\n", "  - at: 5 s\n    id: swiped\n"),), "=    id: swiped", nth=2),
    _scenario("scenario-structure", "bad-ev-script", (("sleep 5;unplug", "sleep 5;fly"),),
              "script:"),
    _scenario("scenario-structure", "unknown-car-profile",
              (("profile: sedan-3ph-11kw", "profile: hovercraft"),), "hovercraft"),
    _scenario("scenario-structure", "car-profile-list",
              (("profile: sedan-3ph-11kw", "profile: [sedan]"),), "profile: [sedan]"),
    _scenario("scenario-structure", "expectation-of-no-kind",
              (("  - happens: {session: ChargingStarted}\n", "  - name: nothing\n"),),
              "name: nothing"),
    _scenario("scenario-structure", "expectation-unknown-signal",
              (("signal: current_l1_a", "signal: current_l9_a"),), "current_l9_a"),
    _scenario("scenario-structure", "expectation-without-bounds", (("    max: 16.5\n", ""),),
              "signal: current_l1_a"),
    _scenario("scenario-structure", "expectation-bound-text", (("max: 16.5", "max: lots"),),
              "signal: current_l1_a"),
    _scenario("scenario-structure", "missing-station-file",
              (("station: stations/one.yaml", "station: stations/nowhere.yaml"),), "station:"),
    _scenario("scenario-structure", "car-on-missing-connector",
              (("    - connector: 1\n", "    - connector: 3\n"),), "connector: 3"),
    _scenario("scenario-structure", "step-on-connector-without-car",
              (("    do: plug_in\n", "    do: plug_in\n    connector: 2\n"),), "at: 5 s"),
    _scenario("scenario-structure", "module-config-for-missing-module",
              (("world:\n", "module_config:\n  evse9: {max_current_a: 16}\nworld:\n"),), "evse9"),
    _scenario("scenario-structure", "grid-unknown-parameter",
              (("grid: {max_current_a: 40}", "grid: {hertz: 60}"),), "grid:"),
]

STATION_STRUCTURE = [
    _station("station-structure", "empty-active-modules",
             (("active_modules:\n", "active_modules: {}\nunused:\n"),), "active_modules: {}"),
    _station("station-structure", "unknown-module", (("module: SimRfidReader",
                                                      "module: SimRfidReeder"),), "SimRfidReeder"),
    _station("station-structure", "entry-without-module", (("    module: SimRfidReader\n",
                                                            "    config: {}\n"),), "=  rfid:"),
    _station("station-structure", "entry-not-a-mapping", (("  rfid:\n    module: SimRfidReader\n",
                                                           "  rfid: SimRfidReader\n"),),
             "rfid: SimRfidReader"),
    _station("station-structure", "bad-module-id", (("  rfid:\n", "  9rfid:\n"),), "9rfid"),
    _station("station-structure", "unknown-entry-key",
             (("    module: SimRfidReader\n", "    module: SimRfidReader\n    cfg: {}\n"),),
             "cfg: {}"),
    _station("station-structure", "unknown-parameter", (("config: {max_current_a: 63}",
                                                         "config: {max_amps: 63}"),), "max_amps"),
    _station("station-structure", "parameter-wrong-type", (("config: {max_current_a: 63}",
                                                            "config: {max_current_a: lots}"),),
             "max_current_a: lots"),
    _station("station-structure", "parameter-out-of-range",
             (("config: {max_current_a: 32, phases: 3}",
               "config: {max_current_a: 500, phases: 3}"),), "max_current_a: 500"),
    _station("station-structure", "parameter-not-in-enum",
             (("config: {max_current_a: 32, phases: 3}",
               "config: {max_current_a: 32, phases: 2}"),), "phases: 2"),
    _station("station-structure", "config-not-a-mapping",
             (("config: {connection_timeout_s: 30}", "config: 30"),), "config: 30"),
    _station("station-structure", "unknown-requirement", (("      rcd: board1.rcd\n",
                                                           "      rcd: board1.rcd\n"
                                                           "      fan: board1.rcd\n"),), "fan:"),
    _station("station-structure", "missing-connection", (("      board: board1.board\n", ""),),
             "=    connections:", "missing connection 'board'", nth=2),
    _station("station-structure", "connection-to-missing-module",
             (("board: board1.board", "board: board9.board"),), "board9"),
    _station("station-structure", "connection-to-missing-implementation",
             (("board: board1.board", "board: board1.plug"),), "board1.plug"),
    _station("station-structure", "connection-to-wrong-interface",
             (("board: board1.board", "board: board1.meter"),), "board: board1.meter"),
    _station("station-structure", "connection-not-text",
             (("board: board1.board", "board: 42"),), "board: 42"),
    _station("station-structure", "too-many-connections",
             (("board: board1.board", "board: [board1.board, board1.board]"),), "board: [board1"),
    _station("station-structure", "settings-unknown-key",
             (("active_modules:\n", "settings: {speed: 2}\nactive_modules:\n"),), "settings:"),
    _station("station-structure", "settings-timeout-negative",
             (("active_modules:\n", "settings: {call_timeout_s: -1}\nactive_modules:\n"),),
             "settings:"),
    _station("station-structure", "process-group-unknown-module",
             (("active_modules:\n", "settings:\n  process_groups:\n    g: [nobody]\n"
               "active_modules:\n"),), "g: [nobody]"),
    Case("station-structure", "two-evse-on-one-connector",
         edited(TWO_CONNECTORS, (("connector_id: 2", "connector_id: 1"),)), "connector_id: 1",
         "connector_id 1 is already evse1's", nth=2),
]

WIRING = [
    _station("wiring", "energy-node-own-child",
             (("children: [evse1.energy, evse2.energy]",
               "children: [evse1.energy, evse2.energy, fuse]"),),
             "children: [evse1.energy, evse2.energy, fuse]", "lists fuse itself",
             base=TWO_CONNECTORS),
    _station("wiring", "energy-two-node-cycle",
             (("children: [evse1.energy, evse2.energy]",
               "children: [evse1.energy, evse2.energy, grid_connection]"),),
             "children: [evse1.energy, evse2.energy, grid_connection]", "closes a cycle",
             base=TWO_CONNECTORS),
    _station("wiring", "energy-cycle-through-manager",
             (("children: [evse1.energy, evse2.energy]",
               "children: [evse1.energy, evse2.energy, energy_manager]"),),
             "energy_manager]", "energy_manager.root", base=TWO_CONNECTORS),
    _station("wiring", "energy-child-listed-twice",
             (("children: [evse1.energy, evse2.energy]",
               "children: [evse1.energy, evse2.energy, evse1.energy]"),),
             "children: [evse1.energy, evse2.energy, evse1.energy]", "lists evse1 twice",
             base=TWO_CONNECTORS),
    _station("wiring", "energy-child-of-two-nodes",
             (("      children: fuse.energy\n", "      children: [fuse.energy, evse1.energy]\n"),),
             "children: [fuse.energy, evse1.energy]", "already below fuse", base=TWO_CONNECTORS),
    _station("wiring", "energy-single-node-own-child",
             (("      children: evse1.energy\n", "      children: [evse1.energy, grid_connection]"
               "\n"),), "grid_connection]", "lists grid_connection itself"),
    _station_run("wiring", "run-on-energy-cycle",
                 (("children: [evse1.energy, evse2.energy]",
                   "children: [evse1.energy, evse2.energy, grid_connection]"),),
                 "children: [evse1.energy, evse2.energy, grid_connection]", "closes a cycle"),
    _station_run("wiring", "run-on-missing-connection", (("      board: board1.board\n", ""),),
                 "=    connections:", "missing connection 'board'"),
    _station_run("wiring", "run-on-wrong-interface",
                 (("token_validator: allow_list", "token_validator: rfid"),),
                 "token_validator: rfid"),
]

WRONG_KIND = [
    Case("wrong-file-kind", "station-to-run", ONE_CONNECTOR, "active_modules:",
         "this is a station configuration, not a scenario: run the station alone with "
         "'evbench station", RUN),
    Case("wrong-file-kind", "everest-to-run", EVEREST_CONFIG, "telemetry_enabled",
         "this is an EVerest configuration", RUN),
    Case("wrong-file-kind", "everest-to-validate", EVEREST_CONFIG, "telemetry_enabled",
         "docs/everest-import.md"),
    Case("wrong-file-kind", "everest-to-station", EVEREST_CONFIG, "telemetry_enabled",
         "convert it with 'evbench import everest", ("station", "{file}")),
    Case("wrong-file-kind", "everest-without-settings",
         EVEREST_CONFIG.replace("settings:\n  telemetry_enabled: true\n", ""), "config_module",
         "'config_module' is EVerest's"),
    Case("wrong-file-kind", "list-to-run", "- do: plug_in\n- do: unplug\n", "=- do: plug_in",
         "the file is a list", RUN),
    Case("wrong-file-kind", "text-to-run", "hello, world\n", "hello", "single text value", RUN),
    Case("wrong-file-kind", "number-to-validate", "42\n", "42", "single int value"),
    Case("wrong-file-kind", "empty-to-run", "", None, "the file is empty", RUN),
    Case("wrong-file-kind", "comment-only-to-station", "# nothing here\n", None, "the file is "
         "empty", ("station", "{file}")),
    Case("wrong-file-kind", "unrelated-mapping-to-validate", "services:\n  web: {image: x}\n",
         "services", "none of their keys"),
    Case("wrong-file-kind", "json-array", '["scenario", "station"]', "scenario", "list"),
    Case("wrong-file-kind", "markdown-to-run", "# Title\n\nSome *text*: here.\n", None,
         "", RUN, suffix=".md"),
    Case("wrong-file-kind", "png-to-station", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xd8",
         None, "not a text file", ("station", "{file}"), suffix=".png"),
    Case("wrong-file-kind", "python-to-run", "import os\nprint(os.name)\n", "import os",
         "", RUN, suffix=".py"),
    Case("wrong-file-kind", "station-to-module", EVEREST_CONFIG, "telemetry_enabled",
         "EVerest", ("module", "connector_1", "--config", "{file}", "--bus",
                     "mqtt://localhost:1")),
    Case("wrong-file-kind", "missing-file-to-run", "", None, "file not found",
         ("run", "{dir}/nowhere.yaml")),
    Case("wrong-file-kind", "nul-in-file-name", "", None, "cannot read file",
         ("validate", "{dir}/a\0b.yaml")),
    Case("wrong-file-kind", "directory-to-validate", "", None, "cannot read file",
         ("validate", "{dir}")),
]

CLI_ARGUMENTS = [
    _cli("factor-zero", *RUN, "--factor", "0", phrase="argument --factor"),
    _cli("factor-negative", *RUN, "--factor", "-1", phrase="argument --factor"),
    _cli("factor-nan", *RUN, "--factor", "nan", phrase="finite"),
    _cli("factor-infinite", *RUN, "--factor", "inf", phrase="finite"),
    _cli("factor-text", *RUN, "--factor", "fast", phrase="not a number"),
    _cli("factor-too-slow", *RUN, "--factor", "1e9", phrase="at most 1000"),
    _cli("station-factor-zero", "station", "{file}", "--factor", "0", phrase="--factor"),
    _cli("module-factor-negative", "module", "evse1", "--config", "{file}", "--bus",
         "mqtt://localhost:1", "--factor", "-2", phrase="--factor"),
    _cli("seed-option-negative", *RUN, "--seed", "-1", phrase="argument --seed"),
    _cli("seed-fraction", *RUN, "--seed", "1.5", phrase="not a whole number"),
    _cli("station-seed-text", "station", "{file}", "--seed", "x", phrase="--seed"),
    _cli("until-zero", "station", "{file}", "--until", "0", phrase="argument --until"),
    _cli("until-negative", "station", "{file}", "--until", "-5", phrase="--until"),
    _cli("until-infinite", "station", "{file}", "--until", "inf", phrase="finite"),
    _cli("bus-unknown", *RUN, "--bus", "carrier-pigeon", phrase="bad bus address"),
    _cli("bus-port-out-of-range", *RUN, "--bus", "mqtt://localhost:99999",
         phrase="bad bus address"),
    _cli("bus-port-text", *RUN, "--bus", "mqtt://localhost:abc", phrase="bad bus address"),
    _cli("bus-no-host", "monitor", "--bus", "mqtt://:1883", phrase="bad bus address"),
    _cli("bus-wrong-scheme", "module", "evse1", "--config", "{file}", "--bus", "http://x:1",
         phrase="bad bus address"),
    _cli("no-command", phrase="required"),
    _cli("unknown-command", "launch", "{file}", phrase="invalid choice"),
    _cli("unknown-option", *RUN, "--fast", phrase="unrecognized arguments"),
    _cli("run-without-file", "run", phrase="required"),
    _cli("validate-without-files", "validate", phrase="required"),
    # (`module` without --config is no error: it asks the station's manager over MQTT.)
    _cli("monitor-without-bus", "monitor", phrase="--bus"),
    Case("cli-arguments", "out-is-a-file", GOOD_SCENARIO, None,
         "--out: report directory", ("run", "{file}", "--out", "{file}")),
    Case("cli-arguments", "out-under-a-file", GOOD_SCENARIO, None,
         "--out: report directory", ("run", "{file}", "--out", "{file}/report")),
    Case("cli-arguments", "out-in-proc", GOOD_SCENARIO, None,
         "cannot write there", ("run", "{file}", "--out", "/proc/evbench-corpus/out")),
    Case("cli-arguments", "out-with-nul", GOOD_SCENARIO, None, "cannot hold a NUL",
         ("run", "{file}", "--out", "{dir}/a\0b")),
    Case("cli-arguments", "logs-is-a-file", GOOD_SCENARIO, None, "--logs: log directory",
         ("station", "{file}", "--bus", "mqtt://localhost:1", "--logs", "{file}")),
    Case("cli-arguments", "out-report-file-is-a-directory", GOOD_SCENARIO, None,
         "timeline.csv in it cannot be overwritten",
         ("run", "{file}", "--out", "{dir}/with-dir")),
]

CASES: list[Case] = [*YAML_SYNTAX, *RESOURCE_BOMBS, *SCENARIO_STRUCTURE, *STATION_STRUCTURE,
                     *WIRING, *WRONG_KIND, *CLI_ARGUMENTS]


def materialise(case: Case, directory: Path) -> tuple[Path, list[str]]:
    """Write the case's files into ``directory`` (which holds stations/one.yaml and two.yaml);
    return the case file and the command line."""
    path = directory / case.file_name
    if isinstance(case.text, bytes):
        path.write_bytes(case.text)
    else:
        path.write_text(case.text, encoding="utf-8")
    if case.station is not None:
        (directory / "stations" / f"case-{case.id}.yaml").write_text(case.station, "utf-8")
    if case.id == "out-report-file-is-a-directory":
        (directory / "with-dir" / "timeline.csv").mkdir(parents=True, exist_ok=True)
    argv = [a.replace("{file}", str(path)).replace("{dir}", str(directory))
            for a in case.command]
    return path, argv


def prepare(directory: Path) -> None:
    """The stations the corpus's scenarios name."""
    (directory / "stations").mkdir(exist_ok=True)
    (directory / "stations" / "one.yaml").write_text(ONE_CONNECTOR, "utf-8")
    (directory / "stations" / "two.yaml").write_text(TWO_CONNECTORS, "utf-8")


def check_output(case: Case, path: Path, directory: Path, code: int, out: str,
                 err: str) -> None:
    """Exit code 2, no traceback, and one clear message: file:line (or the file, or usage)."""
    assert "Traceback" not in out + err, err
    assert code == 2, (code, out, err)
    assert "PASSED" not in out and "FAILED" not in out
    assert err.strip(), "no message"
    assert case.phrase in err, err
    if case.usage:
        assert err.startswith("usage: evbench"), err
        lines = err.strip().splitlines()
        assert lines[-1].startswith("evbench") and ": error: " in lines[-1], err
        return
    lines = err.strip().splitlines()
    assert all(line.startswith("error: ") for line in lines), err
    line = case.line()
    if line is not None:
        named = (directory / "stations" / f"case-{case.id}.yaml") if case.in_station else path
        assert f"error: {named}:{line}: " in err, (line, err)
    elif case.category != "cli-arguments":
        assert any(str(directory) in row or "--" in row for row in lines), err
