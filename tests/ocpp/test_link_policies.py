"""What the charge point and its WebSocket link promise about reconnecting, identity, meter
readings, the clock and the state they keep, against the real test backend.

* Reconnection follows the OCPP 2.0.1 retry back-off, also against a backend that accepts the
  WebSocket and closes it at once (measured on the timeline: simulated seconds).
* The backend sees one identity, the charge point's; a station naming two is refused.
* A transaction's stop value is the meter's reading at the stop.
* A station with a WebSocket link does not run in virtual time.
* A database keeps the state of one charge point at one backend; another run is refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ocpp.v16 import call as call16

from charger.framework.config import load_station
from charger.framework.errors import ConfigError
from evbench.cli import main as evbench_main

from ocpp_testkit.csms import TestCsms  # isort: skip (tests/ocpp on sys.path)
from ocpp_testkit.station import (  # isort: skip
    WallStation,
    ocpp_station,
    registry,
    websocket_link,
    write_station,
)

ROOT = Path(__file__).resolve().parents[2]
CHARGING = "sleep 1;iec_wait_pwr_ready;draw_power_regulated 32,3;sleep 36000"


def link_connection_rows(station: WallStation) -> list:
    return [r for r in station.rows if r.kind == "var" and r.source == "link.link"
            and r.name == "connection"]


def attempt_times(station: WallStation) -> list[float]:
    return [r.t for r in station.rows if r.kind == "log" and r.source == "link"
            and str(r.value).startswith("connecting to")]


# --- retry back-off --------------------------------------------------------------------------
BACKOFF = {"1.6": {"RetryBackOffWaitMinimum": 2, "RetryBackOffRandomRange": 1,
                   "RetryBackOffRepeatTimes": 3},
           "2.0.1": {"OCPPCommCtrlr.RetryBackOffWaitMinimum": 2,
                     "OCPPCommCtrlr.RetryBackOffRandomRange": 1,
                     "OCPPCommCtrlr.RetryBackOffRepeatTimes": 3}}
WAIT_MIN, RANGE, REPEAT = 2.0, 1.0, 3
ATTEMPTS = 8


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_reconnection_to_a_backend_that_drops_at_once_backs_off(version: str,
                                                                tmp_path: Path) -> None:
    backend = TestCsms().start()
    backend.drop_at_once = True
    try:
        doc = ocpp_station(version, websocket_link(backend.url), configuration=BACKOFF[version])
        with WallStation(write_station(tmp_path / "station.yaml", doc), factor=0.02) as station:
            station.wait_for(lambda r: r.kind == "log" and r.source == "link"
                             and str(r.value).startswith("connecting to"), count=ATTEMPTS,
                             timeout=60, what=f"{ATTEMPTS} connection attempts")
    finally:
        backend.stop()
    assert backend.accepted_connections >= ATTEMPTS - 1  # the backend did accept each one
    attempts = attempt_times(station)[:ATTEMPTS]
    downs = [(r.t, r.value["retry_in_s"]) for r in link_connection_rows(station)
             if "retry_in_s" in r.value][:ATTEMPTS - 1]
    assert len(downs) == ATTEMPTS - 1
    # The link waits exactly the announced time after each loss (simulated seconds) ...
    for (down_t, wait), next_attempt in zip(downs, attempts[1:], strict=True):
        assert next_attempt - down_t == pytest.approx(wait, abs=1e-6)
    # ... and the waits follow the specification: the minimum plus a random part, doubled with a
    # new random part RetryBackOffRepeatTimes times, then kept.
    waits = [w for _, w in downs]
    assert WAIT_MIN <= waits[0] <= WAIT_MIN + RANGE
    for n in range(1, len(waits)):
        if n <= REPEAT:
            assert 2 * waits[n - 1] <= waits[n] <= 2 * waits[n - 1] + RANGE
        else:
            assert waits[n] == waits[REPEAT]
    jitter = [waits[0] - WAIT_MIN] + [waits[n] - 2 * waits[n - 1] for n in range(1, REPEAT + 1)]
    assert len({round(j, 6) for j in jitter}) > 1  # a random part, not a constant
    print("retry back-off, attempt times (simulated s):", [round(t, 3) for t in attempts],
          "waits:", [round(w, 3) for w in waits])


# --- one identity ----------------------------------------------------------------------------
def test_the_backend_sees_the_charge_points_identity(tmp_path: Path) -> None:
    backend = TestCsms(password="pw-for-cp7").start()
    try:
        link = websocket_link(backend.url, security_profile=1, password="pw-for-cp7")
        del link["config"]["charge_point_id"]  # the link takes the charge point's
        doc = ocpp_station("1.6", link, cp_id="CP-7")
        with WallStation(write_station(tmp_path / "station.yaml", doc), factor=0.05):
            boot = backend.wait_call("BootNotification")
        assert boot.cp_id == "CP-7"  # URL path; the Basic user was checked by the handshake
        assert not backend.rejected_handshakes
    finally:
        backend.stop()


def test_a_station_naming_two_identities_is_refused_with_its_line(tmp_path: Path) -> None:
    doc = ocpp_station("2.0.1", websocket_link("ws://127.0.0.1:9/ocpp", cp_id="CP-OTHER"),
                       cp_id="CP-1")
    path = write_station(tmp_path / "station.yaml", doc)
    with pytest.raises(ConfigError) as caught:
        load_station(path, registry())
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1)
                if "CP-OTHER" in text)
    assert any(str(p).startswith(f"{path}:{line}: link: charge_point_id 'CP-OTHER' differs")
               for p in caught.value.problems)
    assert evbench_main(["validate", str(path)]) == 2


# --- the stop value --------------------------------------------------------------------------
def test_meter_stop_is_the_reading_at_the_stop(csms: TestCsms, tmp_path: Path) -> None:
    doc = ocpp_station("1.6", websocket_link(csms.url), car_script=CHARGING)
    doc["active_modules"]["board1"]["config"]["meter_interval_s"] = 30  # seldom readings
    with WallStation(write_station(tmp_path / "station.yaml", doc), factor=0.05) as station:
        station.wait_for(lambda r: r.kind == "var" and r.name == "status"
                         and r.value["registration"] == "Accepted", what="registration")
        station.call("rfid", "control", "present_token", id_token="AABBCCDD")
        csms.wait_call("StartTransaction")
        station.wait_for(lambda r: r.kind == "cmd" and r.name == "board1.board.pwm_on",
                         what="charging")
        station.wait_for(lambda r: r.kind == "var" and r.name == "powermeter"
                         and r.value["power_w"]["total"] > 5000, what="11 kW")
        # Asked before the charge point has the backend's answer to StartTransaction (slow on
        # a loaded machine), it could not know the transaction by the backend's id.
        station.wait_for(lambda r: r.kind == "var" and r.name == "ocpp_message"
                         and r.value["action"] == "StartTransaction"
                         and r.value["message_type"] == "CallResult", what="the transaction id")
        stop_request = call16.RemoteStopTransaction(transaction_id=csms.transactions[("CP-1", 1)])
        assert csms.call("CP-1", stop_request).status == "Accepted"
        stop = csms.wait_call("StopTransaction")
    readings = [r for r in station.rows if r.kind == "var" and r.name == "powermeter"]
    finished = next(r for r in station.rows if r.kind == "var" and r.name == "session_event"
                    and r.value["event"] == "TransactionFinished")
    read = next(r for r in station.rows if r.kind == "result"
                and r.name == "board1.meter.read" and r.t >= finished.t)
    # The reading the stop used was taken at the stop (not up to 30 s earlier) ...
    assert read.t == pytest.approx(finished.t, abs=1e-6)
    assert stop.payload["meterStop"] == round(read.value["result"]["energy_wh_import"]["total"])
    # ... while the last periodic reading before the stop was older.
    assert [r.t for r in readings if r.t < finished.t][-1] < finished.t
    final = readings[-1].value["energy_wh_import"]["total"]
    assert 0 <= final - read.value["result"]["energy_wh_import"]["total"] < 10


# --- the clock -------------------------------------------------------------------------------
def test_a_websocket_station_is_refused_in_virtual_time(tmp_path: Path) -> None:
    scenario = tmp_path / "websocket.yaml"
    scenario.write_text(yaml.safe_dump({
        "scenario": "a real backend in virtual time",
        "station": str(ROOT / "scenarios/stations/ac-1-connector-ocpp16-websocket.yaml"),
        "duration": "1 min", "world": {"cars": [{"connector": 1, "profile": "sedan-3ph-11kw"}]},
        "steps": []}, sort_keys=False))
    run = subprocess.run([sys.executable, "-c", "import sys; from evbench.cli import main; "
                          "sys.exit(main(sys.argv[1:]))", "run", str(scenario), "--out",
                          str(tmp_path / "out")], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    station_file = ROOT / "scenarios/stations/ac-1-connector-ocpp16-websocket.yaml"
    line = next(i for i, text in enumerate(station_file.read_text().splitlines(), 1)
                if "module: OcppWebSocketLink" in text)
    assert f"{station_file}:{line}: backend: module OcppWebSocketLink needs the wall clock" \
        in run.stderr
    assert "--bus mqtt" in run.stderr and "Traceback" not in run.stderr


# --- state kept between runs -----------------------------------------------------------------
def test_a_database_of_another_backend_is_refused(tmp_path: Path) -> None:
    first, second = TestCsms().start(), TestCsms().start()
    db = tmp_path / "state" / "cp.sqlite"
    try:
        doc = ocpp_station("1.6", websocket_link(first.url), database=str(db))
        with WallStation(write_station(tmp_path / "one.yaml", doc), factor=0.05):
            first.wait_call("BootNotification")
        doc = ocpp_station("1.6", websocket_link(second.url), database=str(db))
        with WallStation(write_station(tmp_path / "two.yaml", doc), factor=0.05) as station:
            row = station.wait_for(lambda r: r.kind == "var" and r.name == "status"
                                   and "problem" in r.value, what="a refusal")
        assert f"endpoint '{first.url}' (this run: '{second.url}')" in row.value["problem"]
        assert not second.calls()  # nothing of the first backend's state reached the second
        doc = ocpp_station("2.0.1", websocket_link(first.url), database=str(db))
        with WallStation(write_station(tmp_path / "three.yaml", doc), factor=0.05) as station:
            row = station.wait_for(lambda r: r.kind == "var" and r.name == "status"
                                   and "problem" in r.value, what="a refusal")
        assert "version '1.6' (this run: '2.0.1')" in row.value["problem"]
    finally:
        first.stop()
        second.stop()


def test_the_backend_changes_the_back_off(csms: TestCsms, tmp_path: Path) -> None:
    doc = ocpp_station("1.6", websocket_link(csms.url))
    with WallStation(write_station(tmp_path / "station.yaml", doc), factor=0.05) as station:
        csms.wait_call("BootNotification")
        status = csms.call("CP-1", call16.ChangeConfiguration(key="RetryBackOffWaitMinimum",
                                                              value="7")).status
        assert status == "Accepted"
        row = station.wait_for(lambda r: r.kind == "cmd" and r.name == "link.link.open"
                               and r.value["args"]["retry_backoff"]["wait_minimum_s"] == 7,
                               what="the new back-off handed to the link")
        assert row.value["args"]["charge_point_id"] == "CP-1"
        config = csms.call("CP-1", call16.GetConfiguration(key=["RetryBackOffWaitMinimum"]))
        assert config.configuration_key[0]["value"] == "7"
