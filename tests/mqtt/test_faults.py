"""A station of module processes survives killed modules and a restarted broker."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from charger.framework.broker import PrivateBroker
from tests.mqtt.conftest import HERE, RawClient, StationProcess, pid_alive
from tests.mqtt.everest_client import EverestPeer

pytestmark = pytest.mark.mqtt
STATIONS = HERE / "stations"
SESSION_EVENT = "everest/modules/evse1/impl/evse/var/session_event"
TOKEN = {"provided_token": {"id_token": "AABBCCDD", "type": "RFID"}}


def _session_event(raw: RawClient, name: str, since: int, **fields: object) -> dict:
    _, event = raw.wait_for(lambda t, p: t == SESSION_EVENT and isinstance(p, dict)
                            and p.get("event") == name
                            and all(p.get(k) == v for k, v in fields.items()),
                            30, f"session event {name} {fields}", since)
    return event


def _charge(raw: RawClient) -> None:
    since = len(raw.seen)
    raw.call("car1", "car", "plug_in", {})
    raw.call("rfid", "control", "present_token", {"id_token": "AABBCCDD"})
    raw.session_event("ChargingStarted", since=since)


def test_a_killed_module_is_restarted_and_the_station_works_again(
        station: StationProcess, raw: RawClient) -> None:
    since = len(raw.seen)
    _charge(raw)
    session = _session_event(raw, "SessionStarted", since)["session_id"]
    old = station.children()["evse1"]
    since = len(raw.seen)
    os.kill(old, signal.SIGKILL)
    raw.wait_for(lambda t, p: t == "everest/modules/evse1/lifecycle" and p == "init", 30,
                 "evse1 starting again", since)
    new = station.children()["evse1"]
    assert new != old and not pid_alive(old)
    # The restarted EVSE manager ends the interrupted session explicitly, under its id.
    finished = _session_event(raw, "TransactionFinished", since, session_id=session)
    assert finished["reason"] == "PowerLoss" and finished["id_token"] == "AABBCCDD"
    ended = _session_event(raw, "SessionFinished", since, session_id=session)
    assert "ended, not resumed" in ended["reason"]
    # A new session charges, under a new id.
    since = len(raw.seen)
    raw.call("car1", "car", "unplug", {})
    raw.wait_for(lambda t, p: t.endswith("/board/var/event") and p == {"event": "A"}, 30,
                 "state A", since)
    since = len(raw.seen)
    _charge(raw)
    assert _session_event(raw, "SessionStarted", since)["session_id"] != session


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
        # Once the car's process is back (its heartbeat), commands work again, end to end.
        raw.wait_for(lambda t, p: t == "everest/modules/car1/heartbeat", 30, "car1 back", since)
        raw.call("car1", "car", "pause", {})
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


def test_a_module_restarted_after_a_broker_restart_runs(tmp_path: Path) -> None:
    broker = PrivateBroker().start()
    raw = RawClient(broker.url)
    station = StationProcess(broker.url, logs=tmp_path / "logs")
    try:
        raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict), 60, "ready")
        connections = raw.connections
        broker.stop()
        broker.start()  # remembers nothing: no session, no retained message
        raw.wait_connected(connections + 1)
        since = len(raw.seen)
        os.kill(station.children()["evse1"], signal.SIGKILL)
        raw.wait_for(lambda t, p: t == "everest/modules/evse1/lifecycle" and p == "init", 60,
                     "evse1 starting again", since)
        since = len(raw.seen)
        # The new process runs its ready() hook, which publishes the EVSE's state...
        raw.wait_for(lambda t, p: t == "everest/modules/evse1/impl/evse/var/state"
                     and p == "Idle", 60, "the restarted evse1 running", since)
        # ...and serves commands.
        reply = raw.call("evse1", "evse", "enable_disable", {"enable": True})
        assert reply.get("retval") is True, reply
    finally:
        station.stop()
        raw.close()
        broker.close()


@pytest.mark.slow
def test_a_module_alive_but_silent_is_restarted(broker: PrivateBroker, raw: RawClient,
                                                tmp_path: Path) -> None:
    station = StationProcess(broker.url, config=STATIONS / "fast-liveness.yaml",
                             logs=tmp_path / "logs")
    stopped = None
    try:
        raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict), 60, "ready")
        stopped = station.children()["allow_list"]
        since = len(raw.seen)
        os.kill(stopped, signal.SIGSTOP)  # alive, but answers nothing and sends nothing
        raw.wait_for(lambda t, p: t == "everest/modules/allow_list/lifecycle" and p == "init",
                     60, "allow_list started again", since)
        assert station.children()["allow_list"] != stopped and not pid_alive(stopped)
        reply = raw.call("allow_list", "main", "validate_token", TOKEN)
        assert reply["retval"]["authorization_status"] == "Accepted"
    finally:
        if stopped is not None and pid_alive(stopped):
            os.kill(stopped, signal.SIGCONT)
        output = station.stop()
    assert "allow_list: unresponsive" in output


def test_a_foreign_module_joins_a_supervised_station(broker: PrivateBroker, raw: RawClient,
                                                    tmp_path: Path) -> None:
    station = StationProcess(broker.url, config=STATIONS / "external-allow-list.yaml",
                             logs=tmp_path / "logs")
    foreign = None
    try:
        raw.wait_for(lambda t, p: t == "everest/modules/evse1/ready" and p is True, 60,
                     "the supervised modules starting")
        # The manager does not start it, and answers for it until it is ready.
        assert "allow_list" not in station.children()
        reply = raw.call("allow_list", "main", "validate_token", TOKEN)
        assert reply["error"]["__everest__error_type"] == "NotReady"
        # A module written from EVerest's documentation joins: it asks for its
        # configuration, says ready, and the station runs.
        foreign = EverestPeer(broker.url, "allow_list",
                              ["everest/modules/allow_list/impl/main/cmd/+", "everest/ready",
                               "everest/modules/allow_list/response"],
                              {"validate_token": lambda args: {
                                  "authorization_status": "Accepted"}})
        config = foreign.get_config()
        assert config["status"] == "Ok"
        assert config["response"]["data"]["config"]["tokens"] == ["AABBCCDD", "11223344"]
        since = len(raw.seen)
        foreign.announce_ready()
        raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict), 30,
                     "everest/ready", since)
        # The station's auth module now asks the foreign validator.
        raw.call("rfid", "control", "present_token", {"id_token": "CAFEBABE"})
        call = foreign.wait_call()
        assert call["origin"] == "auth"
        assert call["args"]["provided_token"]["id_token"] == "CAFEBABE"
    finally:
        if foreign is not None:
            foreign.close()
        station.stop()
