"""SDP, the SECC Discovery Protocol of ISO 15118-2 section 7.10 (also DIN SPEC 70121).

The EVCC multicasts a request (security, transport protocol) over UDP; the SECC answers with
its IPv6 address, TCP port, security and transport protocol. Both travel in V2GTP frames
(payload types 0x9000 and 0x9001).
"""

from __future__ import annotations

import enum
import ipaddress
import struct
from dataclasses import dataclass

from charger.v2g.errors import SDPError, V2GEncodeError
from charger.v2g.v2gtp import PayloadType, decode_frame, encode_frame

SDP_SERVER_PORT = 15118  # UDP port the SECC listens on
REQUEST_LENGTH = 2
RESPONSE_LENGTH = 20

_RESPONSE = struct.Struct(">16sHBB")


class Security(enum.IntEnum):
    TLS = 0x00
    NO_TLS = 0x10


class Transport(enum.IntEnum):
    TCP = 0x00
    UDP = 0x10  # reserved by the standard, listed for completeness


def _byte_of(enum_cls: type[enum.IntEnum], value: int) -> int:
    try:
        return int(enum_cls(value))
    except ValueError:
        raise V2GEncodeError(f"{value!r} is not a {enum_cls.__name__} value") from None


def _security(value: int) -> Security:
    try:
        return Security(value)
    except ValueError:
        raise SDPError(f"SDP security byte 0x{value:02X} is not 0x00 (TLS) or 0x10 "
                       "(no TLS)") from None


def _transport(value: int) -> Transport:
    try:
        return Transport(value)
    except ValueError:
        raise SDPError(f"SDP transport byte 0x{value:02X} is not 0x00 (TCP) or 0x10 "
                       "(UDP)") from None


@dataclass(frozen=True, slots=True)
class SDPRequest:
    security: Security = Security.NO_TLS
    transport: Transport = Transport.TCP

    def payload(self) -> bytes:
        return bytes((_byte_of(Security, self.security), _byte_of(Transport, self.transport)))

    def to_bytes(self) -> bytes:
        """The whole datagram: V2GTP header and payload."""
        return encode_frame(PayloadType.SDP_REQUEST, self.payload())

    @classmethod
    def from_payload(cls, payload: bytes) -> SDPRequest:
        if len(payload) != REQUEST_LENGTH:
            raise SDPError(f"SDP request payload has {len(payload)} bytes, "
                           f"expected {REQUEST_LENGTH}")
        return cls(_security(payload[0]), _transport(payload[1]))

    @classmethod
    def from_bytes(cls, datagram: bytes) -> SDPRequest:
        frame = decode_frame(datagram, payload_types=(PayloadType.SDP_REQUEST,),
                             max_payload=REQUEST_LENGTH)
        return cls.from_payload(frame.payload)


@dataclass(frozen=True, slots=True)
class SDPResponse:
    address: ipaddress.IPv6Address
    port: int
    security: Security = Security.NO_TLS
    transport: Transport = Transport.TCP

    def payload(self) -> bytes:
        try:
            address = ipaddress.ip_address(self.address)
        except ValueError:
            raise V2GEncodeError(f"{self.address!r} is not an IP address") from None
        if not isinstance(address, ipaddress.IPv6Address):
            raise V2GEncodeError(f"SDP needs an IPv6 address, got {address}")
        if not 0 <= self.port <= 0xFFFF:
            raise V2GEncodeError(f"port {self.port} does not fit 16 bits")
        return _RESPONSE.pack(address.packed, self.port, _byte_of(Security, self.security),
                              _byte_of(Transport, self.transport))

    def to_bytes(self) -> bytes:
        """The whole datagram: V2GTP header and payload."""
        return encode_frame(PayloadType.SDP_RESPONSE, self.payload())

    @classmethod
    def from_payload(cls, payload: bytes) -> SDPResponse:
        if len(payload) != RESPONSE_LENGTH:
            raise SDPError(f"SDP response payload has {len(payload)} bytes, "
                           f"expected {RESPONSE_LENGTH}")
        packed, port, security, transport = _RESPONSE.unpack(payload)
        return cls(ipaddress.IPv6Address(packed), port, _security(security),
                   _transport(transport))

    @classmethod
    def from_bytes(cls, datagram: bytes) -> SDPResponse:
        frame = decode_frame(datagram, payload_types=(PayloadType.SDP_RESPONSE,),
                             max_payload=RESPONSE_LENGTH)
        return cls.from_payload(frame.payload)
