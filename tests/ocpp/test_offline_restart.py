"""Offline, crash and restart: not one transaction message lost, none processed twice.

The station runs as an OS process of its own (``evbench station``, in-process bus on the wall
clock) and talks to the real test backend over WebSocket, with its queue in an SQLite file.
Mid-transaction the backend takes a meter-value message but its reply is lost and the backend
becomes unreachable; the charger charges on and queues what it reports; then its process is
killed (SIGKILL: no orderly shutdown). A new process on the same file comes back when the
backend does, ends the interrupted transaction (PowerLoss) and delivers the queue.

The backend records every request with whether its message id was seen before (then it answers
again with its first reply and does not process it again). What was in the file at the crash,
and everything else, reached the backend in order and was processed exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from ocpp_testkit.csms import Received, TestCsms  # isort: skip (tests/ocpp on sys.path)
from ocpp_testkit.station import ocpp_station, websocket_link, write_station  # isort: skip

ROOT = Path(__file__).resolve().parents[2]
FACTOR = 0.05
CHARGING = "sleep 1;iec_wait_pwr_ready;draw_power_regulated 16,3;sleep 36000"
TX_ACTIONS = {"1.6": {"StartTransaction", "MeterValues", "StopTransaction"},
              "2.0.1": {"TransactionEvent"}}


def launch(config: Path, log: Path) -> subprocess.Popen:
    """``evbench station CONFIG --factor F`` as its own process."""
    code = "import sys; from evbench.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", code, "station", str(config), "--factor", str(FACTOR)],
        cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll a condition (the queue file, a process) until it holds; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def queued(db: Path) -> list[tuple[int, str, str, dict]]:
    """The unacknowledged transaction messages in the charge point's file."""
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute("SELECT seq, unique_id, action, payload FROM queue ORDER BY seq")
        return [(s, u, a, json.loads(p)) for s, u, a, p in rows.fetchall()]


def id_order(unique_id: str) -> tuple[int, int]:
    boot, number = unique_id.split("-")
    return int(boot), int(number)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_offline_crash_restart_loses_nothing_and_duplicates_nothing(
        version: str, csms: TestCsms, tmp_path: Path) -> None:
    v16 = version == "1.6"
    tx_actions = TX_ACTIONS[version]
    db = tmp_path / "charge-point.sqlite"
    interval = {"MeterValueSampleInterval": 10} if v16 else \
        {"SampledDataCtrlr.TxUpdatedInterval": 10}
    config = write_station(tmp_path / "station.yaml", ocpp_station(
        version, websocket_link(csms.url), database=str(db), configuration=interval,
        car_script=CHARGING))
    log = tmp_path / "station.log"

    def processed(action_filter: Callable[[Received], bool] = lambda r: True
                  ) -> list[Received]:
        return [r for r in csms.calls(cp_id="CP-1", include_duplicates=False)
                if r.action in tx_actions and action_filter(r)]

    def periodic(r: Received) -> bool:
        return (r.action == "MeterValues" and "transactionId" in r.payload) if v16 else \
            (r.action == "TransactionEvent"
             and r.payload["triggerReason"] == "MeterValuePeriodic")

    # --- first life: online, then the backend is gone, then a crash ---------------------------
    first = launch(config, log)
    try:
        csms.wait_call("BootNotification", timeout=60)
        start = call16.RemoteStartTransaction(id_tag="REMOTE1", connector_id=1) if v16 else \
            call201.RequestStartTransaction(id_token={"idToken": "REMOTE1", "type": "Central"},
                                            remote_start_id=1, evse_id=1)
        assert csms.call("CP-1", start).status == "Accepted"
        csms.wait_for(lambda items: len(processed(periodic)) >= 2, 30, "2 meter values")
        # The next periodic report is processed but its reply lost, and the backend goes away.
        csms.swallow["CP-1"] = "MeterValues" if v16 else "TransactionEvent"
        swallowed = csms.wait_for(lambda items: not csms.online and processed(periodic)[-1],
                                  30, "a lost reply")
        wait_until(lambda: len(queued(db)) >= 6, 30, "six messages queued offline")
        first.send_signal(signal.SIGKILL)
        first.wait(20)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(20)
    at_crash = queued(db)
    assert at_crash[0][1] == swallowed.unique_id  # sent, processed, never acknowledged
    assert all(action in tx_actions for _, _, action, _ in at_crash)

    # --- second life: the backend is back ----------------------------------------------------
    csms.online = True
    second = launch(config, log)
    try:
        def ended(r: Received) -> bool:
            return r.action == "StopTransaction" if v16 else \
                r.action == "TransactionEvent" and r.payload["eventType"] == "Ended"
        csms.wait_for(lambda items: processed(ended), 60, "the end of the transaction")
        wait_until(lambda: not queued(db), 30, "an empty queue")
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait(20)

    # --- what the backend got ------------------------------------------------------------------
    frames = [r for r in csms.calls(cp_id="CP-1") if r.action in tx_actions]
    done = processed()
    ids = [r.unique_id for r in done]
    duplicates = [r for r in frames if r.duplicate]
    assert len(ids) == len(set(ids))
    for _, unique_id, _, _ in at_crash:  # every message in the file at the crash: once
        assert ids.count(unique_id) == 1
    assert [r.unique_id for r in duplicates] == [swallowed.unique_id]  # the lost reply's resend
    assert ids == sorted(ids, key=id_order)  # delivered in the order they were queued

    if v16:
        starts = [r for r in done if r.action == "StartTransaction"]
        stops = [r for r in done if r.action == "StopTransaction"]
        meters = [r for r in done if r.action == "MeterValues"]
        assert len(starts) == 1 and len(stops) == 1
        assert stops[0].payload["reason"] == "PowerLoss"
        assert stops[0].payload["transactionId"] == 1
        stamps = [m.payload["meterValue"][0]["timestamp"] for m in meters]
        assert len(stamps) == len(set(stamps))  # no meter reading reported twice
        energy = [float(m.payload["meterValue"][0]["sampledValue"][0]["value"]) for m in meters]
        assert energy == sorted(energy) and stops[0].payload["meterStop"] >= int(energy[-1])
    else:
        events = [r for r in done if r.payload["transactionInfo"]["transactionId"]
                  == done[0].payload["transactionInfo"]["transactionId"]]
        assert [e.payload["seqNo"] for e in events] == list(range(len(events)))
        assert events[0].payload["eventType"] == "Started"
        assert events[-1].payload["eventType"] == "Ended"
        assert events[-1].payload["transactionInfo"]["stoppedReason"] == "PowerLoss"
        assert sum(e.payload["eventType"] == "Ended" for e in done) == 1

    summary = {"version": version, "queued_at_crash": len(at_crash),
               "transaction_messages_processed": len(done), "frames_received": len(frames),
               "resends_deduplicated": len(duplicates), "processed_twice": len(ids) -
               len(set(ids)), "lost": sum(ids.count(u) == 0 for _, u, _, _ in at_crash)}
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    print(json.dumps(summary))
