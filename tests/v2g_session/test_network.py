"""Sessions over a veth pair between two network namespaces: SDP over UDP multicast, V2GTP
over IPv6 TCP on link-local addresses, as on a real interface. Our SECC against our EVCC, and
each against Josev (the ``iso15118`` package, in its own environment made by
tools/josev-venv). Needs root and ``ip``; skipped with the reason otherwise."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JOSEV_PEER = Path(__file__).with_name("josev_peer.py")
CASES = [("AC_three_phase_core", "iso2"), ("DC_extended", "iso2"), ("DC_extended", "din")]
# Josev's Java codec takes 0.1-0.3 s per message on a loaded machine, and more under load: both
# sides' timeouts are scaled (ours in the lenient profile when we wait on Josev).
JOSEV_SCALE = 4.0


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=10)


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    """Two namespaces (charger, car) joined by a veth pair named "v2g" on both sides."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if shutil.which("ip") is None:
        pytest.skip("the ip command (iproute2) is missing")
    tag = f"evb{os.getpid() % 100000}"
    charger, car = f"{tag}c", f"{tag}e"
    try:
        _ip("netns", "add", charger)
        _ip("netns", "add", car)
        _ip("link", "add", f"{tag}x", "type", "veth", "peer", "name", f"{tag}y")
        for ns, end in ((charger, f"{tag}x"), (car, f"{tag}y")):
            _ip("link", "set", end, "netns", ns)
            _ip("-n", ns, "link", "set", end, "name", "v2g")
            # No duplicate address detection: the link-local address is usable at once.
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            "net.ipv6.conf.v2g.accept_dad=0"], check=True, timeout=10)
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", "v2g", "up")
    except (subprocess.CalledProcessError, OSError) as problem:
        for ns in (charger, car):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        detail = getattr(problem, "stderr", "") or problem
        pytest.skip(f"cannot make network namespaces and a veth pair here: {detail}")
    yield charger, car
    for ns in (charger, car):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)


