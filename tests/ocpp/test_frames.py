"""OCPP-J framing: decoding never raises anything but FrameError, and says which CallError a
bad frame deserves in each version; payloads are checked against the ocpp package's schemas."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from charger.ocpp.frames import (
    VERSIONS,
    FrameError,
    action_of,
    check_payload,
    decode,
    encode_call,
    encode_error,
    encode_result,
    error_code,
    to_payload,
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=12)
FRAMES = st.one_of(
    st.text(max_size=40),
    JSON.map(json.dumps),
    st.tuples(st.sampled_from([2, 3, 4, 5, -1, "2"]), st.text(max_size=40) | st.integers(),
              st.text(max_size=20) | JSON, JSON, JSON).map(lambda t: json.dumps(list(t))),
    st.tuples(st.just(2), st.text(min_size=1, max_size=36),
              st.sampled_from(["BootNotification", "Reset", "Heartbeat", "TransactionEvent",
                               "RemoteStartTransaction", "NoSuchAction"]),
              JSON).map(lambda t: json.dumps(list(t))),
)


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=200, deadline=None)
@given(raw=FRAMES)
def test_decoding_anything_raises_only_frame_errors(version: str, raw: str) -> None:
    try:
        frame = decode(raw, version)
    except FrameError as problem:
        if problem.reply is not None:
            assert error_code(problem.reply, version)  # a known CallError kind
        return
    assert isinstance(frame.unique_id, str) and 0 < len(frame.unique_id) <= 36
    if frame.message_type == 2:
        problem = check_payload(2, frame.action, frame.payload, version)
        assert problem is None or problem.reply is not None


@pytest.mark.parametrize(("raw", "v16", "v201"), [
    ("not json", (None, None), ("RpcFrameworkError", None)),
    ("{}", (None, None), ("RpcFrameworkError", None)),
    ('[2, 17, "Heartbeat", {}]', (None, None), ("RpcFrameworkError", None)),
    ('[2, "a1", "Heartbeat", {}, 9]', ("FormationViolation", "a1"),
     ("RpcFrameworkError", "a1")),
    ('[2, "a1", "Heartbeat", []]', ("FormationViolation", "a1"), ("FormatViolation", "a1")),
    ('[7, "a1", "Heartbeat", {}]', ("NotSupported", "a1"), ("MessageTypeNotSupported", "a1")),
    ('[3, "a1"]', (None, "a1"), (None, "a1")),
])
def test_bad_frames_get_the_callerror_of_their_version(raw: str, v16: tuple, v201: tuple
                                                       ) -> None:
    for version, (code, unique_id) in (("1.6", v16), ("2.0.1", v201)):
        with pytest.raises(FrameError) as caught:
            decode(raw, version)
        got = caught.value
        assert (error_code(got.reply, version) if got.reply else None) == code, version
        assert got.unique_id == unique_id, version


@pytest.mark.parametrize(("version", "action", "payload", "code"), [
    ("1.6", "Reset", {}, "OccurenceConstraintViolation"),
    ("1.6", "Reset", {"type": "Sideways"}, "PropertyConstraintViolation"),
    ("1.6", "Reset", {"type": 5}, "TypeConstraintViolation"),
    ("1.6", "Reset", {"type": "Soft", "extra": 1}, "FormationViolation"),
    ("2.0.1", "Reset", {"type": "Soft"}, "PropertyConstraintViolation"),
    ("2.0.1", "Reset", {"type": "OnIdle", "extra": 1}, "FormatViolation"),
    ("2.0.1", "RequestStopTransaction", {}, "OccurenceConstraintViolation"),
])
def test_schema_violations_map_to_ocpp_error_codes(version: str, action: str, payload: dict,
                                                   code: str) -> None:
    problem = check_payload(2, action, payload, version)
    assert problem is not None and error_code(problem.reply, version) == code


def test_unknown_actions_have_no_schema() -> None:
    problem = check_payload(2, "NoSuchAction", {}, "1.6")
    assert problem is not None and problem.reply == "not_implemented"


def test_messages_are_built_from_the_package_dataclasses() -> None:
    boot = call16.BootNotification(charge_point_model="M", charge_point_vendor="V")
    assert action_of(boot) == "BootNotification"
    assert to_payload(boot) == {"chargePointModel": "M", "chargePointVendor": "V"}
    event = call201.TransactionEvent(
        event_type="Started", timestamp="2025-01-01T00:00:00.000Z", trigger_reason="Authorized",
        seq_no=0, transaction_info=types201.TransactionType(transaction_id="T1-1"),
        evse=types201.EVSEType(id=1, connector_id=1))
    payload = to_payload(event)
    assert payload["transactionInfo"] == {"transactionId": "T1-1"}
    assert payload["evse"] == {"id": 1, "connectorId": 1}
    assert check_payload(2, "TransactionEvent", payload, "2.0.1") is None
    assert json.loads(encode_call("1-1", "TransactionEvent", payload)) == \
        [2, "1-1", "TransactionEvent", payload]
    assert json.loads(encode_result("x", {})) == [3, "x", {}]
    assert json.loads(encode_error("x", "NotImplemented", "no")) == \
        [4, "x", "NotImplemented", "no", {}]
