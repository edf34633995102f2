"""A broken station configuration is refused before anything starts, with file, line and reason:
through ``load_station``, ``evbench validate`` and ``evbench run`` (in-process and as a process).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from charger.framework.config import load_station
from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from evbench.cli import EXIT_BAD_INPUT, EXIT_OK, main
from tests.support.broken_files import edited, marker_line

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
description: a station for the validation tests
active_modules:
  grid:
    module: SimGrid
  board1:
    module: SimBoard
    config:
      max_current_a: 32
      phases: 3
    connections:
      grid: grid.supply
  rfid:
    module: SimRfidReader
  allow_list:
    module: LocalAllowList
  evse1:
    module: EvseManager
    config:
      connector_id: 1
    connections:
      board: board1.board
      rcd: board1.rcd
  auth:
    module: Auth
    connections:
      token_provider: rfid.tokens
      token_validator: allow_list
      evse_manager: evse1
"""


@dataclass(frozen=True)
class Broken:
    id: str
    old: str  # text of GOOD to replace (must occur exactly once)
    new: str
    marker: str  # the reported line holds this text ("=text": is exactly this text)
    phrase: str  # part of the reason
    builtin_only: bool = True  # False when the case needs the test-only modules
    nth: int = 1  # which line containing the marker
    more: tuple[tuple[str, str], ...] = ()  # further (old, new) replacements

    def text(self) -> str:
        return edited(GOOD, ((self.old, self.new), *self.more))

    def line(self) -> int:
        return marker_line(self.text(), self.marker, self.nth)


CASES = [
    Broken("yaml-syntax", "    module: SimGrid\n", "    module: SimGrid: big\n",
           "SimGrid: big", "invalid YAML"),
    Broken("yaml-tab", "  rfid:\n    module", "  rfid:\n\tmodule", "\tmodule", "invalid YAML"),
    Broken("duplicate-key", "      phases: 3\n", "      phases: 3\n      phases: 1\n",
           "phases: 1", "duplicate key 'phases'"),
    Broken("duplicate-module-id", "  rfid:\n", "  grid:\n    module: SimGrid\n  rfid:\n",
           "=  grid:", "duplicate key 'grid'", nth=2),
    Broken("unknown-top-level-key", "description: a station", "colour: red\ndescription: a station",
           "colour", "unknown key(s) ('colour' was unexpected)"),
    Broken("entry-without-module", "    module: SimRfidReader\n", "    config: {}\n",
           "=  rfid:", "active_modules/rfid: 'module' is a required property"),
    Broken("unknown-key-in-an-entry", "    connections:\n      board: board1.board",
           "    conections:\n      board: board1.board", "conections:",
           "active_modules/evse1: unknown key(s) ('conections' was unexpected)"),
    Broken("unknown-module", "module: SimRfidReader", "module: SimRfidReeder",
           "SimRfidReeder", "rfid: unknown module 'SimRfidReeder'"),
    Broken("unknown-parameter", "      phases: 3\n", "      phasez: 3\n",
           "phasez", "board1: unknown parameter 'phasez' for SimBoard"),
    Broken("parameter-wrong-type", "max_current_a: 32", "max_current_a: plenty",
           "plenty", "bad value for parameter 'max_current_a': max_current_a must be number"),
    Broken("parameter-above-maximum", "max_current_a: 32", "max_current_a: 100",
           "max_current_a: 100", "max_current_a must be smaller than or equal to 80"),
    Broken("parameter-not-in-enum", "      phases: 3\n", "      phases: 2\n",
           "phases: 2", "bad value for parameter 'phases': phases must be one of [1, 3]"),
    Broken("parameter-below-minimum", "connector_id: 1", "connector_id: 0",
           "connector_id: 0", "connector_id must be bigger than or equal to 1"),
    Broken("settings-timeout-zero", "description: a station",
           "settings:\n  call_timeout_s: 0\ndescription: a station",
           "call_timeout_s", "settings/call_timeout_s"),
    Broken("missing-required-connection", "      board: board1.board\n", "",
           "=    connections:", "evse1: missing connection 'board'", nth=2),
    Broken("connection-to-missing-module", "board: board1.board", "board: board9.board",
           "board9", "connection 'board': no module instance 'board9' in this station"),
    Broken("connection-to-missing-implementation", "board: board1.board", "board: board1.plug",
           "board1.plug", "board1 provides no implementation 'plug'"),
    Broken("connection-to-wrong-interface", "board: board1.board", "board: board1.meter",
           "board1.meter", "board1.meter implements powermeter, but evse_board_support is "
           "required"),
    Broken("module-id-without-that-interface", "board: board1.board", "board: grid",
           "board: grid", "grid (SimGrid) provides 0 implementations of evse_board_support"),
    Broken("ambiguous-module-id", "token_validator: allow_list", "token_validator: twin",
           "token_validator: twin",
           "twin (TwinValidator) provides 2 implementations of auth_token_validator; name one",
           builtin_only=False,
           more=(("  auth:\n", "  twin:\n    module: TwinValidator\n  auth:\n"),)),
    Broken("too-many-connections", "board: board1.board", "board: [board1.board, board1.board]",
           "board: [", "evse1: wrong number of connections 'board' (interface "
           "evse_board_support): has 2, needs exactly 1"),
    Broken("unknown-requirement", "      rcd: board1.rcd\n",
           "      rcd: board1.rcd\n      residual: board1.rcd\n",
           "residual", "evse1: EvseManager has no requirement 'residual'"),
    Broken("module-class-without-handler", "module: LocalAllowList", "module: MissingHandler",
           "MissingHandler", "allow_list: module MissingHandler cannot be loaded: module "
           "MissingHandler: no handler for validator.validate_token", builtin_only=False),
]


