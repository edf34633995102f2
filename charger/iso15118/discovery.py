"""SDP on a real interface: the SECC's UDP server and the EVCC's client (ISO 15118-2 7.10).

The EVCC multicasts an SDP request to ff02::1 on UDP port 15118 of its interface and repeats
it every TP_EVCC_SDP_Retry, at most SDP_MAX_REQUESTS times; the SECC answers with its
link-local address and TCP port. Both are pumps of the wall-clock environment, like
:mod:`charger.iso15118.tcp`; malformed datagrams are counted and ignored.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Generator

import simpy

from charger.framework.wallclock import SocketReader, WallClockEnvironment
from charger.iso15118.timeouts import SDP_MAX_REQUESTS, Timeouts
from charger.v2g.errors import V2GDecodeError
from charger.v2g.sdp import SDP_SERVER_PORT, SDPRequest, SDPResponse, Security, Transport

ALL_NODES = "ff02::1"


class SdpServer(SocketReader):
    """Answers SDP requests on an interface with the SECC's address and TCP port."""

    def __init__(self, env: WallClockEnvironment, interface_index: int, address: str,
                 tcp_port: int, port: int = SDP_SERVER_PORT):
        self.env = env
        self.response = SDPResponse(address, tcp_port, Security.NO_TLS, Transport.TCP)
        self.requests = 0
        self.refused = 0  # malformed datagrams, or TLS asked (this SECC offers TCP only)
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("::", port, 0, 0))
        group = socket.inet_pton(socket.AF_INET6, ALL_NODES) + struct.pack("@I", interface_index)
        with contextlib.suppress(OSError):  # the all-nodes group is joined already on Linux
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, group)
        sock.setblocking(False)
        self.sock: socket.socket | None = sock
        env.attach(self)

    def readable(self) -> None:
        if self.sock is None:
            return
        try:
            datagram, source = self.sock.recvfrom(512)
        except OSError:
            return
        try:
            SDPRequest.from_bytes(datagram)
        except V2GDecodeError:
            self.refused += 1
            return
        self.requests += 1
        with contextlib.suppress(OSError):
            self.sock.sendto(self.response.to_bytes(), source)



class SdpClient(SocketReader):
    """Finds the SECC on an interface; :attr:`found` succeeds with the SDPResponse or fails
    with :class:`TimeoutError` after SDP_MAX_REQUESTS unanswered requests."""

    def __init__(self, env: WallClockEnvironment, interface_index: int,
                 timeouts: Timeouts | None = None, server_port: int = SDP_SERVER_PORT):
        self.env = env
        self.index = interface_index
        self.server_port = server_port
        self.timeouts = timeouts or Timeouts()
        self.found: simpy.Event = env.event()
        self.sent = 0
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, interface_index)
        sock.bind(("::", 0, 0, 0))
        sock.setblocking(False)
        self.sock: socket.socket | None = sock
        env.attach(self)
        env.process(self._ask())

    def _ask(self) -> Generator:
        request = SDPRequest(Security.NO_TLS, Transport.TCP).to_bytes()
        while not self.found.triggered and self.sent < SDP_MAX_REQUESTS:
            if self.sock is not None:
                with contextlib.suppress(OSError):
                    self.sock.sendto(request, (ALL_NODES, self.server_port, 0, self.index))
            self.sent += 1
            yield self.env.timeout(self.timeouts["sdp_retry"])
        if not self.found.triggered:
            self.found.fail(TimeoutError(f"no SDP response to {self.sent} requests"))
            self.found.defused = True
        self.close()

    def readable(self) -> None:
        if self.sock is None:
            return
        try:
            datagram, _source = self.sock.recvfrom(512)
        except OSError:
            return
        try:
            response = SDPResponse.from_bytes(datagram)
        except V2GDecodeError:
            return
        self.env.post(lambda: self.found.triggered or self.found.succeed(response))

