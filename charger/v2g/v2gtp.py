"""V2GTP, the V2G Transfer Protocol header of ISO 15118-2 section 7.8.3 (also DIN SPEC 70121).

A frame is an 8-byte header (protocol version 0x01, its inverse 0xFE, a 2-byte payload type,
a 4-byte payload length, all big-endian) followed by the payload. Over TCP frames arrive in
arbitrary chunks; :class:`FrameReassembler` turns chunks into whole frames and refuses a
header that is wrong before buffering its payload.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from charger.v2g.errors import V2GEncodeError, V2GTPError

PROTOCOL_VERSION = 0x01
INVERSE_PROTOCOL_VERSION = 0xFE
HEADER_LENGTH = 8
# No V2G message of ISO 15118-2 or DIN SPEC 70121 comes near this; a larger announced length
# means a broken or hostile peer, refused before anything is buffered.
DEFAULT_MAX_PAYLOAD = 64 * 1024

_HEADER = struct.Struct(">BBHI")


class PayloadType(enum.IntEnum):
    EXI = 0x8001  # EXI-encoded V2G message
    SDP_REQUEST = 0x9000
    SDP_RESPONSE = 0x9001


@dataclass(frozen=True, slots=True)
class V2GTPFrame:
    payload_type: int
    payload: bytes

    def to_bytes(self) -> bytes:
        return encode_frame(self.payload_type, self.payload)


def encode_frame(payload_type: int, payload: bytes) -> bytes:
    if not 0 <= payload_type <= 0xFFFF:
        raise V2GEncodeError(f"payload type 0x{payload_type:X} does not fit 16 bits")
    if len(payload) > 0xFFFFFFFF:
        raise V2GEncodeError("payload longer than 2**32 - 1 bytes")
    return _HEADER.pack(PROTOCOL_VERSION, INVERSE_PROTOCOL_VERSION, payload_type,
                        len(payload)) + bytes(payload)


def decode_header(
    header: bytes,
    *,
    payload_types: Iterable[int] | None = None,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
) -> tuple[int, int]:
    """Check an 8-byte header; return (payload type, payload length)."""
    if len(header) < HEADER_LENGTH:
        raise V2GTPError(f"V2GTP header needs {HEADER_LENGTH} bytes, got {len(header)}")
    version, inverse, payload_type, length = _HEADER.unpack_from(header)
    if version != PROTOCOL_VERSION or inverse != INVERSE_PROTOCOL_VERSION:
        raise V2GTPError(f"V2GTP version 0x{version:02X}/0x{inverse:02X}, expected "
                         f"0x{PROTOCOL_VERSION:02X}/0x{INVERSE_PROTOCOL_VERSION:02X}")
    allowed = set(PayloadType) if payload_types is None else set(payload_types)
    if payload_type not in allowed:
        raise V2GTPError(f"V2GTP payload type 0x{payload_type:04X} is not accepted here")
    if length > max_payload:
        raise V2GTPError(f"V2GTP payload length {length} exceeds the limit of {max_payload}")
    return payload_type, length


def decode_frame(
    data: bytes,
    *,
    payload_types: Iterable[int] | None = None,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
) -> V2GTPFrame:
    """Decode exactly one frame (a UDP datagram, or a buffer known to hold one frame)."""
    payload_type, length = decode_header(data, payload_types=payload_types,
                                         max_payload=max_payload)
    actual = len(data) - HEADER_LENGTH
    if actual != length:
        raise V2GTPError(f"V2GTP header announces {length} payload bytes, {actual} present")
    return V2GTPFrame(payload_type, bytes(data[HEADER_LENGTH:]))


class FrameReassembler:
    """Collect TCP chunks and yield complete frames.

    After a bad header the stream cannot be resynchronised (V2GTP has no frame marker), so the
    error is raised and every later call raises it again."""

    def __init__(
        self,
        *,
        payload_types: Iterable[int] | None = None,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> None:
        self._buffer = bytearray()
        self._payload_types = None if payload_types is None else frozenset(payload_types)
        self._max_payload = max_payload
        self._header: tuple[int, int] | None = None
        self._error: V2GTPError | None = None

    @property
    def pending(self) -> int:
        """Bytes received that do not yet make a complete frame."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> list[V2GTPFrame]:
        """Add a chunk; return every frame it completes, in order (often none)."""
        if self._error is not None:
            raise self._error
        self._buffer += chunk
        frames: list[V2GTPFrame] = []
        while True:
            if self._header is None:
                if len(self._buffer) < HEADER_LENGTH:
                    return frames
                try:
                    self._header = decode_header(self._buffer[:HEADER_LENGTH],
                                                 payload_types=self._payload_types,
                                                 max_payload=self._max_payload)
                except V2GTPError as exc:
                    self._error = exc
                    self._buffer.clear()
                    raise
            payload_type, length = self._header
            end = HEADER_LENGTH + length
            if len(self._buffer) < end:
                return frames
            frames.append(V2GTPFrame(payload_type, bytes(self._buffer[HEADER_LENGTH:end])))
            del self._buffer[:end]
            self._header = None


def iter_frames(
    chunks: Iterable[bytes],
    *,
    payload_types: Iterable[int] | None = None,
    max_payload: int = DEFAULT_MAX_PAYLOAD,
) -> Iterator[V2GTPFrame]:
    """Yield the frames carried by a sequence of chunks; a trailing partial frame is an error."""
    reassembler = FrameReassembler(payload_types=payload_types, max_payload=max_payload)
    for chunk in chunks:
        yield from reassembler.feed(chunk)
    if reassembler.pending:
        raise V2GTPError(f"stream ended inside a frame ({reassembler.pending} bytes pending)")