def test_the_good_station_loads(write: Callable[..., Path], registry: ModuleRegistry) -> None:
    station = load_station(write("good.yaml", GOOD), registry)
    assert set(station.modules) == {"grid", "board1", "rfid", "allow_list", "evse1", "auth"}
    assert station.modules["evse1"].connections["board"] == [("board1", "board")]
    # module id only, when it has exactly one implementation of the interface
    assert station.modules["auth"].connections["token_validator"] == [("allow_list", "main")]
    # defaults are filled in
    assert station.modules["board1"].config["relay_close_delay_s"] == 0.03


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_broken_station_is_refused_with_file_line_and_reason(
        case: Broken, write: Callable[..., Path], registry: ModuleRegistry) -> None:
    path = write("broken.yaml", case.text())
    with pytest.raises(ConfigError) as caught:
        load_station(path, registry)
    problems = caught.value.problems
    assert all(p.path == str(path) for p in problems)
    found = [(p.line, p.reason) for p in problems]
    assert any(line == case.line() and case.phrase in reason for line, reason in found), found


def test_every_problem_is_reported_in_one_round(write: Callable[..., Path],
                                                registry: ModuleRegistry) -> None:
    text = (GOOD.replace("      phases: 3\n", "      phasez: 3\n")
            .replace("board: board1.board", "board: board9.board")
            .replace("module: SimRfidReader", "module: SimRfid"))
    with pytest.raises(ConfigError) as caught:
        load_station(write("broken.yaml", text), registry)
    reasons = " | ".join(p.reason for p in caught.value.problems)
    assert "unknown parameter 'phasez'" in reasons
    assert "no module instance 'board9'" in reasons
    assert "unknown module 'SimRfid'" in reasons


def test_dict_form_connection_names_module_and_implementation(
        write: Callable[..., Path], registry: ModuleRegistry) -> None:
    text = GOOD.replace("board: board1.board",
                        "board: {module_id: board1, implementation_id: board}")
    station = load_station(write("dict.yaml", text), registry)
    assert station.modules["evse1"].connections["board"] == [("board1", "board")]
    wrong = GOOD.replace("board: board1.board",
                         "board: {module_id: board1, implementation_id: meter}")
    with pytest.raises(ConfigError, match="board1.meter implements powermeter"):
        load_station(write("dict-wrong.yaml", wrong), registry)


def test_a_module_loaded_twice_for_two_connectors(write: Callable[..., Path],
                                                  registry: ModuleRegistry) -> None:
    text = GOOD.replace("  auth:\n", "  board2:\n    module: SimBoard\n    connections:\n"
                        "      grid: grid.supply\n  evse2:\n    module: EvseManager\n"
                        "    config: {connector_id: 2}\n    connections:\n"
                        "      board: board2.board\n  auth:\n")
    text = text.replace("evse_manager: evse1", "evse_manager: [evse1, evse2]")
    station = load_station(write("two.yaml", text), registry)
    assert station.modules["evse2"].connections["board"] == [("board2", "board")]
    assert station.modules["auth"].connections["evse_manager"] == [("evse1", "evse"),
                                                                   ("evse2", "evse")]


