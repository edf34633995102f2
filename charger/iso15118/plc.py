"""V2G over the PLC modem's data frames: SDP (UDP) and a reliable byte stream (TCP) on IPv6.

After SLAC has matched, the car's and the charger's modems hold one network key and carry data
frames between the two hosts only (``sim.hal.plc_channel``). This module is the IPv6 host each
side runs on top of a ``plc_link`` port, in simulated time, so that the SECC and the EVCC talk
exactly as they would over a real modem:

* frames are Ethernet II / IPv6 / UDP or TCP with correct checksums (``tests/hlc`` parses them
  with scapy); addresses are link-local EUI-64 addresses of the hosts' MACs, so a destination MAC
  is read back from the address and no neighbour discovery is needed;
* SDP: the EVCC multicasts its request to ff02::1 port 15118 every TP_EVCC_SDP_Retry, at most
  SDP_MAX_REQUESTS times; the SECC answers with its address and TCP port;
* TCP: a three-way handshake, in-order delivery with cumulative acknowledgements (piggybacked,
  or a pure ACK after ``DELAYED_ACK_S``), go-back-N retransmission after ``RTO_S`` doubling up to
  ``MAX_RETRANSMISSIONS`` times, after which the connection is reset, FIN to close and RST for an
  unknown connection.

Loss on the simulated line (``PlcLink``'s ``loss``) therefore costs time, not bytes: a lost segment
is sent again after the retransmission timeout (300 ms: Linux's 200 ms minimum above a delayed
ACK of 150 ms), which a V2G message timeout may or may not survive (the charging loop's 250 ms
does not), as with a real modem.
The header packing is hand-written with ``struct`` rather than scapy because it runs for every
frame of a 30-minute session; the tests hold it to scapy's parser.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Callable, Generator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import simpy

from charger.iso15118.link import Link
from charger.iso15118.timeouts import SDP_MAX_REQUESTS, Timeouts
from charger.v2g.errors import V2GDecodeError
from charger.v2g.sdp import SDP_SERVER_PORT, SDPRequest, SDPResponse, Security, Transport

ETHERTYPE_IPV6 = 0x86DD
ALL_NODES = ipaddress.IPv6Address("ff02::1")
PROTO_TCP, PROTO_UDP = 6, 17
HOP_LIMIT = 255
MSS = 1220  # bytes of payload per segment (the IPv6 minimum MTU less headers)
RTO_S = 0.3  # first retransmission timeout (above the delayed ACK and the round trip)
MAX_RETRANSMISSIONS = 6
DELAYED_ACK_S = 0.15  # within Linux's 40-200 ms: the car's next request usually carries it
_IPV6_HEX = f"{ETHERTYPE_IPV6:04X}"
SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08
FIRST_EPHEMERAL_PORT = 49152  # ISO 15118-2: the SECC's port is in the dynamic range

_ETH = struct.Struct(">6s6sH")
_IP6 = struct.Struct(">IHBB16s16s")
_TCP = struct.Struct(">HHIIBBHHH")
_UDP = struct.Struct(">HHHH")


class DataFrameError(ValueError):
    """A data frame this host cannot use (not IPv6, truncated, a bad checksum)."""


def link_local(mac: str) -> ipaddress.IPv6Address:
    """The EUI-64 link-local address of a MAC address."""
    octets = bytes.fromhex(mac.replace(":", ""))
    eui = bytes((octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:]))
    return ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui)


def mac_of(address: ipaddress.IPv6Address) -> bytes:
    """The MAC a frame to ``address`` goes to: multicast 33:33:xx, or the EUI-64's MAC."""
    packed = address.packed
    if address.is_multicast:
        return b"\x33\x33" + packed[12:]
    eui = packed[8:]
    return bytes((eui[0] ^ 0x02, *eui[1:3], *eui[5:]))


def _checksum(data: bytes) -> int:
    """The Internet checksum. The one's complement sum of the 16-bit words is the whole as one
    number modulo 0xFFFF (2**16 is 1 modulo 0xFFFF), except that a sum of words that is a
    nonzero multiple of 0xFFFF folds to 0xFFFF, not 0."""
    if len(data) % 2:
        data += b"\0"
    number = int.from_bytes(data, "big")
    total = number % 0xFFFF
    if total == 0 and number:
        total = 0xFFFF
    return ~total & 0xFFFF


