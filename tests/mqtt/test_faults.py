"""A station of module processes survives killed modules and a restarted broker."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from charger.framework.broker import PrivateBroker
from tests.mqtt.conftest import RawClient, StationProcess, pid_alive

pytestmark = pytest.mark.mqtt


def _charge(raw: RawClient) -> None:
    since = len(raw.seen)
    raw.call("car1", "car", "plug_in", {})
    raw.call("rfid", "control", "present_token", {"id_token": "AABBCCDD"})
    raw.session_event("ChargingStarted", since=since)


def test_a_killed_module_is_restarted_and_the_station_works_again(
        station: StationProcess, raw: RawClient) -> None:
    _charge(raw)
    old = station.children()["evse1"]
    since = len(raw.seen)
    os.kill(old, signal.SIGKILL)
    raw.wait_for(lambda t, p: t == "everest/modules/evse1/lifecycle" and p == "init", 30,
                 "evse1 starting again", since)
    new = station.children()["evse1"]
    assert new != old and not pid_alive(old)
    # The restarted EVSE manager knows nothing of the old session: a new one charges.
    since = len(raw.seen)
    raw.call("car1", "car", "unplug", {})
    raw.wait_for(lambda t, p: t.endswith("/board/var/event") and p == {"event": "A"}, 30,
                 "state A", since)
    _charge(raw)


def test_the_session_goes_on_across_a_broker_restart(tmp_path: Path) -> None:
    broker = PrivateBroker().start()
    raw = RawClient(broker.url)
    station = StationProcess(broker.url, logs=tmp_path / "logs")
    try:
        raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict), 60, "ready")
        _charge(raw)
        _, before = raw.wait_for(lambda t, p: t.endswith("/meter/var/powermeter")
                                 and p["power_w"]["total"] > 0, what="a meter reading")
        pids = station.children()
        connections = raw.connections
        broker.stop()
        broker.start()  # the same port: every client reconnects and resubscribes
        raw.wait_connected(connections + 1)
        while not raw.messages.empty():  # what arrived before the outage is not evidence
            raw.seen.append(raw.messages.get())
        since = len(raw.seen)
        _, after = raw.wait_for(
            lambda t, p: t.endswith("/meter/var/powermeter")
            and p["energy_wh_import"]["total"] > before["energy_wh_import"]["total"] + 1,
            60, "energy still increasing after the restart", since)
        assert after["power_w"]["total"] > 10000
        raw.call("car1", "car", "pause", {})  # commands work again, end to end
        raw.session_event("ChargingPausedEV", since=since)
        assert station.children() == pids  # reconnected, not restarted
    finally:
        station.stop()
        raw.close()
        broker.close()


def test_sigterm_stops_every_process(broker: PrivateBroker, raw: RawClient,
                                     tmp_path: Path) -> None:
    station = StationProcess(broker.url, logs=tmp_path / "logs")
    raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict), 60, "ready")
    children = station.children()
    assert len(children) == 9
    station.stop()
    assert station.process.returncode == 0
    deadline = time.monotonic() + 10
    while any(pid_alive(pid) for pid in children.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [m for m, pid in children.items() if pid_alive(pid)], "orphaned module processes"
    # The retained clock is gone: a later run does not mistake it for its own.
    raw.wait_for(lambda t, p: t == "everest/evbench/clock" and p is None, 10, "clock cleared")
