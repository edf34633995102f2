"""The charge point against a real OCPP backend over WebSocket, on the wall clock, for both
versions: the ``ocpp`` package's central-system side on a loopback port drives the charger
through boot, authorization, a transaction with meter values, a charging profile that lowers
the current (seen on the PWM duty in the timeline), remote start and stop, availability changes
and a reset. Security profiles 1 (HTTP Basic) and 2 (TLS with server verification) and the
subprotocol negotiation are checked too.

Tests wait for recorded events with generous timeouts and then assert on what was recorded.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpp_testkit.csms import TestCsms  # isort: skip (tests/ocpp on sys.path)
from ocpp_testkit.station import (  # isort: skip
    WallStation,
    ocpp_messages,
    ocpp_station,
    pwm_duties,
    websocket_link,
    write_station,
)

FACTOR = 0.05  # 20 times faster than real time
FAST = {"1.6": {"MeterValueSampleInterval": 10},
        "2.0.1": {"SampledDataCtrlr.TxUpdatedInterval": 10}}
CHARGING = "sleep 1;iec_wait_pwr_ready;draw_power_regulated 32,3;sleep 36000"
DUTY_32A, DUTY_10A = 53.333, 16.667


def start_station(tmp_path: Path, version: str, link: dict, car_script: str = CHARGING,
                  **kwargs) -> WallStation:
    doc = ocpp_station(version, link, configuration=FAST[version], car_script=car_script,
                       **kwargs)
    return WallStation(write_station(tmp_path / "station.yaml", doc), factor=FACTOR)


def registered(station: WallStation) -> None:
    station.wait_for(lambda r: r.kind == "var" and r.name == "status"
                     and r.value["registration"] == "Accepted", what="registration")


def duty_row(duty: float):
    return lambda r: (r.kind == "cmd" and r.name == "board1.board.pwm_on"
                      and abs(r.value["args"]["duty_cycle_pct"] - duty) < 0.01)


def tx_profile(version: str, limit: float) -> dict:
    schedule = {"chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}]}
    if version == "1.6":
        return {"chargingProfileId": 11, "stackLevel": 1,
                "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Relative",
                "chargingSchedule": schedule}
    return {"id": 11, "stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Relative", "chargingSchedule": [{"id": 1, **schedule}]}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_rfid_session_profile_and_remote_stop(version: str, csms: TestCsms,
                                              tmp_path: Path) -> None:
    v16 = version == "1.6"
    with start_station(tmp_path, version, websocket_link(csms.url)) as station:
        boot = csms.wait_call("BootNotification")
        assert boot.version == version  # the subprotocol both sides agreed on
        registered(station)
        station.call("rfid", "control", "present_token", id_token="AABBCCDD")
        csms.wait_call("Authorize")
        if v16:
            start = csms.wait_call("StartTransaction")
            assert start.payload["idTag"] == "AABBCCDD"
        else:
            start = csms.wait_call("TransactionEvent",
                                   where=lambda r: r.payload["eventType"] == "Started")
            assert start.payload["idToken"] == {"idToken": "AABBCCDD", "type": "ISO14443"}
        station.wait_for(duty_row(DUTY_32A), what="32 A offered")
        if v16:
            csms.wait_call("MeterValues", where=lambda r: r.payload.get("transactionId") == 1)
        else:
            csms.wait_call("TransactionEvent",
                           where=lambda r: r.payload["triggerReason"] == "MeterValuePeriodic")

        request = call16.SetChargingProfile(connector_id=1, cs_charging_profiles=tx_profile(
            version, 10)) if v16 else call201.SetChargingProfile(
            evse_id=1, charging_profile=tx_profile(version, 10))
        assert csms.call("CP-1", request).status == "Accepted"
        lowered = station.wait_for(duty_row(DUTY_10A), what="10 A offered")

        if v16:
            stop = call16.RemoteStopTransaction(transaction_id=1)
        else:
            stop = call201.RequestStopTransaction(
                transaction_id=start.payload["transactionInfo"]["transactionId"])
        assert csms.call("CP-1", stop).status == "Accepted"
        if v16:
            ended = csms.wait_call("StopTransaction")
            assert ended.payload["reason"] == "Remote" and ended.payload["transactionId"] == 1
        else:
            ended = csms.wait_call("TransactionEvent",
                                   where=lambda r: r.payload["eventType"] == "Ended")
            assert ended.payload["transactionInfo"]["stoppedReason"] == "Remote"
            seq = [r.payload["seqNo"] for r in csms.calls("TransactionEvent",
                                                          include_duplicates=False)]
            assert seq == list(range(len(seq)))

    rows = station.rows
    profile_at = next(r.t for r in rows if r.kind == "var" and r.name == "ocpp_message"
                      and r.value["action"] == "SetChargingProfile")
    duties = pwm_duties(rows)
    assert [d for t, d in duties if t < profile_at][-1] == pytest.approx(DUTY_32A, abs=0.01)
    assert profile_at <= lowered.t < profile_at + 5  # simulated seconds
    messages = ocpp_messages(rows)
    assert not [m for m in messages if m["message_type"] in ("CallError", "Invalid")]
    assert {"BootNotification", "StatusNotification", "Authorize", "SetChargingProfile"} <= \
        {m["action"] for m in messages}
    assert not station.station.exceptions


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_remote_start_availability_and_reset(version: str, csms: TestCsms,
                                             tmp_path: Path) -> None:
    v16 = version == "1.6"
    with start_station(tmp_path, version, websocket_link(csms.url),
                       car_script="sleep 36000") as station:
        registered(station)
        request = call16.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1) if v16 else \
            call201.RequestStartTransaction(id_token={"idToken": "REMOTE1", "type": "Central"},
                                            remote_start_id=77, evse_id=1)
        assert csms.call("CP-1", request).status == "Accepted"
        station.call("car1", "car", "plug_in")
        if v16:
            csms.wait_call("StartTransaction", where=lambda r: r.payload["idTag"] == "REMOTE1")
        else:
            started = csms.wait_call("TransactionEvent",
                                     where=lambda r: r.payload["eventType"] == "Started")
            assert started.payload["triggerReason"] == "RemoteStart"
            assert started.payload["transactionInfo"]["remoteStartId"] == 77

        unavailable = call16.ChangeAvailability(connector_id=1, type="Inoperative") if v16 \
            else call201.ChangeAvailability(operational_status="Inoperative", evse={"id": 1})
        assert csms.call("CP-1", unavailable).status == "Scheduled"

        reset = call16.Reset(type="Soft") if v16 else call201.Reset(type="Immediate")
        assert csms.call("CP-1", reset).status == "Accepted"
        if v16:
            stopped = csms.wait_call("StopTransaction")
            assert stopped.payload["reason"] == "SoftReset"
        else:
            stopped = csms.wait_call("TransactionEvent",
                                     where=lambda r: r.payload["eventType"] == "Ended")
            assert stopped.payload["transactionInfo"]["stoppedReason"] == "ImmediateReset"
        second_boot = csms.wait_call("BootNotification", count=2)
        if not v16:
            assert second_boot.payload["reason"] == "RemoteReset"

        def status_is(value: str):
            def match(r) -> bool:
                if v16:
                    return r.payload.get("connectorId") == 1 and r.payload["status"] == value
                return r.payload["connectorStatus"] == value
            return match
        csms.wait_call("StatusNotification", where=status_is("Unavailable"))
        available = call16.ChangeAvailability(connector_id=1, type="Operative") if v16 \
            else call201.ChangeAvailability(operational_status="Operative", evse={"id": 1})
        assert csms.call("CP-1", available).status == "Accepted"
        csms.wait_call("StatusNotification",
                       where=lambda r: r.wall > second_boot.wall
                       and not status_is("Unavailable")(r) and (
                           r.payload.get("status", r.payload.get("connectorStatus"))
                           in ("Finishing", "Preparing", "Occupied", "Available")))
        if not v16:
            csms.send_raw("CP-1", "this is not json")
            station.wait_for(lambda r: r.kind == "var" and r.name == "ocpp_message"
                             and r.value["message_type"] == "CallError"
                             and r.value["unique_id"] == "-1", what="RpcFrameworkError")
    assert not station.station.exceptions


@pytest.mark.parametrize(("offered", "why"), [
    (("ocpp2.0.1",), "HTTP 400"),  # the backend refuses the handshake
    ((), "agreed to no subprotocol"),  # the backend accepts without one: the charger leaves
])
def test_a_backend_without_a_common_subprotocol_gets_no_session(
        tmp_path: Path, offered: tuple[str, ...], why: str) -> None:
    backend = TestCsms(versions=offered).start()
    try:
        with start_station(tmp_path, "1.6", websocket_link(backend.url)) as station:
            station.wait_for(lambda r: r.kind == "log" and r.source == "link"
                             and "reconnecting" in r.value, count=2, what="two failed attempts")
            assert any(why in str(r.value) for r in station.rows
                       if r.kind in ("log", "var") and r.source.startswith("link"))
            assert not backend.calls()
    finally:
        backend.stop()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_security_profile_1_basic_auth(version: str, tmp_path: Path) -> None:
    backend = TestCsms(password="s3cret-password").start()
    try:
        wrong = tmp_path / "wrong"
        wrong.mkdir()
        with start_station(wrong, version, websocket_link(
                backend.url, security_profile=1, password="guess")) as station:
            station.wait_for(lambda r: r.kind == "log" and r.source == "link"
                             and "401" in r.value, what="a refused handshake")
        assert "unauthorized" in backend.rejected_handshakes and not backend.calls()
        with start_station(tmp_path, version, websocket_link(
                backend.url, security_profile=1, password="s3cret-password")) as station:
            backend.wait_call("BootNotification")
            registered(station)
    finally:
        backend.stop()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 it signed, and an unrelated CA."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make test certificates")
    d = tmp_path_factory.mktemp("pki")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    for ca in ("ca", "other-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out",
            f"{ca}.pem", "-days", "2", "-subj", f"/CN=evbench test {ca}")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    # Charge point certificates (profile 3): one the backend's client CA signed, one it did not.
    for name, ca in (("client", "ca"), ("rogue", "other-ca")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", "/CN=CP-1")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "2")
    return {"ca": d / "ca.pem", "other": d / "other-ca.pem", "cert": d / "server.pem",
            "key": d / "server.key", "client_cert": d / "client.pem",
            "client_key": d / "client.key", "rogue_cert": d / "rogue.pem",
            "rogue_key": d / "rogue.key"}


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_security_profile_2_tls_with_server_verification(version: str, tmp_path: Path,
                                                          certificates: dict[str, Path]
                                                          ) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    backend = TestCsms(password="tls-password", ssl_context=context).start()
    try:
        untrusted = tmp_path / "untrusted"
        untrusted.mkdir()
        with start_station(untrusted, version, websocket_link(
                backend.url, security_profile=2, password="tls-password",
                ca_file=str(certificates["other"]))) as station:
            station.wait_for(lambda r: r.kind == "log" and r.source == "link"
                             and "CERTIFICATE_VERIFY_FAILED" in r.value,
                             what="a certificate the charger does not trust")
        assert not backend.calls()
        with start_station(tmp_path, version, websocket_link(
                backend.url, security_profile=2, password="tls-password",
                ca_file=str(certificates["ca"]))) as station:
            assert backend.url.startswith("wss://")
            backend.wait_call("BootNotification")
            registered(station)
    finally:
        backend.stop()


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_security_profile_3_tls_with_a_client_certificate(version: str, tmp_path: Path,
                                                          certificates: dict[str, Path]) -> None:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=certificates["ca"])
    context.verify_mode = ssl.CERT_REQUIRED  # the backend demands the charge point's certificate
    context.load_cert_chain(certificates["cert"], certificates["key"])
    backend = TestCsms(ssl_context=context).start()

    def profile3(cert: str, key: str) -> dict:
        return websocket_link(backend.url, security_profile=3, ca_file=str(certificates["ca"]),
                              client_cert_file=cert, client_key_file=key)
    try:
        rogue = tmp_path / "rogue"
        rogue.mkdir()
        with start_station(rogue, version, profile3(str(certificates["rogue_cert"]),
                                                    str(certificates["rogue_key"]))) as station:
            row = station.wait_for(lambda r: r.kind == "var" and r.source == "link.link"
                                   and r.name == "connection" and "retry_in_s" in r.value,
                                   what="a refused client certificate")
        assert ("security profile 3: the backend ended the handshake; did it refuse the client "
                "certificate") in row.value["reason"]
        assert not backend.calls()
        missing = tmp_path / "missing"
        missing.mkdir()
        with start_station(missing, version, profile3(str(tmp_path / "nope.pem"),
                                                      str(certificates["client_key"]))
                           ) as station:
            row = station.wait_for(lambda r: r.kind == "log" and r.source == "link",
                                   what="a configuration error")
        assert "client_cert_file" in row.value and "not found" in row.value
        with start_station(tmp_path, version, profile3(str(certificates["client_cert"]),
                                                       str(certificates["client_key"]))
                           ) as station:
            backend.wait_call("BootNotification")
            registered(station)
    finally:
        backend.stop()


def test_a_link_configuration_against_its_security_profile_is_refused(tmp_path: Path) -> None:
    with start_station(tmp_path, "1.6", websocket_link(
            "ws://127.0.0.1:9/ocpp", security_profile=2, password="x")) as station:
        row = station.wait_for(lambda r: r.kind == "log" and r.source == "link",
                               what="a configuration error")
        assert "needs a wss:// url" in row.value