@lru_cache(maxsize=256)
def _address(packed: bytes) -> ipaddress.IPv6Address:
    """The address of 16 bytes, made once: a line carries frames between a few hosts."""
    return ipaddress.IPv6Address(packed)


@lru_cache(maxsize=256)
def address_text(address: ipaddress.IPv6Address) -> str:
    """An address as text (compressed), formatted once per address."""
    return str(address)


def _pseudo(src: bytes, dst: bytes, length: int, proto: int) -> bytes:
    return src + dst + struct.pack(">IxxxB", length, proto)


@dataclass(frozen=True)
class Packet:
    """The parts of a data frame a host reads."""

    src: ipaddress.IPv6Address
    dst: ipaddress.IPv6Address
    proto: int
    src_port: int
    dst_port: int
    payload: bytes
    seq: int = 0
    ack: int = 0
    flags: int = 0


def build_frame(src_mac: bytes, packet: Packet) -> bytes:
    """Ethernet II / IPv6 / TCP or UDP, checksums filled in."""
    src, dst = packet.src.packed, packet.dst.packed
    if packet.proto == PROTO_TCP:
        header = _TCP.pack(packet.src_port, packet.dst_port, packet.seq, packet.ack, 5 << 4,
                           packet.flags, 65535, 0, 0)
        segment = header + packet.payload
        checksum = _checksum(_pseudo(src, dst, len(segment), PROTO_TCP) + segment)
        segment = segment[:16] + struct.pack(">H", checksum) + segment[18:]
    else:
        length = _UDP.size + len(packet.payload)
        segment = _UDP.pack(packet.src_port, packet.dst_port, length, 0) + packet.payload
        checksum = _checksum(_pseudo(src, dst, length, PROTO_UDP) + segment) or 0xFFFF
        segment = segment[:6] + struct.pack(">H", checksum) + segment[8:]
    ip = _IP6.pack(6 << 28, len(segment), packet.proto, HOP_LIMIT, src, dst)
    return _ETH.pack(mac_of(packet.dst), src_mac, ETHERTYPE_IPV6) + ip + segment


def parse_frame(raw: bytes) -> tuple[bytes, Packet]:
    """(destination MAC, packet) of a frame, or DataFrameError saying why not.

    Shared by every caller that parses the same bytes (the line describes a frame for the
    timeline, then the host reads it); a Packet does not change."""
    return _parse_frame(bytes(raw))


@lru_cache(maxsize=64)
def _parse_frame(raw: bytes) -> tuple[bytes, Packet]:
    if len(raw) < _ETH.size + _IP6.size:
        raise DataFrameError(f"{len(raw)} bytes is too short for IPv6")
    dst_mac, _src_mac, ethertype = _ETH.unpack_from(raw)
    if ethertype != ETHERTYPE_IPV6:
        raise DataFrameError(f"EtherType 0x{ethertype:04X} is not IPv6")
    version, length, proto, _hops, src, dst = _IP6.unpack_from(raw, _ETH.size)
    if version >> 28 != 6:
        raise DataFrameError("IP version is not 6")
    start = _ETH.size + _IP6.size
    segment = raw[start:start + length]
    if len(segment) != length:
        raise DataFrameError(f"IPv6 payload length {length} beyond the frame")
    if _checksum(_pseudo(src, dst, length, proto) + segment) != 0:
        raise DataFrameError("bad checksum")
    source, destination = _address(src), _address(dst)
    if proto == PROTO_TCP and length >= _TCP.size:
        sport, dport, seq, ack, offset, flags, *_ = _TCP.unpack_from(segment)
        data_at = (offset >> 4) * 4
        if data_at < _TCP.size or data_at > length:
            raise DataFrameError("bad TCP data offset")
        return dst_mac, Packet(source, destination, proto, sport, dport, segment[data_at:],
                               seq, ack, flags)
    if proto == PROTO_UDP and length >= _UDP.size:
        sport, dport, udp_length, _ = _UDP.unpack_from(segment)
        if udp_length != length:
            raise DataFrameError("UDP length disagrees with IPv6's")
        return dst_mac, Packet(source, destination, proto, sport, dport, segment[_UDP.size:])
    raise DataFrameError(f"next header {proto} ({length} bytes) is neither TCP nor UDP")


def _after(seq: int, other: int) -> bool:
    """seq is later than other, modulo 2**32."""
    return 0 < (seq - other) % 2**32 < 2**31


