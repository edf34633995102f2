"""Framing of the board's serial link: pure functions, no I/O.

A frame on the wire is ``COBS(message + CRC) + 0x00``: the protobuf message, then its CRC-32 in
little-endian order, stuffed with Consistent Overhead Byte Stuffing so that 0x00 appears only as
the delimiter. The CRC is CRC-32/JAMCRC (the reflected CRC-32 without its final inversion); the
receiver accepts a frame when the JAMCRC over the message followed by its CRC is zero.

:class:`Deframer` cuts a byte stream into frames; a frame that fails COBS, CRC or length checks
is reported as a :class:`FrameError` and the stream goes on with the next delimiter.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from cobs import cobs

DELIMITER = b"\x00"
CRC_BYTES = 4
MAX_FRAME_BYTES = 512  # longer than any message of the protocol: garbage, dropped unread


def jamcrc(data: bytes) -> int:
    """CRC-32/JAMCRC of ``data``: zlib's CRC-32 without the final inversion."""
    return zlib.crc32(data) ^ 0xFFFFFFFF


def encode(message: bytes) -> bytes:
    """The wire frame of one serialized message."""
    crc = jamcrc(message).to_bytes(CRC_BYTES, "little")
    return cobs.encode(message + crc) + DELIMITER


class FrameError(ValueError):
    """A frame that cannot be a message: bad stuffing, bad CRC, too short or too long."""


def decode(frame: bytes) -> bytes:
    """The message inside one frame (without its delimiter); :class:`FrameError` if broken."""
    if len(frame) > MAX_FRAME_BYTES:
        raise FrameError(f"frame of {len(frame)} bytes is longer than {MAX_FRAME_BYTES}")
    try:
        data = cobs.decode(frame)
    except cobs.DecodeError as exc:
        raise FrameError(f"bad COBS stuffing: {exc}") from None
    if len(data) < CRC_BYTES:
        raise FrameError(f"frame of {len(data)} bytes has no room for its CRC")
    if jamcrc(data) != 0:
        message, crc = data[:-CRC_BYTES], int.from_bytes(data[-CRC_BYTES:], "little")
        raise FrameError(f"CRC mismatch: frame says {crc:08x}, message gives "
                         f"{jamcrc(message):08x}")
    return data[:-CRC_BYTES]


@dataclass
class Deframer:
    """Cuts a byte stream into messages; keeps an unfinished frame for the next ``feed``."""

    _pending: bytearray | None = None
    _overflow: bool = False  # the current frame grew too long: skip to the next delimiter

    def feed(self, data: bytes) -> Iterator[bytes | FrameError]:
        """Messages (bytes) and broken frames (FrameError) completed by ``data``, in order."""
        if self._pending is None:
            self._pending = bytearray()
        for chunk_end, piece in _split_keep(data):
            if self._overflow:
                if chunk_end:
                    self._overflow = False
                    self._pending.clear()
                continue
            self._pending += piece
            if len(self._pending) > MAX_FRAME_BYTES:
                yield FrameError(f"no delimiter within {MAX_FRAME_BYTES} bytes")
                self._pending.clear()
                self._overflow = not chunk_end
                continue
            if not chunk_end:
                continue
            frame, self._pending = bytes(self._pending), bytearray()
            if not frame:
                continue  # back-to-back delimiters: nothing between them
            try:
                yield decode(frame)
            except FrameError as exc:
                yield exc


def _split_keep(data: bytes) -> Iterator[tuple[bool, bytes]]:
    """(ends at a delimiter, bytes before it) for each piece of ``data``."""
    start = 0
    while True:
        end = data.find(DELIMITER, start)
        if end < 0:
            if start < len(data):
                yield False, data[start:]
            return
        yield True, data[start:end]
        start = end + 1
