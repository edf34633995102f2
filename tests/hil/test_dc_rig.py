"""The shipped DC scenarios on an emulated DC rig (hil/rigs/emulated-dc.yaml): InfyPower power
modules over slcan on a socat pty pair as the station's DC supply, the car charged from their
readback, with the same expectations as in simulation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.cli import main
from hil.rig import load_rig
from tests.hil.conftest import free_port, shortened_session
from tests.hil.test_rig import ROOT, SCENARIOS, compare_on_the_rig, emulating, write

SHIPPED_RIG = ROOT / "hil" / "rigs" / "emulated-dc.yaml"
DC_SCENARIOS = sorted(p.stem for p in SCENARIOS.glob("dc_*.yaml"))
# The comparison's timing is not judged on the DC rig: each step of a DC session that waits for
# the output (the cable check's voltage, pre-charge, switching off) waits for a reading of the
# modules, polled at 10 Hz, and at factor 0.25 a hiccup of either process on a busy machine
# (the V2G codec compiles a message type's code the first time it meets it) counts four times
# in simulated seconds: events come up to about 2.5 s later than in simulation, and a state
# shorter than the comparison's 1 s sampling can fall between two samples. The expectations,
# the session events in their order and the energy are judged.
TIME_TOLERANCE_S = None


def dc_rig(tmp: Path) -> Path:
    """The shipped DC rig with this test's own channel and load port."""
    doc = yaml.safe_load(SHIPPED_RIG.read_text(encoding="utf-8"))
    doc["parts"]["dc_modules"]["channel"] = str(tmp / "can-dc")
    doc["parts"]["dc_load"]["port"] = f"socket://127.0.0.1:{free_port()}"
    path = tmp / "emulated-dc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def short_dc_session(tmp: Path) -> Path:
    """The shipped ISO 15118-2 DC session with 20 s of charging instead of two minutes: every
    expectation of the shipped file but the energy, scaled to the time."""
    return shortened_session(SCENARIOS / "dc_iso15118_session.yaml", tmp, "90 s",
                             ("sleep 120;", "sleep 20;"), min_energy_wh=300)


def test_the_shipped_dc_rig_feeds_the_power_path_from_the_modules():
    registry = ModuleRegistry(SchemaRegistry())
    rig = load_rig(SHIPPED_RIG, registry)
    assert rig.parts["dc_modules"].module == "InfyPowerSupply"
    assert rig.parts["dc_modules"].serves == ["dc1.supply"]
    assert rig.parts["dc_load"].module == "EmulatedDcLoad"
    assert rig.parts["dc_load"].serves == ["dc1.load"]


def test_rig_check_reads_the_modules_of_the_dc_rig(tmp_path, capsys):
    rig = dc_rig(tmp_path)
    with emulating(rig):
        assert main(["rig", "check", str(rig)]) == 0
    out = capsys.readouterr().out
    assert "modules=2" in out and "module1=0 V 0 A" in out and "module2=0 V 0 A" in out
    assert "load=listening" in out
    assert "2 of 2 devices answer" in out


def test_a_load_part_without_emulated_modules_before_it_is_refused(tmp_path, capsys):
    rig = write(tmp_path / "rig.yaml", f"""\
        parts:
          dc_load:
            backend: emulated_dc_load
            port: socket://127.0.0.1:{free_port()}
            emulate: {{modules: dc_modules}}
        """)
    assert main(["rig", "emulate", str(rig)]) == 2
    err = capsys.readouterr().err
    assert "emulate.modules must name a part with emulated power modules" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_short_dc_session_passes_on_the_emulated_dc_rig(tmp_path):
    compare_on_the_rig(tmp_path, short_dc_session(tmp_path), dc_rig(tmp_path),
                       TIME_TOLERANCE_S)


# The fifteen minutes of DIN charging once stopped delivering minutes in on a busy machine, with
# no error: a stall of the station's process past the modules' keep-alive (10 s of the emulator's
# clock, 2.5 wall seconds at factor 0.25) does that, the modules switching themselves off and the
# backend exporting on with them off. It switches such a module on again now
# (tests/hil/can/test_bench.py).
@pytest.mark.slow
@pytest.mark.long
@pytest.mark.parametrize("name", DC_SCENARIOS)
def test_shipped_dc_scenarios_pass_on_the_emulated_dc_rig(tmp_path, name):
    compare_on_the_rig(tmp_path, SCENARIOS / f"{name}.yaml", dc_rig(tmp_path),
                       TIME_TOLERANCE_S)