class PlcTcpLink(Link):
    """One TCP connection over the PLC host: a V2G session's byte stream."""

    def __init__(self, host: PlcHost, remote: ipaddress.IPv6Address, remote_port: int,
                 local_port: int, isn: int):
        super().__init__(host.env)
        self.host = host
        self.remote, self.remote_port, self.local_port = remote, remote_port, local_port
        self.snd_una = self.snd_nxt = isn
        self.rcv_nxt = 0
        self.established = False
        self.unacked: list[tuple[int, int, bytes]] = []  # (seq, flags, payload)
        self.retransmissions = 0
        self._timer = 0  # generation of the pending retransmission timer
        self._ack_pending = False
        self._ack_timer = 0  # generation of the pending delayed ACK's timer
        self.on_established: Callable[[PlcTcpLink], None] = lambda _link: None
        self.fin_received = False

    # --- the Link interface ----------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if not self.is_open:
            return
        for start in range(0, len(data), MSS):
            self._send_segment(PSH | ACK, bytes(data[start:start + MSS]))

    def close(self, reason: str = "closed") -> None:
        if not self.is_open:
            return
        self.is_open = False
        if self.established:
            self._send_segment(FIN | ACK, b"")
        else:
            self._forget()

    # --- sending ---------------------------------------------------------------------------
    def _send_segment(self, flags: int, payload: bytes) -> None:
        seq = self.snd_nxt
        self.snd_nxt = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) % 2**32
        self.unacked.append((seq, flags, payload))
        self._transmit(seq, flags, payload)
        if len(self.unacked) == 1:
            self._arm_retransmission(RTO_S)

    def _transmit(self, seq: int, flags: int, payload: bytes) -> None:
        ack = self.rcv_nxt if flags & ACK else 0
        self._ack_pending = False
        self.host.transmit(Packet(self.host.address, self.remote, PROTO_TCP, self.local_port,
                                  self.remote_port, payload, seq, ack, flags))

    def _arm_retransmission(self, after_s: float) -> None:
        self._timer += 1
        generation = self._timer

        def fire(_event: Any) -> None:
            if generation == self._timer and self.unacked:
                self._retransmit(after_s)

        self.env.timeout(after_s).callbacks.append(fire)

    def _retransmit(self, waited_s: float) -> None:
        self.retransmissions += 1
        if self.retransmissions > MAX_RETRANSMISSIONS:
            self._reset("no acknowledgement after "
                        f"{MAX_RETRANSMISSIONS} retransmissions")
            return
        for seq, flags, payload in self.unacked:  # go back N
            self._transmit(seq, flags, payload)
        self._arm_retransmission(waited_s * 2)

    def _schedule_ack(self) -> None:
        """Acknowledge within DELAYED_ACK_S of the first segment not yet acknowledged, unless
        data carries the ACK first. The timer is of that segment: one a piggybacked ACK made
        needless must not fire for a later segment, which has its own delay (else the answer
        to every request, arriving before the previous request's timer, drew a pure ACK)."""
        if self._ack_pending:
            return
        self._ack_pending = True
        self._ack_timer += 1
        generation = self._ack_timer

        def fire(_event: Any) -> None:
            if self._ack_pending and generation == self._ack_timer:  # nothing carried it
                self._transmit(self.snd_nxt, ACK, b"")

        self.env.timeout(DELAYED_ACK_S).callbacks.append(fire)

    # --- receiving -------------------------------------------------------------------------
    def receive(self, packet: Packet) -> None:
        if packet.flags & RST:
            self._forget()
            self._closed("connection reset by the peer")
            return
        if packet.flags & SYN:
            if packet.flags & ACK:  # the client hears the server's answer
                self.rcv_nxt = (packet.seq + 1) % 2**32
                self._acknowledged(packet.ack)  # establishes the connection
                self._transmit(self.snd_nxt, ACK, b"")  # (again, if our ACK was lost)
            elif not self.unacked and not self.established:  # the server hears a new SYN
                self.rcv_nxt = (packet.seq + 1) % 2**32
                self._send_segment(SYN | ACK, b"")
            return  # a repeated SYN: our SYN+ACK is retransmitted on its timer
        if packet.flags & ACK:
            self._acknowledged(packet.ack)
        if not self.established:
            return
        length = len(packet.payload) + (1 if packet.flags & FIN else 0)
        if length == 0:
            return
        if packet.seq != self.rcv_nxt:
            self._transmit(self.snd_nxt, ACK, b"")  # out of order or repeated: say where we are
            return
        self.rcv_nxt = (self.rcv_nxt + length) % 2**32
        if not packet.flags & FIN:
            self._schedule_ack()  # before the payload's reader, whose answer may carry the ACK
        if packet.payload and self.is_open:
            self.on_receive(packet.payload)
        if packet.flags & FIN:
            self._transmit(self.snd_nxt, ACK, b"")
            if not self.fin_received:
                self.fin_received = True
                if self.is_open:
                    self.is_open = False
                    self._send_segment(FIN | ACK, b"")
                    self.on_close("closed by the peer")
                self._forget_when_acked()

    def _acknowledged(self, ack: int) -> None:
        if not self.unacked or not _after(ack, self.snd_una):
            return
        self.snd_una = ack
        self.unacked = [s for s in self.unacked
                        if _after((s[0] + len(s[2]) + (1 if s[1] & (SYN | FIN) else 0)) % 2**32,
                                  ack)]
        self.retransmissions = 0
        if self.unacked:
            self._arm_retransmission(RTO_S)
        else:
            self._timer += 1
            if not self.is_open:
                self._forget_when_acked()
        if not self.established and self.unacked == [] and self.snd_una == self.snd_nxt:
            self.established = True
            self.on_established(self)

    def _forget_when_acked(self) -> None:
        if not self.unacked and not self.is_open:
            self._forget()

    def _reset(self, reason: str) -> None:
        self.host.transmit(Packet(self.host.address, self.remote, PROTO_TCP, self.local_port,
                                  self.remote_port, b"", self.snd_nxt, 0, RST))
        self._forget()
        was_open = self.is_open
        self.is_open = False
        if was_open:
            self.on_close(reason)

    def _forget(self) -> None:
        self.unacked = []
        self._timer += 1
        self.host.forget(self)

    def abort(self, reason: str) -> None:
        """The data link is gone: no more frames, the engine hears why."""
        self.unacked = []
        self._timer += 1
        self._closed(reason)


