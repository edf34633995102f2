"""Fuzzing what the backend sends: whatever arrives (malformed JSON, unknown actions, payloads
that violate or just satisfy the schema, stray replies), the charge point answers with a
CallError its version defines or a valid CallResult, or ignores it with a log line; it never
raises, never answers InternalError, and its transaction goes on without losing a message.

One simulated station per version (virtual time) lives for all examples: a charger under a
stream of garbage, as it would be in the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.ocpp.frames import known_actions

from ocpp_testkit.schema_strategy import requests  # isort: skip (tests/ocpp on sys.path)
from ocpp_testkit.sim import SimStation  # isort: skip

# Requests a backend sends to a charge point, per version (all the charge point serves, and
# some it does not).
BACKEND_REQUESTS = {
    "1.6": ["RemoteStartTransaction", "RemoteStopTransaction", "Reset", "ChangeAvailability",
            "ChangeConfiguration", "GetConfiguration", "UnlockConnector", "ClearCache",
            "DataTransfer", "SetChargingProfile", "ClearChargingProfile",
            "GetCompositeSchedule", "TriggerMessage", "SendLocalList", "GetLocalListVersion",
            "ReserveNow", "CancelReservation", "GetDiagnostics", "UpdateFirmware",
            "ExtendedTriggerMessage"],
    "2.0.1": ["RequestStartTransaction", "RequestStopTransaction", "Reset",
              "ChangeAvailability", "SetVariables", "GetVariables", "UnlockConnector",
              "ClearCache", "DataTransfer", "SetChargingProfile", "ClearChargingProfile",
              "GetCompositeSchedule", "TriggerMessage", "SendLocalList",
              "GetLocalListVersion", "ReserveNow", "CancelReservation",
              "GetTransactionStatus", "GetBaseReport"],
}
CODES = {
    "1.6": {"NotImplemented", "NotSupported", "ProtocolError", "SecurityError",
            "FormationViolation", "PropertyConstraintViolation",
            "OccurenceConstraintViolation", "TypeConstraintViolation", "GenericError"},
    "2.0.1": {"NotImplemented", "NotSupported", "ProtocolError", "SecurityError",
              "FormatViolation", "PropertyConstraintViolation", "OccurenceConstraintViolation",
              "TypeConstraintViolation", "GenericError", "RpcFrameworkError",
              "MessageTypeNotSupported"},
}
FIELDS = ["connectorId", "evseId", "type", "idTag", "idToken", "transactionId", "key", "value",
          "requestedMessage", "operationalStatus", "reservationId", "id", "expiryDate",
          "expiryDateTime", "listVersion", "versionNumber", "updateType", "duration",
          "chargingRateUnit", "vendorId", "remoteStartId", "location", "retrieveDate",
          "csChargingProfiles", "chargingProfile", "getVariableData", "setVariableData"]
SCALARS = (st.none() | st.booleans() | st.integers(-2, 12) | st.floats(-1, 40)
           | st.sampled_from(["Soft", "Hard", "Operative", "Inoperative", "Accepted", "Full",
                              "Differential", "A", "W", "ISO14443", "Central", "Heartbeat",
                              "StatusNotification", "MeterValues", "BootNotification",
                              "2025-01-01T00:10:00Z", "", "x" * 40])
           | st.text(max_size=6))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=4), inner,
                                        max_size=4), max_leaves=8)
PAYLOADS = st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=5)


def frames(version: str) -> st.SearchStrategy[str]:
    actions = sorted(known_actions(version)) + ["NoSuchAction", ""]
    calls = st.tuples(st.just(2), st.from_regex(r"fz-[a-z0-9]{1,8}", fullmatch=True),
                      st.sampled_from(actions), PAYLOADS).map(lambda t: json.dumps(list(t)))
    replies = st.tuples(st.sampled_from([3, 4]), st.text(max_size=8), VALUES,
                        VALUES, VALUES).map(lambda t: json.dumps(list(t)[:3 + (t[0] == 4) * 2]))
    return st.one_of(requests(version, BACKEND_REQUESTS[version]),
                     requests(version, BACKEND_REQUESTS[version]), calls, replies,
                     st.text(max_size=30), st.lists(VALUES, max_size=5).map(json.dumps))


class Harness(SimStation):
    """A charging car and the simulated backend, in virtual time."""

    def __init__(self, version: str, tmp: Path):
        super().__init__(version, tmp, name=f"fuzz{version}")
        self.advance(5)
        self.send("car1", "car", "plug_in")
        self.send("rfid", "control", "present_token", id_token="AABBCCDD")
        self.advance(30)
        assert self.cp.connectors[1].tx is not None

    def send(self, module: str, impl: str, command: str, **args: Any) -> None:
        self.run.bus.call("test", module, impl, command, args).defused = True

    def inject(self, raw: str) -> list:
        mark = len(self.run.recorder.rows)
        self.send("csms", "control", "send_raw", frame=raw)
        self.advance(2)
        return self.run.recorder.rows[mark:]


_HARNESSES: dict[str, Harness] = {}


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory):
    def get(version: str) -> Harness:
        if version not in _HARNESSES:
            _HARNESSES[version] = Harness(version, tmp_path_factory.mktemp("fuzz"))
        return _HARNESSES[version]
    return get


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
def test_fuzzed_frames_never_break_the_charge_point(version: str, harness) -> None:
    h = harness(version)

    @settings(max_examples=250, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(raw=frames(version))
    def check(raw: str) -> None:
        rows = h.inject(raw)
        assert not h.run.station.exceptions, h.run.station.exceptions
        for row in rows:
            if row.kind == "var" and row.name == "ocpp_message" and row.source == "ocpp.main":
                message = row.value
                assert message["direction"] != "dropped", message
                if message["direction"] == "tx" and message["message_type"] == "CallError":
                    assert message["payload"]["errorCode"] in CODES[version], message

    check()
    # After all that: the charger still works and loses nothing. Reconnect, finish the
    # transaction, and every transaction message the charge point queued reached the backend.
    h.send("csms", "control", "go_online")
    h.send("car1", "car", "unplug")
    h.advance(120)
    assert not h.run.station.exceptions
    assert h.cp.store.count_pending() == 0
    queued = {r.value["unique_id"] for r in h.run.recorder.rows
              if r.kind == "var" and r.name == "ocpp_message" and r.value.get("queued")}
    processed = [r.value["unique_id"] for r in h.run.recorder.rows
                 if r.kind == "var" and r.name == "call_received" and not r.value["duplicate"]]
    assert queued and queued <= set(processed)
    assert len(processed) == len(set(processed))


@pytest.mark.parametrize("version, frame", [
    ("1.6", '[2,"empty-id","RemoteStartTransaction",{"idTag":""}]'),
    ("2.0.1", '[2,"empty-id","RequestStartTransaction",'
              '{"idToken":{"idToken":"","type":"Central"},"remoteStartId":7}]'),
])
def test_a_remote_start_with_an_empty_token_is_rejected(version: str, frame: str,
                                                         tmp_path: Path) -> None:
    # The OCPP schemas allow an empty token; once, it made the charge point publish a token
    # that violates the auth interface (found by the fuzz test above). The connector is idle,
    # so nothing else would refuse the start.
    station = SimStation(version, tmp_path, name="empty-token")
    station.advance(5)
    station.csms_op("send_raw", frame=frame)
    station.advance(2)
    assert not station.run.station.exceptions, station.run.station.exceptions
    replies = station.messages(direction="tx", unique_id="empty-id")
    assert [reply["payload"]["status"] for reply in replies] == ["Rejected"]
