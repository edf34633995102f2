"""Bit-packed I/O for EXI without per-bit objects.

The writer accumulates bits in one Python int and moves whole bytes out to a bytearray once it
holds a few hundred bytes; the reader shifts bits out of an int window over the input, refilled
from the bytes as it drains. Either way a shift costs in proportion to the window, not to the
message, so an 8 KB certificate message costs no more per bit than a 20-byte one.
"""

from __future__ import annotations

from charger.v2g.errors import V2GDecodeError

# An EXI Unsigned Integer of more groups than this is refused when decoding: 2**168 is far beyond
# any V2G value (the widest is xs:integer for X509 serial numbers, at most 20 bytes).
MAX_UINT_GROUPS = 24
FLUSH_BITS = 4096  # writer: move whole bytes out beyond this
_WINDOW_BYTES = 256  # reader: bytes loaded per refill


class BitWriter:
    __slots__ = ("acc", "nbits", "out")

    def __init__(self) -> None:
        self.acc = 0
        self.nbits = 0
        self.out = bytearray()

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
            if self.nbits > FLUSH_BITS:
                self.flush()

    def flush(self) -> None:
        """Move the whole bytes accumulated so far out of the int."""
        keep = self.nbits % 8
        whole = self.nbits // 8
        self.out += (self.acc >> keep).to_bytes(whole, "big")
        self.acc &= (1 << keep) - 1
        self.nbits = keep

    def bit_length(self) -> int:
        """Bits written so far."""
        return 8 * len(self.out) + self.nbits

    def to_bytes(self) -> bytes:
        pad = -self.nbits % 8
        tail = (self.acc << pad).to_bytes((self.nbits + pad) // 8, "big")
        return bytes(self.out) + tail if self.out else tail


class BitReader:
    __slots__ = ("data", "next_byte", "window", "avail")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.next_byte = 0  # first byte not yet in the window
        self.window = 0  # the low ``avail`` bits are unread
        self.avail = 0

    @property
    def remaining(self) -> int:
        """Bits not yet read."""
        return self.avail + 8 * (len(self.data) - self.next_byte)

    def _refill(self, width: int) -> None:
        count = max(_WINDOW_BYTES, (width - self.avail + 7) // 8)
        chunk = self.data[self.next_byte:self.next_byte + count]
        if self.avail + 8 * len(chunk) < width:
            raise V2GDecodeError("truncated EXI stream")
        self.next_byte += len(chunk)
        self.window = ((self.window & ((1 << self.avail) - 1)) << (8 * len(chunk))) | \
            int.from_bytes(chunk, "big")
        self.avail += 8 * len(chunk)

    def read(self, width: int) -> int:
        avail = self.avail - width
        if avail < 0:
            self._refill(width)
            avail = self.avail - width
        self.avail = avail
        return (self.window >> avail) & ((1 << width) - 1)

    def uint(self) -> int:
        return self.uint_rest(0, 0)

    def uint_rest(self, result: int, groups: int) -> int:
        """An Unsigned Integer of which ``groups`` groups, worth ``result``, are already read."""
        shift = 7 * groups
        for _ in range(MAX_UINT_GROUPS - groups):
            avail = self.avail - 8
            if avail < 0:
                self._refill(8)
                avail = self.avail - 8
            self.avail = avail
            group = (self.window >> avail) & 0xFF
            result |= (group & 0x7F) << shift
            if group < 0x80:
                return result
            shift += 7
        raise V2GDecodeError("EXI unsigned integer too long")

    def raw_bytes(self, count: int) -> bytes:
        if count == 0:
            return b""
        return self.read(8 * count).to_bytes(count, "big")
