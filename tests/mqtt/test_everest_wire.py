"""The station on the wire, as a client written from EVerest's documentation sees it
(tests/mqtt/everest_client.py): EVerest's envelope, error names, ready flags and
configuration requests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from charger.framework.broker import PrivateBroker
from tests.mqtt.conftest import StationProcess
from tests.mqtt.everest_client import ERROR_TYPES, EverestPeer, Received

pytestmark = pytest.mark.mqtt
MODULES = ["grid", "board1", "rfid", "allow_list", "evse1", "auth", "grid_connection",
           "energy_manager", "car1"]
TOKEN = {"provided_token": {"id_token": "AABBCCDD", "type": "RFID"}}


@pytest.fixture(scope="module")
def wire() -> Iterator[tuple[EverestPeer, str]]:
    """A station, and an EVerest peer that listened to everything from before it started."""
    with PrivateBroker() as broker, tempfile.TemporaryDirectory() as logs:
        peer = EverestPeer(broker.url, "everest_peer", ["everest/#"])
        station = StationProcess(broker.url, logs=Path(logs))
        try:
            peer.wait_for(lambda m: m.topic == "everest/ready", 90, "everest/ready")
            yield peer, broker.url
        finally:
            station.stop()
            peer.close()


def _first(peer: EverestPeer, topic: str, what: str) -> Received:
    return peer.wait_for(lambda m: m.topic == topic, 30, what)


def test_ready_flags_are_booleans_at_qos_2_and_not_retained(
        wire: tuple[EverestPeer, str]) -> None:
    peer, _ = wire
    for module in MODULES:
        flag = _first(peer, f"everest/modules/{module}/ready", f"{module} ready")
        assert flag.json == {"msg_type": "ModuleReady", "data": True}
        assert (flag.qos, flag.retain) == (2, False)
    ready = _first(peer, "everest/ready", "everest/ready")
    assert ready.json["msg_type"] == "GlobalReady" and ready.json["data"] is True
    assert (ready.qos, ready.retain) == (2, False)


def test_a_late_subscriber_finds_no_retained_ready_flag(wire: tuple[EverestPeer, str]) -> None:
    _, url = wire
    late = EverestPeer(url, "late", ["everest/ready", "everest/modules/+/ready"])
    try:
        late.call("allow_list", "main", "validate_token", TOKEN)  # a round trip: time passed
        assert not [m.topic for m in late.seen if m.retain]
    finally:
        late.close()


def test_a_command_is_answered_in_everest_s_cmd_result(wire: tuple[EverestPeer, str]) -> None:
    peer, _ = wire
    result = peer.call("allow_list", "main", "validate_token", TOKEN)
    assert result["retval"] == {"authorization_status": "Accepted"}
    assert result["origin"] == "allow_list"


def test_errors_carry_everest_s_names(wire: tuple[EverestPeer, str]) -> None:
    peer, _ = wire
    result = peer.call("allow_list", "main", "validate_token", {"provided_token": 5})
    assert result["error"]["__everest__error_type"] == "SchemaValidationError"
    assert result["error"]["__everest__error_msg"]
    for args in ({}, {"nothing": 1}):
        error = peer.call("allow_list", "main", "validate_token", args)["error"]
        assert error["__everest__error_type"] in ERROR_TYPES


def test_variables_heartbeats_and_error_reports_are_wrapped(
        wire: tuple[EverestPeer, str]) -> None:
    peer, _ = wire
    var = peer.wait_for(lambda m: m.topic == "everest/modules/evse1/impl/evse/var/state",
                        30, "the EVSE state")
    assert var.json["msg_type"] == "Var" and var.json["data"] == {"data": "Idle"}
    beat = peer.wait_for(lambda m: m.topic == "everest/modules/evse1/heartbeat", 30,
                         "a heartbeat")
    assert beat.json["msg_type"] == "Heartbeat" and isinstance(beat.json["data"], str)
    assert beat.qos == 0
    since = len(peer.seen)
    peer.call("car1", "car", "plug_in", {})
    peer.call("rfid", "control", "present_token", {"id_token": "AABBCCDD"})
    peer.wait_for(lambda m: m.topic.endswith("/evse/var/session_event")
                  and m.json["data"]["data"]["event"] == "ChargingStarted", 30, "charging",
                  since)
    peer.call("car1", "car", "set_rcd_current", {"current_ma": 40.0, "dc": False})
    raised = peer.wait_for(lambda m: "/error/" in m.topic and m.json is not None
                           and m.json.get("msg_type") == "RaiseError", 30, "an error report",
                           since)
    error = raised.json["data"]
    assert raised.topic.endswith("/error/" + error["type"])
    assert error["state"] == "Active" and error["severity"] in ("Low", "Medium", "High")
    assert set(error["origin"]) >= {"module_id", "implementation_id"}
    assert {"message", "description", "timestamp", "uuid", "sub_type", "vendor_id"} <= set(error)
    peer.call("car1", "car", "set_rcd_current", {"current_ma": 0.0, "dc": False})
    peer.call("car1", "car", "unplug", {})


def test_the_manager_hands_out_module_configuration(wire: tuple[EverestPeer, str]) -> None:
    _, url = wire
    evse = EverestPeer(url, "evse1", ["everest/modules/evse1/response"])
    nobody = EverestPeer(url, "nobody", ["everest/modules/nobody/response"])
    try:
        answer = evse.get_config()
        assert answer["status"] == "Ok" and answer["type"] == "Get"
        assert answer["response"]["type"] == "Module"
        data = answer["response"]["data"]
        assert data["module"] == "EvseManager" and data["config"]["connector_id"] == 1
        assert nobody.get_config()["status"] == "Error"
    finally:
        evse.close()
        nobody.close()