class PlcHost:
    """The IPv6 host of one side on one PLC port: SDP and TCP over its modem's data frames.

    ``send_frame(raw)`` hands a frame to the modem; whatever the modem passes up goes to
    :meth:`receive`. A server :meth:`listen`\\ s (and answers SDP); a client :meth:`discover`\\ s
    and :meth:`connect`\\ s.
    """

    def __init__(self, env: simpy.Environment, mac: str, send_frame: Callable[[bytes], None],
                 rng: Any):
        self.env = env
        self.mac = bytes.fromhex(mac.replace(":", ""))
        self.address = link_local(mac)
        self.send_frame = send_frame
        self.rng = rng
        self.links: dict[tuple[ipaddress.IPv6Address, int, int], PlcTcpLink] = {}
        self.listening: dict[int, Callable[[PlcTcpLink], None]] = {}
        self.sdp_port: int | None = None  # the TCP port SDP offers (server)
        self._sdp_answer: simpy.Event | None = None  # a client waiting for an SDP response
        self.refused = 0  # frames refused (malformed) so far
        self.up = True

    def transmit(self, packet: Packet) -> None:
        if self.up:
            self.send_frame(build_frame(self.mac, packet))

    def receive(self, raw: bytes) -> None:
        if not self.up:
            return
        try:
            dst_mac, packet = parse_frame(raw)
        except DataFrameError:
            self.refused += 1
            return
        if dst_mac != self.mac and dst_mac[:2] != b"\x33\x33":
            return  # for another host on the line
        if packet.proto == PROTO_UDP:
            self._udp(packet)
            return
        key = (packet.src, packet.src_port, packet.dst_port)
        link = self.links.get(key)
        if link is None:
            on_accept = self.listening.get(packet.dst_port)
            if on_accept is None or packet.flags & (SYN | ACK) != SYN:
                if not packet.flags & RST:
                    self.transmit(Packet(self.address, packet.src, PROTO_TCP, packet.dst_port,
                                         packet.src_port, b"", packet.ack, 0, RST))
                return
            link = PlcTcpLink(self, packet.src, packet.src_port, packet.dst_port,
                              self.rng.getrandbits(32))
            link.on_established = on_accept
            self.links[key] = link
        link.receive(packet)

    def forget(self, link: PlcTcpLink) -> None:
        key = (link.remote, link.remote_port, link.local_port)
        if self.links.get(key) is link:
            del self.links[key]

    def shut_down(self, reason: str) -> None:
        """The data link went down: every connection ends with ``reason``."""
        self.up = False
        for link in list(self.links.values()):
            link.abort(reason)
        self.links.clear()

    # --- server ----------------------------------------------------------------------------
    def listen(self, on_accept: Callable[[PlcTcpLink], None], port: int | None = None) -> int:
        """Accept connections on ``port`` (a dynamic port by default) and offer it by SDP."""
        port = port or FIRST_EPHEMERAL_PORT + self.rng.randrange(16384)
        self.listening[port] = on_accept
        self.sdp_port = port
        return port

    # --- client ----------------------------------------------------------------------------
    def discover(self, timeouts: Timeouts) -> Generator:
        """SDP: (address, port) of the SECC; TimeoutError after SDP_MAX_REQUESTS requests."""
        request = SDPRequest(Security.NO_TLS, Transport.TCP).to_bytes()
        local_port = FIRST_EPHEMERAL_PORT + self.rng.randrange(16384)
        self._sdp_answer = self.env.event()
        for _ in range(SDP_MAX_REQUESTS):
            if not self.up:
                break
            self.transmit(Packet(self.address, ALL_NODES, PROTO_UDP, local_port,
                                 SDP_SERVER_PORT, request))
            outcome = yield self._sdp_answer | self.env.timeout(timeouts["sdp_retry"])
            if self._sdp_answer in outcome:
                response: SDPResponse = outcome[self._sdp_answer]
                self._sdp_answer = None
                return response.address, response.port
        self._sdp_answer = None
        raise TimeoutError(f"no SDP response to {SDP_MAX_REQUESTS} requests")

    def connect(self, address: ipaddress.IPv6Address, port: int,
                on_connected: Callable[[PlcTcpLink], None]) -> PlcTcpLink:
        local_port = FIRST_EPHEMERAL_PORT + self.rng.randrange(16384)
        link = PlcTcpLink(self, address, port, local_port, self.rng.getrandbits(32))
        link.on_established = on_connected
        self.links[(address, port, local_port)] = link
        link._send_segment(SYN, b"")
        return link

    def _udp(self, packet: Packet) -> None:
        try:
            if packet.dst_port == SDP_SERVER_PORT and self.sdp_port is not None:
                SDPRequest.from_bytes(packet.payload)
                answer = SDPResponse(self.address, self.sdp_port, Security.NO_TLS,
                                     Transport.TCP).to_bytes()
                self.transmit(Packet(self.address, packet.src, PROTO_UDP, SDP_SERVER_PORT,
                                     packet.src_port, answer))
            elif self._sdp_answer is not None and not self._sdp_answer.triggered:
                self._sdp_answer.succeed(SDPResponse.from_bytes(packet.payload))
        except V2GDecodeError:
            self.refused += 1


