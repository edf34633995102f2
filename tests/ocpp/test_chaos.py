"""A transaction across a hostile backend connection: requests lost before the backend
processes them, replies lost after it did, replies sent twice, processing delayed past the
charge point's response timeout, and the backend restarting (every connection closed, the
backend unreachable for a while) three times during the transaction.

The charge point runs on the wall clock against the real test backend, whose network misbehaves
from a seeded generator (``ocpp_testkit.csms.Chaos``). Whatever happens, every transaction
message the charge point created is processed by the backend exactly once, in creation order,
and none is given up.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ocpp_testkit.csms import Chaos, TestCsms  # isort: skip (tests/ocpp on sys.path)
from ocpp_testkit.station import (  # isort: skip
    WallStation,
    ocpp_messages,
    ocpp_station,
    websocket_link,
    write_station,
)

CHARGING = "sleep 1;iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 36000"
TX_ACTIONS = {"1.6": {"StartTransaction", "MeterValues", "StopTransaction"},
              "2.0.1": {"TransactionEvent"}}
PATIENT = {"tx_attempts": 100, "tx_retry_interval": 1}  # wrong answers must not exhaust them
# A lost Authorize is no answer: the offline rules decide, and they let the car charge.
UNKNOWN_OK = {"allow_offline_unknown": True}
METER = {"1.6": {"MeterValueSampleInterval": 5},
         "2.0.1": {"SampledDataCtrlr.TxUpdatedInterval": 5}}


@pytest.mark.slow
@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_no_transaction_message_is_lost_or_processed_twice_across_chaos(
        version: str, tmp_path: Path) -> None:
    chaos = Chaos(seed=7, drop_request=0.15, lose_reply=0.15, duplicate_reply=0.15,
                  max_delay_s=0.4)
    backend = TestCsms().start()
    backend.chaos = chaos
    try:
        doc = ocpp_station(version, websocket_link(backend.url), car_script=CHARGING,
                           database=str(tmp_path / "cp.sqlite"),
                           configuration={**PATIENT, **UNKNOWN_OK, **METER[version]})
        doc["active_modules"]["ocpp"]["config"]["response_timeout_s"] = 6  # 0.3 s wall
        with WallStation(write_station(tmp_path / "station.yaml", doc), factor=0.05) as station:
            station.wait_for(lambda r: r.kind == "var" and r.name == "status"
                             and r.value["registration"] == "Accepted", timeout=60,
                             what="registration")
            station.call("rfid", "control", "present_token", id_token="AABBCCDD")
            for _ in range(3):  # the backend restarts during the transaction
                time.sleep(3)
                backend.online = False
                backend.disconnect()
                time.sleep(0.5)
                backend.online = True
            time.sleep(2)
            station.call("car1", "car", "unplug")
            time.sleep(2)
            backend.chaos = None  # let the queue drain
            station.wait_for(lambda r: r.kind == "var" and r.name == "status"
                             and r.value["queued"] == 0 and r.value["connected"]
                             and r.t > 20, timeout=60, what="an empty queue")
    finally:
        backend.stop()

    kinds = {e.split(" ")[0] + " " + e.split(" ")[1] for e in chaos.events}
    assert kinds >= {"dropped request", "lost reply", "duplicated reply"}, kinds
    messages = ocpp_messages(station.rows)
    assert not [m for m in messages if m["direction"] == "dropped"]
    created: list[str] = []  # transaction message ids in the order the charge point sent them
    for m in messages:
        if m["direction"] == "tx" and m["message_type"] == "Call" and m.get("queued") \
                and m["unique_id"] not in created:
            created.append(m["unique_id"])
    processed = [r.unique_id for r in backend.calls() if r.action in TX_ACTIONS[version]
                 and not r.duplicate]
    assert processed == created  # each exactly once, in order
    # A transaction message whose reply was lost came again with its id and was recognised.
    lost = [e.split(" ")[-1] for e in chaos.events if e.startswith("lost reply")]
    resent = {r.unique_id for r in backend.calls() if r.duplicate}
    assert {i for i in lost if i in created} <= resent
    payloads = [r.payload for r in backend.calls() if r.action in TX_ACTIONS[version]
                and not r.duplicate]
    if version == "1.6":
        assert [p for p in payloads if "meterStart" in p] == [payloads[0]]
        assert "meterStop" in payloads[-1] and len(payloads) >= 5
    else:
        assert [p["seqNo"] for p in payloads] == list(range(len(payloads)))
        assert payloads[0]["eventType"] == "Started" and payloads[-1]["eventType"] == "Ended"
    print(f"chaos {version}: {len(chaos.events)} events ({sorted(kinds)}), {len(created)} "
          f"transaction messages, {len(resent)} recognised resends")
