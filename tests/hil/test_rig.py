"""Rig files and the rig commands: bad files refused with file:line (exit 2), ``rig check``
naming what answers and what does not, steps a bench cannot serve refused with their line, and
the shipped AC scenarios on the emulated rig with the same expectations as in simulation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import yaml

from evbench.cli import main
from evbench.scenario import run_scenario
from reports import write_report
from tests.hil.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def board_rig(tmp: Path, car: bool = True, extra: str = "") -> Path:
    """A rig with the board (and its car side) and the ``extra`` parts."""
    lines = ["rig: test bench", "parts:", "  board1:", "    backend: serial_board",
             f'    port: "{tmp / "board1"}"']
    if car:
        lines.append(f'    car_port: "socket://127.0.0.1:{free_port()}"')
    return write(tmp / "rig.yaml", "\n".join(lines) + "\n" + textwrap.indent(extra, "  "))


@pytest.mark.parametrize(("body", "line", "reason"), [
    ("parts:\n  board1:\n    backend: can_board\n    port: x\n", 3, "unknown backend 'can_board'"),
    ("parts:\n  board1:\n    backend: serial_board\n    prot: x\n", 4, "prot"),
    ("parts:\n  board1:\n    backend: serial_board\n    port: x\n    baudrate: fast\n", 5,
     "baudrate"),
    ("parts: {}\n", 1, "parts"),
    ("parts:\n  m1:\n    backend: modbus_meter\n    register_map: sdm630\n    unit: 300\n", 5,
     "unit"),
])
def test_a_broken_rig_file_is_refused_with_its_line(tmp_path, capsys, body, line, reason):
    rig = write(tmp_path / "bad.yaml", body)
    assert main(["rig", "check", str(rig)]) == 2
    err = capsys.readouterr().err
    assert f"{rig}:{line}:" in err and reason in err
    assert "Traceback" not in err


def test_rig_check_names_each_missing_device_and_why(tmp_path, capsys):
    rig = board_rig(tmp_path, extra=textwrap.dedent(f"""\
          meter1:
            backend: modbus_meter
            tcp_port: {free_port()}
            register_map: sdm630
        """))
    assert main(["rig", "check", str(rig), "--timeout", "0.5"]) == 1
    out = capsys.readouterr().out
    assert f"MISSING  board1 at {tmp_path / 'board1'}" in out
    assert "No such file or directory" in out
    assert "MISSING  board1 car side" in out and "Connection refused" in out
    assert "MISSING  meter1" in out and "cannot connect to tcp" in out
    assert "0 of 3 devices answer" in out


def test_rig_check_reads_identity_and_status_from_the_emulators(tmp_path):
    rig = board_rig(tmp_path, extra=textwrap.dedent(f"""\
          meter1:
            backend: modbus_meter
            tcp_port: {free_port()}
            register_map: sdm630
          meter2:
            backend: modbus_meter
            serial_port: "{tmp_path / 'rs485'}"
            unit: 3
            register_map: dc-meter-int
        """))
    with emulating(rig):
        out = subprocess.run([sys.executable, "-m", "evbench.cli", "rig", "check", str(rig)],
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "hw_type=1" in out.stdout and "cp=A" in out.stdout and "relays=open" in out.stdout
    assert "model=Eastron SDM630" in out.stdout and "Generic DC meter" in out.stdout
    assert "4 of 4 devices answer" in out.stdout


def test_steps_a_bench_cannot_serve_are_refused_with_their_line(tmp_path, capsys):
    rig = board_rig(tmp_path, car=False)
    scenario = SCENARIOS / "rfid_session.yaml"
    assert main(["run", str(scenario), "--rig", str(rig), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    plug_line = next(i for i, text in enumerate(scenario.read_text().splitlines(), start=1)
                     if "do: plug_in" in text) - 1  # the step's own line is its first key's
    assert f"{scenario}:{plug_line}: step 1 (plug_in): rig {rig} has no simulated car" in err
    assert not (tmp_path / "board1").exists()  # refused before any device was opened


def test_grid_steps_are_refused_for_a_rig_without_a_simulated_grid(tmp_path, capsys):
    rig = board_rig(tmp_path)
    scenario = SCENARIOS / "grid_limit_change.yaml"
    if "grid" not in scenario.read_text():
        pytest.skip("the scenario has no grid step")
    assert main(["run", str(scenario), "--rig", str(rig), "--out", str(tmp_path / "out")]) == 2
    assert "has no simulated grid" in capsys.readouterr().err


class emulating:  # noqa: N801 - used as a context manager, like a function
    """``evbench rig emulate RIG`` in its own process while the block runs."""

    def __init__(self, rig: Path, factor: float = 1.0):
        self.rig, self.factor = rig, factor

    def __enter__(self) -> subprocess.Popen:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "evbench.cli", "rig", "emulate", str(self.rig),
             "--factor", str(self.factor)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, cwd=ROOT)
        assert self.process.stdout is not None
        for line in self.process.stdout:  # ready once it says what it emulates
            if line.startswith("emulating"):
                # What the emulators say later is read away: a full pipe would stop them.
                self.said: list[str] = []
                self._reader = threading.Thread(target=self._read_on, daemon=True)
                self._reader.start()
                return self.process
        raise AssertionError(f"the emulators did not start (exit {self.process.wait()})")

    def _read_on(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.said.append(line.rstrip())

    def stop(self) -> str:
        """Stop the emulators; everything they said, once they have said it all."""
        self.process.terminate()
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)
        return "\n".join(self.said)

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# The wall-clock factor of the end-to-end runs: every reaction time the scenarios expect
# (100 ms for the contactor) shrinks with it, and a loaded machine's scheduling delays do not.
FACTOR = float(os.environ.get("EVBENCH_HIL_FACTOR", "0.25"))


def short_rfid_session(tmp: Path) -> Path:
    """The shipped RFID session with one minute of charging instead of an hour: every
    expectation of the shipped file but the energy, scaled to the minute."""
    doc = yaml.safe_load((SCENARIOS / "rfid_session.yaml").read_text(encoding="utf-8"))
    doc["station"] = str(SCENARIOS / doc["station"])
    doc["duration"] = "3 min"
    doc["steps"][-1]["after"] = "1 min"
    for expectation in doc["expect"]:
        if "energy_wh" in expectation:
            expectation["energy_wh"] = {"min": 100}
    path = tmp / "short_rfid_session.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_short_session_passes_on_the_emulated_rig(tmp_path):
    compare_on_the_rig(tmp_path, short_rfid_session(tmp_path))


@pytest.mark.slow
@pytest.mark.long
@pytest.mark.parametrize("name", ["rcd_trip", "rfid_session"])
def test_shipped_ac_scenarios_pass_on_the_emulated_rig(tmp_path, name):
    compare_on_the_rig(tmp_path, SCENARIOS / f"{name}.yaml")


def compare_on_the_rig(tmp_path: Path, scenario: Path, rig: Path | None = None,
                       time_tolerance_s: float | None = 1.0) -> None:
    """The scenario in simulation and on the emulated rig (by default the AC board's): the
    same expectations pass, the same session events happen in the same order, and ``evbench
    compare`` finds the two within a bench's tolerances (the energy within 5 %, each event
    within ``time_tolerance_s``; None: the comparison page is made, its timing not judged)."""
    simulated = run_scenario(scenario)
    assert simulated.passed
    rig = rig or board_rig(tmp_path)
    with emulating(rig, FACTOR):
        started = time.monotonic()
        bench = run_scenario(scenario, rig=rig, factor=FACTOR)
    write_report(simulated, tmp_path / "simulated")  # both timelines, to see what differs
    write_report(bench, tmp_path / "bench")
    failed = [f"{o.name}: {o.detail}" for o in bench.expectations if not o.passed]
    assert not failed, f"on the emulated rig (factor {FACTOR:g}, " \
        f"{time.monotonic() - started:.0f} s; {tmp_path / 'bench'}): " + "; ".join(failed)
    assert [o.name for o in bench.expectations] == [o.name for o in simulated.expectations]
    # Within 5 %, or 1 Wh where hardly any energy flows (an insulation's leakage).
    assert bench.energy_wh[1] == pytest.approx(simulated.energy_wh[1], rel=0.05, abs=1.0)
    assert session_events(bench) == session_events(simulated)
    # evbench compare shows the two side by side, within the tolerances of a bench.
    compared = main(["compare", str(tmp_path / "simulated"), str(tmp_path / "bench"),
                     "--time-tolerance", f"{time_tolerance_s or 1:g}", "--energy-tolerance", "5"])
    assert time_tolerance_s is None or compared == 0
    assert (tmp_path / "bench" / "compare.html").is_file()


def session_events(result) -> list[str]:
    """The session events of a run, in order."""
    events = result.events
    rows = events[(events["kind"] == "var") & (events["name"] == "session_event")]
    return [json.loads(text)["event"] for text in rows["value"]]


def test_a_bench_module_is_refused_in_virtual_time_with_its_line(tmp_path, capsys):
    station = write(tmp_path / "station.yaml", """\
        active_modules:
          board1:
            module: SerialBoard
            config: {port: /dev/ttyUSB0}
        """)
    scenario = write(tmp_path / "scenario.yaml", f"""\
        scenario: bench board in virtual time
        station: {station}
        duration: 1 min
        steps:
          - at: 1 s
            do: end
        """)
    assert main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{station}:3: board1: module SerialBoard needs the wall clock" in err
