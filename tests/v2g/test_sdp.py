"""SDP request and response, byte for byte."""

import ipaddress

import pytest

from charger.v2g.errors import SDPError, V2GEncodeError, V2GTPError
from charger.v2g.sdp import SDPRequest, SDPResponse, Security, Transport


def test_request_bytes():
    data = SDPRequest(Security.NO_TLS, Transport.TCP).to_bytes()
    assert data == bytes.fromhex("01fe9000" "00000002" "1000")
    assert SDPRequest.from_bytes(data) == SDPRequest(Security.NO_TLS, Transport.TCP)
    assert SDPRequest.from_bytes(bytes.fromhex("01fe900000000002" "0000")).security is Security.TLS


def test_response_bytes():
    response = SDPResponse(ipaddress.IPv6Address("fe80::1"), 50000, Security.TLS, Transport.TCP)
    data = response.to_bytes()
    assert data[:8] == bytes.fromhex("01fe9001" "00000014")
    assert data[8:24] == ipaddress.IPv6Address("fe80::1").packed
    assert data[24:] == bytes.fromhex("c350" "00" "00")
    assert SDPResponse.from_bytes(data) == response


@pytest.mark.parametrize(
    ("datagram", "error"),
    [
        ("01fe900000000002" "2000", SDPError),  # undefined security
        ("01fe900000000002" "1001", SDPError),  # undefined transport
        ("01fe900000000003" "100000", V2GTPError),  # too long
        ("01fe900100000002" "1000", V2GTPError),  # a response where a request belongs
        ("01fe9000000000", V2GTPError),  # truncated header
    ],
)
def test_bad_requests(datagram, error):
    with pytest.raises(error):
        SDPRequest.from_bytes(bytes.fromhex(datagram))


def test_bad_responses():
    with pytest.raises(SDPError, match="19 bytes"):
        SDPResponse.from_bytes(bytes.fromhex("01fe900100000013") + bytes(19))  # 19 bytes
    with pytest.raises(SDPError):
        SDPResponse.from_payload(bytes(16) + bytes.fromhex("c350" "ff" "00"))


def test_response_needs_ipv6_and_a_16_bit_port():
    with pytest.raises(V2GEncodeError):
        SDPResponse(ipaddress.ip_address("192.0.2.1"), 50000).to_bytes()
    with pytest.raises(V2GEncodeError):
        SDPResponse(ipaddress.IPv6Address("fe80::1"), 70000).to_bytes()
    with pytest.raises(V2GEncodeError):
        SDPRequest(0x20, Transport.TCP).to_bytes()
