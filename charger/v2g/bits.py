"""Bit-packed I/O for EXI: a writer that accumulates bits in one Python int, and a reader that
shifts bits out of one Python int. No per-bit objects, so each call costs a shift and a mask."""

from __future__ import annotations

from charger.v2g.errors import V2GDecodeError

# An EXI Unsigned Integer of more groups than this is refused when decoding: 2**140 is far beyond
# any V2G value (the widest is xs:integer for X509 serial numbers, at most 20 bytes).
MAX_UINT_GROUPS = 24


class BitWriter:
    __slots__ = ("acc", "nbits")

    def __init__(self) -> None:
        self.acc = 0
        self.nbits = 0

    def write(self, value: int, width: int) -> None:
        self.acc = (self.acc << width) | value
        self.nbits += width

    def uint(self, value: int) -> None:
        """EXI Unsigned Integer: 7-bit groups, least significant first, high bit = more follow."""
        if value < 0x80:
            self.acc = (self.acc << 8) | value
            self.nbits += 8
            return
        acc = self.acc
        count = 0
        while value >= 0x80:
            acc = (acc << 8) | 0x80 | (value & 0x7F)
            value >>= 7
            count += 1
        self.acc = (acc << 8) | value
        self.nbits += 8 * (count + 1)

    def raw_bytes(self, data: bytes) -> None:
        if data:
            self.acc = (self.acc << (8 * len(data))) | int.from_bytes(data, "big")
            self.nbits += 8 * len(data)

    def to_bytes(self) -> bytes:
        pad = -self.nbits % 8
        return (self.acc << pad).to_bytes((self.nbits + pad) // 8, "big")


class BitReader:
    __slots__ = ("value", "remaining")

    def __init__(self, data: bytes) -> None:
        self.value = int.from_bytes(data, "big")
        self.remaining = 8 * len(data)

    def read(self, width: int) -> int:
        remaining = self.remaining - width
        if remaining < 0:
            raise V2GDecodeError("truncated EXI stream")
        self.remaining = remaining
        return (self.value >> remaining) & ((1 << width) - 1)

    def uint(self) -> int:
        result = 0
        shift = 0
        for _ in range(MAX_UINT_GROUPS):
            remaining = self.remaining - 8
            if remaining < 0:
                raise V2GDecodeError("truncated EXI stream")
            self.remaining = remaining
            group = (self.value >> remaining) & 0xFF
            result |= (group & 0x7F) << shift
            if group < 0x80:
                return result
            shift += 7
        raise V2GDecodeError("EXI unsigned integer too long")

    def raw_bytes(self, count: int) -> bytes:
        if count == 0:
            return b""
        width = 8 * count
        return self.read(width).to_bytes(count, "big")
