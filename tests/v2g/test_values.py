"""EXI representations of simple values (EXI 1.0 section 7)."""

import pytest

from charger.v2g.bits import BitReader, BitWriter
from charger.v2g.codec import StringTable, decode_simple, encode_simple
from charger.v2g.errors import V2GDecodeError, V2GEncodeError
from charger.v2g.schema import (
    XS_BOOLEAN,
    XS_HEX_BINARY,
    XS_INTEGER,
    XS_SHORT,
    XS_STRING,
    XS_UNSIGNED_INT,
    integer_type,
    string_type,
)


def _bitstring(w):
    data = w.to_bytes()
    return "".join(format(b, "08b") for b in data)[: w.bit_length()]


def _bits(stype, value, table=None):
    w = BitWriter()
    encode_simple(w, value, stype, table or StringTable(), "{}x")
    return _bitstring(w)


def _roundtrip(stype, value):
    w = BitWriter()
    encode_simple(w, value, stype, StringTable(), "{}x")
    return decode_simple(BitReader(w.to_bytes()), stype, StringTable(), "{}x")


def test_unsigned_integer_uses_little_endian_7_bit_groups():
    assert _bits(XS_UNSIGNED_INT, 0) == "00000000"
    assert _bits(XS_UNSIGNED_INT, 127) == "01111111"
    assert _bits(XS_UNSIGNED_INT, 128) == "10000000" + "00000001"
    assert _bits(XS_UNSIGNED_INT, 300) == "10101100" + "00000010"


def test_integer_has_a_sign_bit_and_stores_negatives_minus_one():
    assert _bits(XS_SHORT, 5) == "0" + "00000101"
    assert _bits(XS_SHORT, -1) == "1" + "00000000"
    assert _bits(XS_SHORT, -32768) == "1" + "11111111" + "11111111" + "00000001"


def test_bounded_ranges_use_n_bits_offset_by_the_minimum():
    priority = integer_type("priorityType", 1, 20)
    multiplier = integer_type("unitMultiplierType", -3, 3)
    assert _bits(priority, 1) == "00000"
    assert _bits(priority, 20) == "10011"
    assert _bits(multiplier, -3) == "000"
    assert _bits(multiplier, 3) == "110"


def test_boolean_is_one_bit():
    assert _bits(XS_BOOLEAN, True) == "1"
    assert _bits(XS_BOOLEAN, False) == "0"


def test_binary_is_length_then_bytes():
    assert _bits(XS_HEX_BINARY, b"\xab") == "00000001" + "10101011"


def test_string_miss_is_length_plus_two_then_code_points():
    assert _bits(XS_STRING, "A") == "00000011" + "01000001"
    assert _bits(XS_STRING, "€") == "00000011" + "10101100" + "01000001"  # U+20AC


@pytest.mark.parametrize("value", [0, 1, -1, 2**63 - 1, -(2**63), 2**100, -(2**100)])
def test_unbounded_integers_round_trip(value):
    assert _roundtrip(XS_INTEGER, value) == value


@pytest.mark.parametrize("value", ["", "a", "äöü €", "x" * 300])
def test_strings_round_trip(value):
    assert _roundtrip(XS_STRING, value) == value


def test_v2g_mode_never_uses_the_string_table():
    table = StringTable()
    first = _bits(XS_STRING, "abc", table)
    assert _bits(XS_STRING, "abc", table) == first


def test_enabled_string_table_gives_local_then_global_hits():
    table = StringTable(enabled=True)
    w = BitWriter()
    encode_simple(w, "abc", XS_STRING, table, "{}a")
    encode_simple(w, "abc", XS_STRING, table, "{}a")  # local hit: 0, then 0 bits of index
    encode_simple(w, "abc", XS_STRING, table, "{}b")  # global hit: 1, then 0 bits of index
    tail = _bitstring(w)[-16:]
    assert tail == "00000000" + "00000001"
    r = BitReader(w.to_bytes())
    read_table = StringTable(enabled=True)
    assert [decode_simple(r, XS_STRING, read_table, k) for k in ("{}a", "{}a", "{}b")] == [
        "abc", "abc", "abc",
    ]


def test_string_table_hit_in_a_v2g_stream_is_a_decode_error():
    with pytest.raises(V2GDecodeError, match="string-table"):
        decode_simple(BitReader(b"\x00\x00"), XS_STRING, StringTable(), "{}x")


def test_values_outside_the_facets_are_refused():
    with pytest.raises(V2GEncodeError):
        _bits(integer_type("priorityType", 1, 20), 21)
    with pytest.raises(V2GEncodeError):
        _bits(XS_SHORT, 40000)
    with pytest.raises(V2GEncodeError):
        _bits(string_type("s", max_length=3), "abcd")
    with pytest.raises(V2GEncodeError):
        _bits(XS_BOOLEAN, 1)
    with pytest.raises(V2GEncodeError):
        _bits(XS_SHORT, True)


def test_decoded_lengths_are_capped_by_facets_and_input():
    with pytest.raises(V2GDecodeError, match="maxLength"):
        decode_simple(BitReader(bytes([6, 65, 65, 65, 65])), string_type("s", max_length=3),
                      StringTable(), "{}x")
    with pytest.raises(V2GDecodeError, match="input"):
        decode_simple(BitReader(bytes([0x80 | 100, 1])), XS_HEX_BINARY, StringTable(), "{}x")


def test_overlong_unsigned_integer_is_refused():
    with pytest.raises(V2GDecodeError):
        decode_simple(BitReader(b"\xff" * 40), XS_UNSIGNED_INT, StringTable(), "{}x")


def test_long_binaries_cross_the_writer_and_reader_windows():
    data = bytes(range(256)) * 20
    w = BitWriter()
    w.write(1, 3)
    encode_simple(w, data, XS_HEX_BINARY, StringTable(), "{}x")
    w.write(5, 3)
    r = BitReader(w.to_bytes())
    assert r.read(3) == 1
    assert decode_simple(r, XS_HEX_BINARY, StringTable(), "{}x") == data
    assert r.read(3) == 5
    assert r.remaining == 2  # padding
