"""Malformed and out-of-sequence input: the standard's response code or a session stop, never
an exception out of the engine; and hypothesis fuzzing of both engines with random and
mutated EXI and V2GTP."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.iso15118.filler import failure_body
from charger.iso15118.protocols import PROTOCOLS, response_name
from charger.iso15118.secc import SeccSession
from charger.v2g import exi
from charger.v2g.v2gtp import PayloadType, encode_frame
from sim.car.evcc import EvccSession
from sim.car.evcc.evcc import NOT_SENT_BY_THE_CAR
from tests.v2g_session.doubles import RawPeer, make_run


def _code(response) -> str:
    return str(response[1].Body.BodyElement.ResponseCode)


def test_every_request_has_one_handler_and_every_response_a_failure_form() -> None:
    for protocol in PROTOCOLS.values():
        requests = set().union(*protocol.sequence.values())
        for request in requests:
            assert request in SeccSession.routes_for()
            if request not in NOT_SENT_BY_THE_CAR:
                assert response_name(request) in EvccSession.routes_for()
            for code in ("FAILED_SequenceError", "FAILED_UnknownSession"):
                for transfer in ("AC", "DC"):
                    body = failure_body(protocol, response_name(request), code, transfer)
                    message = protocol.message(bytes(8), body)
                    assert exi.decode(protocol.key, exi.encode(protocol.key, message)) == message


@pytest.mark.parametrize("protocol", ["iso2", "din"])
def test_out_of_sequence_request_gets_sequence_error_and_ends(protocol: str) -> None:
    run = make_run("DC_extended")
    peer = RawPeer(run, protocol)
    session = peer.handshake()
    p = peer.protocol
    response = peer.request(session, p.body(
        "CableCheckReq", DC_EVStatus=p.data("DC_EVStatusType", EVReady=True,
                                            EVErrorCode="NO_ERROR", EVRESSSOC=50)))
    assert response[0] == "CableCheckRes"
    assert _code(response) == "FAILED_SequenceError"
    run.run(until=run.env.now + 1)
    assert peer.closed is not None
    assert peer.secc_session.finished.value == "CableCheckReq: FAILED_SequenceError"


def test_unknown_session_id_gets_unknown_session() -> None:
    run = make_run("DC_extended")
    peer = RawPeer(run, "iso2")
    peer.handshake()
    response = peer.request(bytes.fromhex("0102030405060708"),
                            peer.protocol.body("ServiceDiscoveryReq"))
    assert response[0] == "ServiceDiscoveryRes"
    assert _code(response) == "FAILED_UnknownSession"
    run.run(until=run.env.now + 1)
    assert peer.closed is not None


def test_ac_request_in_a_dc_session_is_out_of_sequence() -> None:
    run = make_run("DC_extended")
    peer = RawPeer(run, "iso2")
    session = peer.handshake()
    p = peer.protocol
    for body in (p.body("ServiceDiscoveryReq"),
                 p.body("PaymentServiceSelectionReq", SelectedPaymentOption="ExternalPayment",
                        SelectedServiceList=p.data("SelectedServiceListType", SelectedService=[
                            p.data("SelectedServiceType", ServiceID=1)])),
                 p.body("AuthorizationReq")):
        peer.request(session, body)
    assert _code(peer.request(session, p.body("ChargingStatusReq"))) == "FAILED_SequenceError"


@pytest.mark.parametrize(("option", "service", "code"), [
    ("Contract", 1, "FAILED_PaymentSelectionInvalid"),
    ("ExternalPayment", 7, "FAILED_NoChargeServiceSelected"),
])
def test_payment_selection_is_checked(option: str, service: int, code: str) -> None:
    run = make_run("AC_three_phase_core")
    peer = RawPeer(run, "iso2")
    session = peer.handshake()
    p = peer.protocol
    peer.request(session, p.body("ServiceDiscoveryReq"))
    response = peer.request(session, p.body(
        "PaymentServiceSelectionReq", SelectedPaymentOption=option,
        SelectedServiceList=p.data("SelectedServiceListType", SelectedService=[
            p.data("SelectedServiceType", ServiceID=service)])))
    assert _code(response) == code


def test_wrong_energy_transfer_mode_is_refused() -> None:
    run = make_run("AC_three_phase_core", ("iso2",), evcc={"energy_mode": "DC_extended"})
    # The car asks for DC at an AC charger; the charger lists AC only, so the car ends it.
    run.connect()
    run.run(until=10)
    assert run.evcc_reason == "the charger does not offer DC_extended"


@pytest.mark.parametrize("garbage", [b"\x00" * 8, b"\x01\xfe\x80\x01\xff\xff\xff\xff",
                                     b"\x01\xfe\x90\x00\x00\x00\x00\x02\x10\x00"])
def test_bad_v2gtp_ends_the_session(garbage: bytes) -> None:
    run = make_run("DC_extended")
    peer = RawPeer(run, "iso2")
    peer.handshake()
    peer.send_raw(garbage)
    run.run(until=run.env.now + 1)
    assert peer.secc_session.finished.value.startswith("malformed V2GTP frame")
    invalid = [r for r in run.records if r.name == "Invalid"]
    assert invalid and invalid[0].message["reason"].startswith("V2GTP")


def test_undecodable_exi_ends_the_session_and_is_recorded() -> None:
    run = make_run("DC_extended")
    peer = RawPeer(run, "iso2")
    peer.handshake()
    peer.send_raw(encode_frame(PayloadType.EXI, b"\x80\xff\xff\xff"))
    run.run(until=run.env.now + 1)
    assert peer.secc_session.finished.value.startswith("undecodable request")
    assert run.records[-1].name == "Invalid" and run.records[-1].hex == "80FFFFFF"


def test_evcc_ends_on_a_response_of_the_wrong_type() -> None:
    run = make_run("DC_extended", ("iso2",))
    secc_session, evcc_session = run.connect()
    original = secc_session.send_body

    def wrong(body):
        if type(body).__name__ == "ServiceDiscoveryResType":
            body = failure_body(secc_session.protocol, "CableCheckRes", "OK", "DC")
        original(body)
    secc_session.send_body = wrong
    run.run(until=10)
    assert run.evcc_reason == "sequence error: expected ServiceDiscoveryRes, got CableCheckRes"


def test_evcc_garbage_fault_is_answered_by_a_stop() -> None:
    run = make_run("DC_extended", ("iso2",), evcc={"fault": "garbage_before",
                                                   "fault_message": "CableCheckReq"})
    run.connect()
    run.run(until=30)
    assert run.secc_reason.startswith("undecodable request")
    assert run.evcc_reason.startswith("connection lost")
    sent = [r for r in run.ev_records if r.name == "Invalid"]
    received = [r for r in run.records if r.name == "Invalid"]
    assert sent[0].message == {"reason": "garbage instead of CableCheckReq"}
    assert sent[0].hex == received[0].hex and received[0].direction == "rx"


def _valid_stream(protocol: str) -> list[bytes]:
    """The EXI payloads of a real session, to mutate."""
    run = make_run("DC_extended", (protocol,))
    run.connect()
    run.env.process(_stop(run, 3))
    run.run(until=30)
    return [bytes.fromhex(r.hex) for r in run.records if r.direction == "rx"]


def _stop(run, t):
    yield run.env.timeout(t)
    run.evcc.stop_charging()


STREAMS = {key: _valid_stream(key) for key in ("iso2", "din")}


@st.composite
def mutated(draw) -> tuple[str, int, bytes, bool]:
    protocol = draw(st.sampled_from(sorted(STREAMS)))
    stream = STREAMS[protocol]
    at = draw(st.integers(0, len(stream) - 1))
    payload = bytearray(stream[at])
    kind = draw(st.sampled_from(["flip", "truncate", "random", "extend"]))
    if kind == "flip" and payload:
        for _ in range(draw(st.integers(1, 4))):
            i = draw(st.integers(0, len(payload) - 1))
            payload[i] ^= 1 << draw(st.integers(0, 7))
    elif kind == "truncate":
        payload = payload[:draw(st.integers(0, len(payload)))]
    elif kind == "random":
        payload = bytearray(draw(st.binary(max_size=64)))
    else:
        payload += draw(st.binary(min_size=1, max_size=16))
    framed = draw(st.booleans())
    return protocol, at, bytes(payload), framed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.integers(1, 9))
def test_fuzz_secc_with_mutated_requests(case, chunk: int) -> None:
    """A real session's requests replayed up to a point, then one mutated: the SECC answers
    (a decodable response) or ends the session with a reason; nothing raises."""
    protocol, at, payload, framed = case
    run = make_run("DC_extended")
    peer = RawPeer(run, protocol)
    peer.link.chunk = chunk
    for good in STREAMS[protocol][:at]:
        peer.send_raw(encode_frame(PayloadType.EXI, good))
        run.run(until=run.env.now + 0.05)
    data = encode_frame(PayloadType.EXI, payload) if framed else payload
    peer.send_raw(data)
    run.run(until=run.env.now + 200)
    session = peer.secc_session
    assert session.finished.triggered  # by a stop or, at the latest, the sequence timeout
    assert isinstance(session.finished.value, str) and session.finished.value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["iso2", "din"]), st.integers(0, 12), st.binary(max_size=48),
       st.booleans())
def test_fuzz_evcc_with_corrupted_responses(protocol: str, nth: int, noise: bytes,
                                            replace: bool) -> None:
    """The charger's n-th response is replaced by noise (or noise is appended): the EVCC ends
    the session with a reason or carries on; nothing raises."""
    run = make_run("DC_extended", (protocol,))
    secc_session, evcc_session = run.connect()
    link = secc_session.link
    original = link.send
    count = {"n": 0}

    def corrupt(data: bytes) -> None:
        count["n"] += 1
        if count["n"] == nth + 1:
            original(encode_frame(PayloadType.EXI, noise) if replace else data + noise)
        else:
            original(data)
    link.send = corrupt
    run.env.process(_stop(run, 3))
    run.run(until=200)
    assert evcc_session.finished.triggered
    assert isinstance(evcc_session.finished.value, str)


def test_a_value_the_schema_refuses_ends_the_session_with_the_reason() -> None:
    """An EVSE id too long for ISO 15118-2 (at most 37 characters) comes from our side: the
    session ends saying so; nothing raises."""
    run = make_run("DC_extended", ("iso2",))
    run.secc.config.evse_id = "DE*EVB*E" + "1" * 40
    run.connect()
    run.run(until=10)
    assert run.secc_reason.startswith("cannot encode our message")
    assert run.evcc_reason.startswith("connection lost")


@pytest.mark.parametrize(("service_id", "code"), [(1, "OK"), (99, "FAILED_ServiceIDInvalid")])
def test_service_detail(service_id: int, code: str) -> None:
    """Our car never asks for service details; another car may."""
    run = make_run("AC_three_phase_core")
    peer = RawPeer(run, "iso2")
    session = peer.handshake()
    p = peer.protocol
    peer.request(session, p.body("ServiceDiscoveryReq"))
    response = peer.request(session, p.body("ServiceDetailReq", ServiceID=service_id))
    assert response[0] == "ServiceDetailRes" and _code(response) == code


def test_metering_receipt_in_the_ac_loop() -> None:
    run = make_run("AC_three_phase_core")
    run.charger.auth_delay_s = 0
    peer = RawPeer(run, "iso2")
    session = peer.handshake()
    p = peer.protocol
    peer.request(session, p.body("ServiceDiscoveryReq"))
    peer.request(session, p.body(
        "PaymentServiceSelectionReq", SelectedPaymentOption="ExternalPayment",
        SelectedServiceList=p.data("SelectedServiceListType", SelectedService=[
            p.data("SelectedServiceType", ServiceID=1)])))
    peer.request(session, p.body("AuthorizationReq"))
    assert str(peer.request(session, p.body("AuthorizationReq"))[1].Body.BodyElement
               .EVSEProcessing) == "Finished"
    pv = p.physical
    peer.request(session, p.body(
        "ChargeParameterDiscoveryReq", RequestedEnergyTransferMode="AC_three_phase_core",
        EVChargeParameter=p.data("AC_EVChargeParameterType", EAmount=pv(10000, "Wh"),
                                 EVMaxVoltage=pv(400, "V"), EVMaxCurrent=pv(16, "A"),
                                 EVMinCurrent=pv(6, "A"))))
    peer.request(session, p.power_delivery_request("Start", 1))
    peer.request(session, p.body("ChargingStatusReq"))
    response = peer.request(session, p.body(
        "MeteringReceiptReq", Id="id1", SessionID=session,
        MeterInfo=p.data("MeterInfoType", MeterID="meter1", MeterReading=1234)))
    assert response[0] == "MeteringReceiptRes" and _code(response) == "OK"
    assert _code(peer.request(session, p.body("ChargingStatusReq"))) == "OK"


def test_a_lone_body_element_as_root_is_refused() -> None:
    """Found by the fuzzer: EXI allows any global element as the root, so a stream may decode
    to a bare WeldingDetectionReq without V2G_Message around it."""
    run = make_run("DC_extended")
    peer = RawPeer(run, "iso2")
    peer.handshake()
    p = peer.protocol
    peer.send_message("iso2", p.body("ServiceDiscoveryReq"))
    run.run(until=run.env.now + 1)
    assert peer.secc_session.finished.value == "not a request: ServiceDiscoveryReqType"