def _start(ns: str, argv: list[str], cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(["ip", "netns", "exec", ns, *argv], cwd=cwd or ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def _lines(process: subprocess.Popen, timeout: float) -> list[dict]:
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    lines = []
    for line in out.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def _wait_listening(process: subprocess.Popen) -> dict:
    assert process.stdout is not None
    for _ in range(50):
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("{") and json.loads(line)["kind"] == "listening":
            return json.loads(line)
    process.kill()
    pytest.fail("the SECC did not start listening")


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out


def _names(lines: list[dict], direction: str) -> list[str]:
    folded: list[str] = []
    for line in lines:
        if line["kind"] == "message" and line["direction"] == direction \
                and (not folded or folded[-1] != line["name"]):
            folded.append(line["name"])
    return folded


def _finished(lines: list[dict]) -> str:
    return next(line["reason"] for line in lines if line["kind"] == "finished")


@pytest.mark.parametrize(("mode", "protocol"), CASES)
def test_our_secc_and_evcc_over_tcp_between_namespaces(namespaces, mode: str,
                                                       protocol: str) -> None:
    charger, car = namespaces
    secc = _start(charger, [sys.executable, "-m", "charger.iso15118.standalone",
                            "--interface", "v2g", "--mode", mode, "--deadline", "60"])
    listening = _wait_listening(secc)
    assert listening["address"].startswith("fe80:")
    assert 49152 <= listening["port"] <= 65535
    evcc = _start(car, [sys.executable, "-m", "sim.car.evcc.standalone", "--interface", "v2g",
                        "--mode", mode, "--protocols", protocol, "--charge", "1",
                        "--deadline", "60"])
    ev_lines = _lines(evcc, 90)
    secc_lines = _lines(secc, 30)
    assert _finished(ev_lines) == "stopped by the car", ev_lines[-5:]
    assert _finished(secc_lines) == "stopped by the car"
    sdp = next(line for line in ev_lines if line.get("name") == "sdp_response")
    assert sdp["payload"] == {"address": listening["address"], "port": listening["port"]}
    sent = [line["hex"] for line in ev_lines if line["kind"] == "message"
            and line["direction"] == "tx"]
    received = [line["hex"] for line in secc_lines if line["kind"] == "message"
                and line["direction"] == "rx"]
    assert sent == received
    assert _names(secc_lines, "rx")[-1] == "SessionStopReq"


@pytest.fixture
def one_josev_at_a_time() -> Iterator[None]:
    """Josev pairs never run in parallel (pytest-xdist workers included): its Java codec is
    slow enough on two cores without a second one beside it."""
    with open(Path(tempfile.gettempdir()) / "evbench-josev.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _josev_python() -> str:
    made = subprocess.run([str(ROOT / "tools" / "josev-venv")], capture_output=True, text=True,
                          timeout=900)
    if made.returncode != 0:
        pytest.skip(f"the Josev environment could not be made (tools/josev-venv): "
                    f"{made.stderr.strip()[-300:]}")
    java = subprocess.run(["java", "-version"], capture_output=True, text=True)
    if java.returncode != 0:
        pytest.skip("Josev's EXI codec needs Java, and java -version fails")
    return str(ROOT / made.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "protocol"), CASES)
def test_our_secc_with_josev_evcc(one_josev_at_a_time, namespaces, mode: str,
                                  protocol: str) -> None:
    python = _josev_python()
    charger, car = namespaces
    secc = _start(charger, [sys.executable, "-m", "charger.iso15118.standalone",
                            "--interface", "v2g", "--mode", mode, "--protocols", protocol,
                            "--scale", str(JOSEV_SCALE), "--deadline", "120"])
    _wait_listening(secc)
    with tempfile.TemporaryDirectory() as empty:
        josev = _start(car, [python, str(JOSEV_PEER), "evcc", "--interface", "v2g",
                             "--mode", mode, "--protocols", protocol,
                             "--scale", str(JOSEV_SCALE), "--loops", "10"], cwd=Path(empty))
        secc_lines = _lines(secc, 150)
        josev_log = _stop(josev)
    assert _finished(secc_lines) == "stopped by the car", josev_log[-2000:]
    names = _names(secc_lines, "rx")
    loop = "ChargingStatusReq" if mode.startswith("AC") else "CurrentDemandReq"
    assert loop in names and names[-1] == "SessionStopReq"
    if mode.startswith("DC"):
        assert "CableCheckReq" in names and "PreChargeReq" in names


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "protocol"), CASES)
def test_our_evcc_with_josev_secc(one_josev_at_a_time, namespaces, mode: str,
                                  protocol: str) -> None:
    python = _josev_python()
    charger, car = namespaces
    with tempfile.TemporaryDirectory() as empty:
        josev = _start(charger, [python, str(JOSEV_PEER), "secc", "--interface", "v2g",
                                 "--protocols", protocol, "--scale", str(JOSEV_SCALE)],
                       cwd=Path(empty))
        # Josev's simulated charger presents 1 V at pre-charge and offers at most 40 V:
        # a car of 10 V is one it can charge.
        evcc = _start(car, [sys.executable, "-m", "sim.car.evcc.standalone",
                            "--interface", "v2g", "--mode", mode, "--protocols", protocol,
                            "--charge", "2", "--profile", "lenient",
                            "--scale", str(JOSEV_SCALE),
                            "--battery-voltage", "10", "--deadline", "120"])
        ev_lines = _lines(evcc, 150)
        josev_log = _stop(josev)
    assert _finished(ev_lines) == "stopped by the car", \
        f"{ev_lines[-3:]}\n{josev_log[-2000:]}"
    names = _names(ev_lines, "rx")
    loop = "ChargingStatusRes" if mode.startswith("AC") else "CurrentDemandRes"
    assert loop in names and names[-1] == "SessionStopRes"