class PlcPort:
    """A module's IPv6 host on one port of a ``plc_link`` requirement (the bus side).

    The host exists while the data link is up (SLAC's ``dlink_ready``): :meth:`up` makes a fresh
    one, :meth:`down` ends every connection on it with the reason. Frames go out as the link's
    ``send_frame`` command; received frames of this port that are not SLAC's go to the host.
    """

    def __init__(self, env: simpy.Environment, plc: Any, port: int, mac: str, rng: Any):
        self.env, self.plc, self.port, self.mac, self.rng = env, plc, port, mac, rng
        self.host: PlcHost | None = None
        plc.subscribe("received", self._on_received)

    def up(self) -> PlcHost:
        self.down("the data link was set up again")
        self.host = PlcHost(self.env, self.mac, self._send, self.rng)
        return self.host

    def down(self, reason: str) -> None:
        host, self.host = self.host, None
        if host is not None:
            host.shut_down(reason)

    def _send(self, raw: bytes) -> None:
        # One way: the frame's row is its command (and the peer's ``received``); the modem's
        # answer says nothing a host acts on.
        self.plc.notify("send_frame", port=self.port, frame=raw.hex())

    def _on_received(self, value: dict) -> None:
        if value["port"] != self.port or self.host is None:
            return
        frame = value["frame"]
        if frame[24:28].upper() == _IPV6_HEX:  # SLAC frames are the SLAC module's
            self.host.receive(bytes.fromhex(frame))