def test_invalid_module_id_is_reported_on_its_own_line(
        write: Callable[..., Path], registry: ModuleRegistry) -> None:
    text = GOOD.replace("  evse1:\n", "  1evse:\n").replace("evse_manager: evse1",
                                                            "evse_manager: 1evse")
    path = write("bad-id.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_station(path, registry)
    line = text.splitlines().index("  1evse:") + 1
    assert [(p.line, "1evse" in p.reason) for p in caught.value.problems] == [(line, True)]


def test_missing_station_file(tmp_path: Path, registry: ModuleRegistry) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_station(tmp_path / "nowhere.yaml", registry)


# --- the command line, in-process ---------------------------------------------------------------
BUILTIN_CASES = [c for c in CASES if c.builtin_only]


@pytest.mark.parametrize("case", BUILTIN_CASES, ids=lambda c: c.id)
@pytest.mark.usefixtures("cached_cli_registries")
def test_evbench_validate_refuses_a_broken_station(
        case: Broken, write: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write("broken.yaml", case.text())
    assert main(["validate", str(path)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert f"{path}:{case.line()}: " in err
    assert case.phrase in err
    assert "Traceback" not in err + out
    assert ": ok" not in out


def test_evbench_validate_accepts_the_good_station(
        write: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write("good.yaml", GOOD)
    assert main(["validate", str(path)]) == EXIT_OK
    out, err = capsys.readouterr()
    assert f"{path}: ok (station with 6 modules)" in out
    assert err == ""


def test_evbench_validate_reports_every_file(
        write: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    good = write("good.yaml", GOOD)
    bad1 = write("bad1.yaml", CASES[0].text())
    bad2 = write("bad2.yaml", GOOD.replace("phases: 3", "phases: 2"))
    assert main(["validate", str(bad1), str(good), str(bad2)]) == EXIT_BAD_INPUT
    out, err = capsys.readouterr()
    assert f"{good}: ok" in out
    assert f"{bad1}:" in err and f"{bad2}:" in err


def _scenario_with_station(write: Callable[..., Path], station_text: str) -> Path:
    write("stations/station.yaml", station_text)
    return write("scenario.yaml", """\
        scenario: uses a broken station
        station: stations/station.yaml
        duration: 10 s
        steps:
          - at: 1 s
            do: end
        """)


def test_evbench_run_refuses_a_scenario_whose_station_is_broken(
        write: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _scenario_with_station(write, GOOD.replace("phases: 3", "phases: 2"))
    station = tmp_path / "stations" / "station.yaml"
    code = main(["run", str(scenario), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == EXIT_BAD_INPUT
    line = GOOD.splitlines().index("      phases: 3") + 1
    assert f"{station}:{line}: board1: bad value for parameter 'phases'" in err
    assert "Traceback" not in err + out
    assert "PASSED" not in out and "FAILED" not in out
    assert not (tmp_path / "out").exists()


# --- the command line, as a separate process ----------------------------------------------------
def _evbench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("evbench", path=str(Path(sys.executable).parent))
    command = [exe] if exe else [sys.executable, "-m", "evbench.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env)


def test_evbench_process_validate_exits_2_with_file_line_reason(
        write: Callable[..., Path], tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "connection-to-wrong-interface")
    path = write("broken.yaml", case.text())
    done = _evbench("validate", str(path), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"{path}:{case.line()}: evse1: connection 'board': {case.phrase}" in done.stderr
    assert "Traceback" not in done.stderr


def test_evbench_process_run_exits_2_on_a_broken_station(
        write: Callable[..., Path], tmp_path: Path) -> None:
    scenario = _scenario_with_station(write, GOOD.replace("module: SimRfidReader",
                                                          "module: SimRfidReeder"))
    done = _evbench("run", str(scenario), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    line = GOOD.splitlines().index("    module: SimRfidReader") + 1
    station = tmp_path / "stations" / "station.yaml"
    assert f"{station}:{line}: rfid: unknown module 'SimRfidReeder'" in done.stderr
    assert "Traceback" not in done.stderr
    assert "PASSED" not in done.stdout


def test_evbench_process_validates_the_shipped_files(tmp_path: Path) -> None:
    files = sorted(str(p) for p in (REPO / "scenarios").rglob("*.yaml"))
    assert files
    done = _evbench("validate", *files, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok (") == len(files)
