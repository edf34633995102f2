"""Property tests: generated typed messages round-trip; no input makes the decoder crash."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from v2g_strategies import body_types, instances, v2g_messages

from charger.v2g import app_protocol, din, exi, iso2
from charger.v2g.errors import V2GDecodeError

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MESSAGES = {
    "app": st.one_of(instances(app_protocol.supportedAppProtocolReq),
                     instances(app_protocol.supportedAppProtocolRes)),
    "din": v2g_messages(din),
    "iso2": v2g_messages(iso2),
}


@pytest.mark.parametrize("namespace", sorted(MESSAGES))
def test_typed_messages_round_trip(namespace):
    @FAST
    @given(MESSAGES[namespace])
    def check(message):
        data = exi.encode(namespace, message)
        assert data[0] == 0x80
        assert exi.decode(namespace, data) == message
        infoset = exi.to_dict(message)
        assert exi.from_dict(namespace, infoset) == message
        assert exi.decode_dict(namespace, data) == infoset
        assert exi.encode(namespace, infoset) == data

    check()


def _decode_or_refuse(namespace, data):
    """Decoding either succeeds or raises V2GDecodeError; anything else fails the test."""
    with contextlib.suppress(V2GDecodeError):
        exi.decode(namespace, data)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(MESSAGES)), st.binary(max_size=80))
def test_arbitrary_bytes_only_raise_decode_errors(namespace, data):
    _decode_or_refuse(namespace, data)
    _decode_or_refuse(namespace, b"\x80" + data)  # past the header check


@pytest.mark.parametrize("namespace", sorted(MESSAGES))
def test_corrupted_messages_only_raise_decode_errors(namespace):
    @FAST
    @given(MESSAGES[namespace], st.data())
    def check(message, data):
        encoded = bytearray(exi.encode(namespace, message))
        cut = data.draw(st.integers(0, len(encoded)))
        _decode_or_refuse(namespace, bytes(encoded[:cut]))
        for _ in range(data.draw(st.integers(1, 4))):
            bit = data.draw(st.integers(8, 8 * len(encoded) - 1))
            encoded[bit // 8] ^= 0x80 >> (bit % 8)
        _decode_or_refuse(namespace, bytes(encoded))

    check()


BODY_TYPES = [(ns, cls) for ns, module in (("din", din), ("iso2", iso2))
              for cls in body_types(module)]


@pytest.mark.parametrize(("namespace", "body_cls"), BODY_TYPES,
                         ids=[f"{ns}-{cls.__name__}" for ns, cls in BODY_TYPES])
def test_every_body_type_round_trips(namespace, body_cls):
    module = din if namespace == "din" else iso2

    @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(v2g_messages(module, body_cls))
    def check(message):
        assert exi.decode(namespace, exi.encode(namespace, message)) == message

    check()


SEQUENCE = {
    "din": ["SessionSetup", "ServiceDiscovery", "ServiceDetail", "ServicePaymentSelection",
            "PaymentDetails", "ContractAuthentication", "ChargeParameterDiscovery", "CableCheck",
            "PreCharge", "PowerDelivery", "ChargingStatus", "CurrentDemand", "MeteringReceipt",
            "WeldingDetection", "SessionStop", "CertificateInstallation", "CertificateUpdate"],
    "iso2": ["SessionSetup", "ServiceDiscovery", "ServiceDetail", "PaymentServiceSelection",
             "PaymentDetails", "Authorization", "ChargeParameterDiscovery", "CableCheck",
             "PreCharge", "PowerDelivery", "ChargingStatus", "CurrentDemand", "MeteringReceipt",
             "WeldingDetection", "SessionStop", "CertificateInstallation", "CertificateUpdate"],
}


@pytest.mark.parametrize("namespace", sorted(SEQUENCE))
def test_every_ac_and_dc_message_is_declared(namespace):
    module = din if namespace == "din" else iso2
    names = {element.name for element in module.BodyElement_element.substitutes()}
    for message in SEQUENCE[namespace]:
        assert {message + "Req", message + "Res"} <= names
