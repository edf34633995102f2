"""The SDP server on the wall clock: it answers a valid request with the SECC's address and
port, and counts and ignores malformed datagrams (hypothesis-generated) without failing."""

from __future__ import annotations

import select
import socket

from hypothesis import given, settings
from hypothesis import strategies as st

from charger.framework.wallclock import WallClockEnvironment
from charger.iso15118.discovery import SdpServer
from charger.v2g.sdp import SDPRequest, SDPResponse


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
        probe.bind(("::1", 0))
        return probe.getsockname()[1]


ENV = WallClockEnvironment(factor=0.01)
PORT = _free_udp_port()
SERVER = SdpServer(ENV, socket.if_nametoindex("lo"), "fe80::1", 50123, port=PORT)


def _exchange(datagram: bytes) -> bytes | None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as client:
        client.sendto(datagram, ("::1", PORT))
        ENV.run(until=ENV.now + 5)  # 50 ms of wall time at factor 0.01
        ready, _, _ = select.select([client], [], [], 0.1)
        return client.recv(512) if ready else None


def test_a_request_gets_the_address_and_port() -> None:
    reply = _exchange(SDPRequest().to_bytes())
    assert reply is not None
    response = SDPResponse.from_bytes(reply)
    assert (str(response.address), response.port) == ("fe80::1", 50123)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=40))
def test_malformed_datagrams_are_ignored(datagram: bytes) -> None:
    try:
        SDPRequest.from_bytes(datagram)
        valid = True
    except ValueError:
        valid = False
    refused = SERVER.refused
    reply = _exchange(datagram)
    assert (reply is not None) == valid
    assert SERVER.refused == refused + (0 if valid else 1)
