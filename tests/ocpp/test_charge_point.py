"""The charge point's delivery rules and state, in virtual time against the simulated backend:
boot after a lost connection, bad and late replies, retries and giving up, restarts on the same
database, and the WebSocket link refusing to run without the wall clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocpp_testkit.sim import SimStation  # isort: skip (tests/ocpp on sys.path)

VERSIONS = ["1.6", "2.0.1"]


def charging(station: SimStation) -> None:
    station.advance(5)
    station.call("car1", "car", "plug_in")
    station.call("rfid", "control", "present_token", id_token="AABBCCDD")
    station.advance(20)
    assert station.cp.connectors[1].tx is not None


def tx_action(version: str) -> str:
    return "MeterValues" if version == "1.6" else "TransactionEvent"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_connection_lost_while_pending_boots_on_the_next_connection(
        version: str, tmp_path: Path) -> None:
    station = SimStation(version, tmp_path, {"csms": {"boot_status": "Pending",
                                                      "boot_retry_interval_s": 30}})
    station.advance(10)
    assert station.cp.registration == "Pending"
    station.csms_op("go_offline")
    station.csms_op("set_boot_response", status="Accepted")
    station.advance(5)
    station.csms_op("go_online")
    station.advance(15)
    assert station.cp.registration == "Accepted"
    assert len(station.messages(direction="tx", action="BootNotification")) == 2


@pytest.mark.parametrize("version", VERSIONS)
def test_an_invalid_reply_is_an_attempt_and_the_message_is_sent_again(
        version: str, tmp_path: Path) -> None:
    station = SimStation(version, tmp_path, {"ocpp": {"configuration": {
        "tx_retry_interval": 5}}})
    charging(station)
    station.csms_op("swallow_next", action=tx_action(version), go_offline=False)
    station.advance(60)
    inflight = station.cp.endpoint.in_flight
    assert inflight is not None and inflight.action == tx_action(version)
    station.csms_op("send_raw", frame=f'[3,"{inflight.unique_id}",{{"bogus":1}}]')
    station.advance(30)
    assert any("invalid reply" in line for line in station.logs())
    frames = station.received(unique_id=inflight.unique_id)
    assert [f["duplicate"] for f in frames] == [False, True]  # processed once, answered twice
    assert station.cp.store.count_pending() == 0


@pytest.mark.parametrize("version", VERSIONS)
def test_a_message_the_backend_keeps_refusing_is_given_up_and_recorded(
        version: str, tmp_path: Path) -> None:
    station = SimStation(version, tmp_path, {"ocpp": {"configuration": {"tx_attempts": 1}}})
    charging(station)
    station.csms_op("swallow_next", action=tx_action(version), go_offline=False)
    station.advance(60)
    inflight = station.cp.endpoint.in_flight
    assert inflight is not None
    station.csms_op("send_raw",
                    frame=f'[4,"{inflight.unique_id}","InternalError","refused",{{}}]')
    station.advance(5)
    dropped = station.messages(direction="dropped")
    assert [m["unique_id"] for m in dropped] == [inflight.unique_id]
    assert any("gave up" in line for line in station.logs())
    station.advance(120)  # later messages still flow
    assert station.cp.store.count_pending() == 0
    assert not station.run.station.exceptions


@pytest.mark.parametrize("version", VERSIONS)
def test_no_reply_in_time_means_sending_again_and_a_late_reply_is_ignored(
        version: str, tmp_path: Path) -> None:
    station = SimStation(version, tmp_path, {"ocpp": {"response_timeout_s": 5}})
    charging(station)
    station.csms_op("swallow_next", action=tx_action(version), go_offline=False)
    station.advance(90)
    swallowed = [f for f in station.received(action=tx_action(version)) if f["duplicate"]]
    assert len(swallowed) == 1  # sent again after the timeout, with the same id
    unique_id = swallowed[0]["unique_id"]
    assert len(station.received(unique_id=unique_id, duplicate=False)) == 1
    station.csms_op("send_raw", frame=f'[3,"{unique_id}",{{}}]')  # the first reply, late
    station.advance(5)
    assert any(f"message id '{unique_id}'" in line for line in station.logs())
    assert station.cp.store.count_pending() == 0
    assert not station.run.station.exceptions


@pytest.mark.parametrize("version", VERSIONS)
def test_settings_availability_and_local_list_survive_a_restart(version: str,
                                                                tmp_path: Path) -> None:
    db = str(tmp_path / "cp.sqlite")
    key = "MeterValueSampleInterval" if version == "1.6" else "SampledDataCtrlr.TxUpdatedInterval"
    first = SimStation(version, tmp_path, {"ocpp": {"database": db}}, name="first")
    first.advance(5)
    assert first.csms_op("change_configuration", key=key, value="15")
    first.csms_op("change_availability", operative=False)
    first.csms_op("send_local_list", version=4, entries=[{"id_token": "LOCAL9",
                                                          "status": "Accepted"}])
    first.advance(2)
    first.shutdown()

    second = SimStation(version, tmp_path, {"ocpp": {"database": db}}, name="second")
    second.advance(5)
    assert second.cp.settings["meter_interval"] == 15
    assert second.cp.authorization.local_list_version() == 4
    assert second.cp.connectors[1].operative is False
    status = "Unavailable"
    sent = [m["payload"] for m in second.messages(direction="tx", action="StatusNotification")]
    assert any(p.get("status", p.get("connectorStatus")) == status for p in sent)
    assert second.cp.boot == 2


def test_the_websocket_link_needs_the_wall_clock(tmp_path: Path) -> None:
    import simpy
    from ocpp_testkit.station import registry, write_station

    from charger.framework.config import load_station
    from charger.framework.inproc import InProcessBus
    from charger.framework.station import Station
    from reports.recorder import Recorder

    doc = {"active_modules": {"link": {"module": "OcppWebSocketLink",
                                       "config": {"url": "ws://127.0.0.1:9/ocpp"}}}}
    reg = registry()
    env = simpy.Environment()
    bus = InProcessBus(env)
    recorder = Recorder(env)
    recorder.attach(bus)
    station = Station(load_station(write_station(tmp_path / "s.yaml", doc), reg), reg, bus)
    station.start()
    bus.call("test", "link", "link", "open", {"subprotocols": ["ocpp1.6"]})
    env.run(until=1)
    assert any("wall clock" in str(r.value) for r in recorder.rows if r.kind == "log")
    assert not station.exceptions
