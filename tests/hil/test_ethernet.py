"""The ``ethernet`` backend: a connector's power line on a real interface. Bad parts and unusable
interfaces refused with the rig file's line (exit 2), ``rig check`` saying what is wrong with an
interface, the overlay serving SLAC and the SECC from the interface, and an ISO 15118 scenario
whose SLAC frames and V2G messages cross veth pairs to the emulated car's namespace, with the
same expectations as in simulation. What needs root and network namespaces is skipped, with the
reason, where they are missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from charger.framework.registry import ModuleRegistry
from evbench.cli import main
from evbench.scenario import load_scenario, run_scenario
from evbench.scenario.world import build_world
from hil.emulators.car_plc import TopologyError, VethTopology
from hil.ethernet import NEEDS_CAP_NET_RAW, inspect_interface
from tests.hil.conftest import free_port, shortened_session
from tests.hil.test_rig import emulating
from tests.slac.netns import veth_lab

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
HLC_SCENARIO = SCENARIOS / "ac_iso15118_eim.yaml"
# SLAC's timeouts are tens of milliseconds, and every frame crosses three processes' sockets:
# the HLC runs keep the wall clock's pace unless told otherwise.
FACTOR = float(os.environ.get("EVBENCH_HLC_FACTOR", "1"))


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def names(tag: str = "") -> dict[str, str]:
    """Names no other test (nor another pytest worker) uses at the same time."""
    pid = os.getpid() % 100000
    return {"interface": f"evb{pid}{tag}", "car_interface": "plc1",
            "car_netns": f"evbench-{pid}{tag}-car", "line_netns": f"evbench-{pid}{tag}-line"}


def hlc_rig(tmp: Path, tag: str = "") -> tuple[Path, dict[str, str]]:
    """The emulated board (with the car's side of its plug) and connector 1's power line."""
    found = names(tag)
    rig = write(tmp / "rig.yaml", f"""\
        rig: emulated HLC bench
        parts:
          board1:
            backend: serial_board
            port: "{tmp / 'board1'}"
            car_port: "socket://127.0.0.1:{free_port()}"
          plc:
            backend: ethernet
            interface: {found['interface']}
            car_interface: {found['car_interface']}
            car_netns: {found['car_netns']}
            emulate: {{line_netns: {found['line_netns']}}}
        """)
    return rig, found


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1)
                if text in line)


@pytest.fixture
def netns_capable() -> None:
    """Skips, saying why, where network namespaces cannot be made (not root, no iproute2)."""
    lab = veth_lab()
    try:
        lab.namespace("probe")
    finally:
        lab.remove()


@pytest.fixture
def topology(netns_capable: None) -> Iterator[VethTopology]:
    found = names("t")
    made = VethTopology(found["interface"], found["car_interface"], found["car_netns"],
                        found["line_netns"])
    try:
        made.make()
    except TopologyError as problem:
        pytest.skip(f"cannot make the veth pairs here: {problem}")
    try:
        yield made
    finally:
        made.remove()


# --- refused before anything runs ---------------------------------------------------------------
@pytest.mark.parametrize(("part", "key", "reason"), [
    ("backend: ethernet\n    port: 1\n", "backend", "interface"),
    ("backend: ethernet\n    interface: a-name-longer-than-15\n", "interface", "interface"),
    ("backend: ethernet\n    interface: eth1\n    car_interface: plc1\n", "backend",
     "car_netns"),
])
def test_a_broken_ethernet_part_is_refused_with_its_line(tmp_path, capsys, part, key, reason):
    rig = write(tmp_path / "bad.yaml", f"parts:\n  plc:\n    {part}")
    assert main(["rig", "check", str(rig)]) == 2
    err = capsys.readouterr().err
    assert f"{rig}:{line_of(rig, key + ':')}:" in err and reason in err
    assert "Traceback" not in err


def test_a_run_on_a_missing_interface_is_refused_with_its_line(tmp_path, capsys):
    rig = write(tmp_path / "rig.yaml", """\
        parts:
          plc:
            backend: ethernet
            interface: nosuch0
        """)
    assert main(["run", str(HLC_SCENARIO), "--rig", str(rig), "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{rig}:4: plc: no network interface 'nosuch0'" in err
    assert "(there are: lo" in err and "Traceback" not in err


def without_cap_net_raw(*argv: str) -> subprocess.CompletedProcess:
    """``python -m evbench.cli ARGV`` with CAP_NET_RAW out of its reach (as a user without it)."""
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) is missing: cannot drop CAP_NET_RAW")
    return subprocess.run(["setpriv", "--bounding-set", "-net_raw", "--inh-caps", "-net_raw",
                           sys.executable, "-m", "evbench.cli", *argv],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_missing_cap_net_raw_is_named_by_check_and_refused_by_a_run(tmp_path, topology):
    rig = write(tmp_path / "rig.yaml", f"""\
        parts:
          plc:
            backend: ethernet
            interface: {topology.interface}
        """)
    checked = without_cap_net_raw("rig", "check", str(rig))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert f"MISSING  plc at {topology.interface}: {NEEDS_CAP_NET_RAW}" in checked.stdout
    run = without_cap_net_raw("run", str(HLC_SCENARIO), "--rig", str(rig), "--out",
                              str(tmp_path / "out"))
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{rig}:4: plc: {NEEDS_CAP_NET_RAW}" in run.stderr
    assert "Traceback" not in run.stderr
    # With the capability, the same interface is usable.
    assert inspect_interface(topology.interface).problems() == []


def test_rig_check_says_what_is_wrong_with_an_interface(tmp_path, capsys, topology):
    rig = write(tmp_path / "rig.yaml", f"""\
        parts:
          plc:
            backend: ethernet
            interface: {topology.interface}
            car_interface: {topology.car_interface}
            car_netns: {topology.car_netns}
          loopback:
            backend: ethernet
            interface: lo
          gone:
            backend: ethernet
            interface: nosuch0
            car_interface: plc1
            car_netns: no-such-namespace
        """)
    subprocess.run(["ip", "-n", topology.car_netns, "link", "set", topology.car_interface,
                    "down"], check=True, timeout=20)
    assert main(["rig", "check", str(rig)]) == 1
    out = capsys.readouterr().out
    assert f"ok       plc at {topology.interface}: mac=" in out and "ipv6=fe80::" in out
    assert (f"MISSING  plc car side at plc1 in namespace {topology.car_netns}: interface "
            "'plc1' is down") in out
    assert "MISSING  loopback at lo: interface 'lo' has no IPv6 link-local address" in out
    assert "MISSING  gone at nosuch0: no network interface 'nosuch0'" in out
    assert "network namespace 'no-such-namespace'" in out
    assert "1 of 5 devices answer" in out


# --- the overlay ------------------------------------------------------------------------------
def test_the_part_serves_slac_and_the_secc_from_the_interface(tmp_path, topology,
                                                             registry: ModuleRegistry):
    rig = write(tmp_path / "rig.yaml", f"""\
        parts:
          board1:
            backend: serial_board
            port: "{tmp_path / 'board1'}"
            car_port: "socket://127.0.0.1:{free_port()}"
          plc:
            backend: ethernet
            interface: {topology.interface}
            car_interface: {topology.car_interface}
            car_netns: {topology.car_netns}
        """)
    world = build_world(load_scenario(HLC_SCENARIO), registry, rig)
    modules = world.station.modules
    mac = inspect_interface(topology.interface).mac
    assert modules["plc"].module == "EmulatedEthernetPlc"
    assert modules["slac1"].connections["plc"] == [("plc", "evse")]
    assert modules["slac1"].config["mac_address"] == mac  # a network card drops the rest
    assert modules["secc1"].config["interface"] == topology.interface
    assert "plc" not in modules["secc1"].raw_connections  # the host's IP stack, not frames
    car_slac, car_evcc = modules["car1_slac"], modules["car1_evcc"]
    assert car_slac.connections["plc"] == [("plc", "ev")]
    assert car_evcc.config["interface"] == topology.car_interface
    assert car_evcc.config["netns"] == topology.car_netns
    assert "plc" not in car_evcc.raw_connections


def test_a_second_connector_on_one_interface_is_refused(tmp_path, capsys, topology):
    station = ROOT / "tests" / "hlc" / "stations" / "ac-2-connectors-iso15118.yaml"
    doc = yaml.safe_load(station.read_text(encoding="utf-8"))
    plc = next(i for i, m in doc["active_modules"].items() if m["module"] == "PlcLink")
    scenario = write(tmp_path / "scenario.yaml", f"""\
        scenario: two connectors
        station: {station}
        duration: 1 min
        steps: []
        """)
    rig = write(tmp_path / "rig.yaml", f"""\
        parts:
          {plc}:
            backend: ethernet
            interface: {topology.interface}
        """)
    assert main(["run", str(scenario), "--rig", str(rig), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{rig}:3: {plc}: slac2 uses port 2, and this interface is port 1" in err


def test_the_emulator_refuses_names_in_use(topology):
    again = VethTopology(topology.interface, "plc9", "evbench-other-car", "evbench-other-line")
    with pytest.raises(TopologyError, match=f"interface '{topology.interface}' exists"):
        again.make()
    again = VethTopology("evbother0", "plc9", topology.car_netns, "evbench-other-line")
    with pytest.raises(TopologyError, match=f"namespace '{topology.car_netns}' exists"):
        again.make()
    assert again.made == []  # nothing of the running emulator's was touched


# --- end to end -----------------------------------------------------------------------------
def short_hlc_session(tmp: Path) -> Path:
    """The shipped ISO 15118 EIM session with 30 s of charging instead of two minutes: every
    expectation of the shipped file, the energy scaled to the half minute."""
    return shortened_session(HLC_SCENARIO, tmp, "90 s", ("sleep 120;", "sleep 30;"),
                             min_energy_wh=75)


def hlc_on_the_rig(tmp_path: Path, scenario: Path, loop: str = "ChargingStatusReq") -> None:
    """The scenario in simulation and on the emulated rig, SLAC and V2G over the veth pairs:
    the same expectations pass, about the same energy flows."""
    simulated = run_scenario(scenario)
    assert simulated.passed, [e.detail for e in simulated.failed_expectations]
    rig, found = hlc_rig(tmp_path)
    emulators = emulating(rig, FACTOR)
    with emulators:
        bench = run_scenario(scenario, rig=rig, factor=FACTOR)
        emulator_log = emulators.stop()
    failed = [f"{o.name}: {o.detail}" for o in bench.expectations if not o.passed]
    assert not failed, f"on the emulated rig (factor {FACTOR:g}): " + "; ".join(failed)
    assert [o.name for o in bench.expectations] == [o.name for o in simulated.expectations]
    assert bench.energy_wh[1] == pytest.approx(simulated.energy_wh[1], rel=0.1)
    events = bench.events

    def values(source: str, name: str) -> list:
        rows = events[(events.source == source) & (events.name == name)]
        return [json.loads(v) if isinstance(v, str) else v for v in rows.value]

    # SLAC crossed the charger's interface: the car's frames arrived on its raw socket.
    received = [v["decoded"].get("message") for v in values("plc.evse", "received")]
    assert "CM_SLAC_MATCH.REQ" in received and received.count("CM_MNBC_SOUND.IND") >= 10
    assert "MATCHED" in values("slac1.main", "state")
    # V2G over TCP on the interface's link-local address, both ends seeing the same messages.
    serving = [v for v in values("secc1", "info") if "V2G on" in str(v)]
    assert serving and f"%{found['interface']}]" in serving[0]
    secc = [(m["direction"], m["name"]) for m in values("secc1.charger", "v2g_message")]
    car = [(m["direction"], m["name"]) for m in values("car1_evcc.ev", "v2g_message")]
    assert ("rx", loop) in secc, secc[-5:]
    assert [n for d, n in car if d == "tx"] == [n for d, n in secc if d == "rx"]
    # The modems between: each side's key confirmed by its own modem, data only after.
    assert "evse -> evse: CM_SET_KEY.CNF" in emulator_log
    assert "ev -> ev: CM_SET_KEY.CNF" in emulator_log


@pytest.mark.slow
def test_an_hlc_session_crosses_the_veth_pairs(tmp_path, netns_capable):
    hlc_on_the_rig(tmp_path, short_hlc_session(tmp_path))


def short_dc_session(tmp: Path) -> Path:
    """The shipped DIN SPEC 70121 DC session with 40 s of current demand instead of ten
    minutes; the DC power path stays simulated, the pilot is the emulated board's."""
    return shortened_session(SCENARIOS / "dc_din_session.yaml", tmp, "100 s",
                             ("iso_wait_for_stop 600;", "iso_wait_for_stop 40;"))


@pytest.mark.slow
def test_a_dc_din_session_crosses_the_veth_pairs(tmp_path, netns_capable):
    hlc_on_the_rig(tmp_path, short_dc_session(tmp_path), loop="CurrentDemandReq")


@pytest.mark.slow
@pytest.mark.long
def test_the_shipped_hlc_scenario_passes_on_the_emulated_rig(tmp_path, netns_capable):
    hlc_on_the_rig(tmp_path, HLC_SCENARIO)


def test_rig_check_answers_for_the_emulated_line(tmp_path, netns_capable):
    rig, found = hlc_rig(tmp_path, "c")
    with emulating(rig):
        out = subprocess.run([sys.executable, "-m", "evbench.cli", "rig", "check", str(rig)],
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"ok       plc at {found['interface']}" in out.stdout
    assert f"ok       plc car side at plc1 in namespace {found['car_netns']}" in out.stdout
    assert "4 of 4 devices answer" in out.stdout
    # The emulator removed what it made when it stopped.
    assert not Path("/run/netns", found["car_netns"]).exists()
    assert not Path("/sys/class/net", found["interface"]).exists()
