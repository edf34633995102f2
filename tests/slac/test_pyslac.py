"""Interoperability: our car's SLAC matches pyslac's EVSE side (an independent implementation)
over veth pairs, with PlcBridge playing the power line and both modems between them.

pyslac runs from its own test-only environment (tools/pyslac-venv), in the EVSE's network
namespace; skipped with the reason where that environment or namespaces cannot be made."""

from __future__ import annotations

import os
import select
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from charger.framework.registry import ModuleRegistry
from tests.slac.conftest import ev_mac, evse_mac
from tests.slac.netns import VethLab, veth_lab
from tests.slac.test_veth import call, start, values

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("pyslac_evse.py")
WALL_LIMIT_S = 60.0


@pytest.fixture(scope="module")
def pyslac_python() -> Path:
    try:
        made = subprocess.run([str(REPO / "tools" / "pyslac-venv")], capture_output=True,
                              text=True, timeout=600, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"cannot create pyslac's environment: {exc}")
    if made.returncode != 0:
        pytest.skip(f"cannot create pyslac's environment (tools/pyslac-venv): "
                    f"{made.stderr.strip()[-300:]}")
    return REPO / made.stdout.strip().splitlines()[-1]


@pytest.fixture
def lab() -> Iterator[VethLab]:
    made = veth_lab()
    try:
        yield made
    finally:
        made.remove()


def test_our_car_matches_pyslacs_evse(lab: VethLab, tmp_path: Path, pyslac_python: Path,
                                      slac_registry: ModuleRegistry) -> None:
    cars, evses, line = lab.namespace("ev"), lab.namespace("evse"), lab.namespace("line")
    lab.cable(cars, "plc1", line, "ev1", ev_mac(1))
    lab.cable(evses, "plc1", line, "evse1", evse_mac(1))
    doc = {"description": "our car against pyslac", "active_modules": {
        "line": {"module": "PlcBridge", "config": {"connectors": [
            {"connector": 1, "ev_interface": "ev1", "evse_interface": "evse1",
             "netns": line}]}},
        "car_modems": {"module": "RawEthernetPlc", "config": {"ports": [
            {"port": 1, "interface": "plc1", "netns": cars}]}},
        "car1": {"module": "SimEvSlac", "connections": {"plc": "car_modems.plc"},
                 "config": {"port": 1, "mac_address": ev_mac(1)}},
    }}
    (tmp_path / "doc.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    assembly, recorder = start(tmp_path, slac_registry, doc)
    peer = subprocess.Popen(["ip", "netns", "exec", evses, str(pyslac_python), str(DRIVER),
                             "plc1", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path)  # pyslac reads a .env from its cwd
    said: list[str] = []

    def run_until(word: str) -> None:
        """Run our station until pyslac says ``word`` (its stdout is read between steps)."""
        started = assembly.env.now
        while not any(line.startswith(word) for line in said):
            assembly.env.run(until=assembly.env.now + 0.05)
            if select.select([peer.stdout], [], [], 0)[0]:
                chunk = os.read(peer.stdout.fileno(), 4096).decode()
                said.extend(line for line in chunk.splitlines() if line)
                if not chunk or any(line.startswith("FAILED") for line in said):
                    peer.kill()
                    pytest.fail(f"pyslac said {said}; ours: {ours()}; pyslac: "
                                f"{peer.stderr.read()[-3000:].decode()}")
            assert assembly.env.now - started < WALL_LIMIT_S, f"pyslac said only {said}"

    def ours() -> list:
        return [(round(r.t, 3), r.kind, r.name, str(r.value)[:120]) for r in recorder.rows
                if r.source.startswith("car1") or r.kind == "log"]

    try:
        run_until("WAITING")  # pyslac's CM_SET_KEY.REQ was confirmed by the emulated modem
        assert call(assembly, "car1", "trigger_matching") is True
        run_until("MATCHED")
        assembly.env.run(until=assembly.env.now + 0.5)
    finally:
        assembly.stop()
        peer.kill()
        _, errors = peer.communicate(timeout=10)
    assert said[-1] == f"MATCHED {ev_mac(1)}", errors[-2000:].decode()
    assert values(recorder, "car1.main", "state")[-1][1] == "MATCHED"
    assert values(recorder, "car1.main", "ev_mac_address")[-1][1] == evse_mac(1).upper()
    assert assembly.station.exceptions == []
