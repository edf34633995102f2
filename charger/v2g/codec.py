"""The EXI body encoder and decoder: walks compiled grammars over typed objects or bit streams.

Simple values follow EXI 1.0 section 7: Unsigned Integer, Integer, n-bit Unsigned Integer,
Boolean, enumeration index, Binary (length and bytes) and String with the string table of
section 7.3 (value partitions only: V2G streams carry no undeclared qnames, so the URI and
local-name partitions are never consulted).

The V2G codecs run with valuePartitionCapacity 0: EXIficient as Josev configures it never adds
a value to the string table, so every string is written in full (length + 2, then characters),
and a local or global value hit in a V2G stream is an error. The table logic for an unbounded
capacity is kept behind ``StringTable(enabled=True)`` for streams that use it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from charger.v2g.bits import FLUSH_BITS, MAX_UINT_GROUPS, BitReader, BitWriter
from charger.v2g.errors import V2GDecodeError, V2GEncodeError
from charger.v2g.grammar import (
    AT,
    CH,
    EE,
    SE,
    ElementUse,
    Grammar,
    compile_type,
)
from charger.v2g.schema import Kind, SimpleType, TypeInfo

# Without a maxLength facet, strings and binaries are still capped so that a corrupt length
# can never make the decoder allocate much: no V2G value comes close to this.
DEFAULT_MAX_LENGTH = 65536
MAX_CODE_POINT = 0x10FFFF


class StringTable:
    """EXI value partitions: one global, one local per element or attribute qname."""

    __slots__ = ("enabled", "global_index", "global_values", "local_index", "local_values")

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled  # False: valuePartitionCapacity 0, as V2G uses
        self.global_index: dict[str, int] = {}
        self.global_values: list[str] = []
        self.local_index: dict[str, dict[str, int]] = {}
        self.local_values: dict[str, list[str]] = {}

    def add(self, key: str, value: str) -> None:
        self.global_index.setdefault(value, len(self.global_values))
        self.global_values.append(value)
        local = self.local_index.get(key)
        if local is None:
            local = self.local_index[key] = {}
            self.local_values[key] = []
        local.setdefault(value, len(local))
        self.local_values[key].append(value)


# ---------------------------------------------------------------- simple values: encoding


def _encode_string(w: BitWriter, value: Any, stype: SimpleType, table: StringTable,
                   key: str) -> None:
    if not isinstance(value, str):
        raise V2GEncodeError(f"{stype.name}: expected a string, got {type(value).__name__}")
    length = len(value)
    if stype.max_length is not None and length > stype.max_length:
        raise V2GEncodeError(f"{stype.name}: {length} characters, at most {stype.max_length}")
    if stype.min_length is not None and length < stype.min_length:
        raise V2GEncodeError(f"{stype.name}: {length} characters, at least {stype.min_length}")
    if table.enabled:
        local = table.local_index.get(key)
        if local is not None:
            hit = local.get(value)
            if hit is not None:
                w.write(0, 8)  # Unsigned Integer 0: local value hit
                w.write(hit, (len(local) - 1).bit_length())
                return
        hit = table.global_index.get(value)
        if hit is not None:
            w.write(1, 8)  # Unsigned Integer 1: global value hit
            w.write(hit, (len(table.global_values) - 1).bit_length())
            return
    w.uint(length + 2)
    if value.isascii():
        # ASCII characters are one-group Unsigned Integers: their bytes as they are.
        w.raw_bytes(value.encode("ascii"))
    else:
        for char in value:
            w.uint(ord(char))
    if length and table.enabled:
        table.add(key, value)


def _encode_int(w: BitWriter, value: Any, stype: SimpleType) -> None:
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise V2GEncodeError(f"{stype.name}: expected an int, got {type(value).__name__}")
        value = int(value)
    if (stype.min_value is not None and value < stype.min_value) or (
        stype.max_value is not None and value > stype.max_value
    ):
        raise V2GEncodeError(f"{stype.name}: {value} outside "
                             f"[{stype.min_value}, {stype.max_value}]")
    kind = stype.kind
    if kind == Kind.NBIT:
        w.write(value - stype.min_value, stype.bits)  # type: ignore[operator]
    elif kind == Kind.UNSIGNED:
        w.uint(value)
    elif value < 0:
        w.write(1, 1)
        w.uint(-value - 1)
    else:
        w.write(0, 1)
        w.uint(value)


def _encode_binary(w: BitWriter, value: Any, stype: SimpleType) -> None:
    if not isinstance(value, bytes | bytearray):
        raise V2GEncodeError(f"{stype.name}: expected bytes, got {type(value).__name__}")
    length = len(value)
    if stype.max_length is not None and length > stype.max_length:
        raise V2GEncodeError(f"{stype.name}: {length} bytes, at most {stype.max_length}")
    if stype.min_length is not None and length < stype.min_length:
        raise V2GEncodeError(f"{stype.name}: {length} bytes, at least {stype.min_length}")
    w.uint(length)
    w.raw_bytes(bytes(value))


_ENUM_INDEX: dict[SimpleType, dict[str, int]] = {}


def _enum_index(stype: SimpleType) -> dict[str, int]:
    found = _ENUM_INDEX.get(stype)
    if found is None:
        assert stype.enum is not None
        found = _ENUM_INDEX[stype] = {m.value: i for i, m in enumerate(stype.enum)}
    return found


_ENUM_MEMBERS: dict[SimpleType, list[Any]] = {}


def _enum_members(stype: SimpleType) -> list[Any]:
    found = _ENUM_MEMBERS.get(stype)
    if found is None:
        assert stype.enum is not None
        found = _ENUM_MEMBERS[stype] = list(stype.enum)
    return found


def encode_simple(w: BitWriter, value: Any, stype: SimpleType, table: StringTable,
                  key: str) -> None:
    kind = stype.kind
    if kind == Kind.STRING:
        _encode_string(w, value, stype, table, key)
    elif kind == Kind.ENUM:
        index = _enum_index(stype).get(value) if isinstance(value, str) else None
        if index is None:
            raise V2GEncodeError(f"{stype.name}: {value!r} is not one of its values")
        w.write(index, stype.bits)
    elif kind == Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise V2GEncodeError(f"{stype.name}: expected a bool, got {type(value).__name__}")
        w.write(1 if value else 0, 1)
    elif kind == Kind.HEX or kind == Kind.BASE64:
        _encode_binary(w, value, stype)
    else:
        _encode_int(w, value, stype)


# ---------------------------------------------------------------- simple values: decoding


def _decode_string(r: BitReader, stype: SimpleType, table: StringTable, key: str) -> str:
    code = r.uint()
    if code == 0:
        values = table.local_values.get(key)
        if not values:
            raise V2GDecodeError(f"{stype.name}: local string-table hit with an empty table")
        index = r.read((len(values) - 1).bit_length())
        if index >= len(values):
            raise V2GDecodeError(f"{stype.name}: local string-table index out of range")
        return values[index]
    if code == 1:
        values = table.global_values
        if not values:
            raise V2GDecodeError(f"{stype.name}: global string-table hit with an empty table")
        index = r.read((len(values) - 1).bit_length())
        if index >= len(values):
            raise V2GDecodeError(f"{stype.name}: global string-table index out of range")
        return values[index]
    length = code - 2
    limit = stype.max_length if stype.max_length is not None else DEFAULT_MAX_LENGTH
    if length > limit or 8 * length > r.remaining:
        raise V2GDecodeError(f"{stype.name}: string length {length} exceeds "
                             f"{'its maxLength' if length > limit else 'the input'}")
    # Every character takes at least one 8-bit group: read that many at once. ASCII (the usual
    # case) is then the bytes as they are; otherwise the groups are walked, reading on as needed.
    groups = r.raw_bytes(length)
    if groups.isascii():
        value = groups.decode("ascii")
    else:
        value = _decode_characters(r, stype, groups, length)
    if length and table.enabled:
        table.add(key, value)
    return value


def _decode_characters(r: BitReader, stype: SimpleType, groups: bytes, length: int) -> str:
    """``length`` characters, each an Unsigned Integer, from ``groups`` and then the reader."""
    chars = []
    position = 0
    for _ in range(length):
        point = shift = 0
        for _ in range(MAX_UINT_GROUPS):
            if position < len(groups):
                group = groups[position]
                position += 1
            else:
                group = r.read(8)
            point |= (group & 0x7F) << shift
            if group < 0x80:
                break
            shift += 7
        else:
            raise V2GDecodeError("EXI unsigned integer too long")
        if point > MAX_CODE_POINT or 0xD800 <= point <= 0xDFFF:
            raise V2GDecodeError(f"{stype.name}: invalid character U+{point:X}")
        chars.append(chr(point))
    return "".join(chars)


def _decode_binary(r: BitReader, stype: SimpleType) -> bytes:
    length = r.uint()
    limit = stype.max_length if stype.max_length is not None else DEFAULT_MAX_LENGTH
    if length > limit or 8 * length > r.remaining:
        raise V2GDecodeError(f"{stype.name}: binary length {length} exceeds "
                             f"{'its maxLength' if length > limit else 'the input'}")
    return r.raw_bytes(length)


def decode_simple(r: BitReader, stype: SimpleType, table: StringTable, key: str) -> Any:
    kind = stype.kind
    if kind == Kind.STRING:
        return _decode_string(r, stype, table, key)
    if kind == Kind.ENUM:
        index = r.read(stype.bits)
        members = _enum_members(stype)
        if index >= len(members):
            raise V2GDecodeError(f"{stype.name}: enumeration index {index} out of range")
        return members[index]
    if kind == Kind.BOOLEAN:
        return r.read(1) == 1
    if kind == Kind.NBIT:
        value = r.read(stype.bits) + stype.min_value  # type: ignore[operator]
        if value > stype.max_value:  # type: ignore[operator]
            raise V2GDecodeError(f"{stype.name}: {value} above its maximum")
        return value
    if kind == Kind.UNSIGNED:
        value = r.uint()
    elif kind == Kind.INTEGER:
        negative = r.read(1)
        value = r.uint()
        if negative:
            value = -value - 1
    else:
        return _decode_binary(r, stype)
    if (stype.min_value is not None and value < stype.min_value) or (
        stype.max_value is not None and value > stype.max_value
    ):
        raise V2GDecodeError(f"{stype.name}: {value} outside its range")
    return value


# ---------------------------------------------------------------- elements


# An element whose content is empty has no CH event at all: its EE is then a second-level
# production of the start-tag state, whose second level (EE, xsi:type, xsi:nil, AT(*), untyped
# AT, SE(*), untyped CH) takes 3 bits with EE first. EXIficient writes "" and b"" that way.
EMPTY_CONTENT_CODE = 0b1000  # the escape bit, then second-level EE (code 0 in 3 bits)
EMPTY_CONTENT_WIDTH = 4


def _within(exc: V2GEncodeError | V2GDecodeError, name: str) -> Exception:
    """The same error with the element name prepended, building a path like A/B/C: reason."""
    nested = getattr(exc, "in_path", False)
    new = type(exc)(f"{name}/{exc}" if nested else f"{name}: {exc}")
    new.in_path = True  # type: ignore[union-attr]
    return new


def encode_element_content(w: BitWriter, use: ElementUse, value: Any, table: StringTable) -> None:
    """Everything after SE(use): the typed content and EE."""
    try:
        if use.simple:
            if not value and isinstance(value, str | bytes | bytearray):
                w.write(EMPTY_CONTENT_CODE, EMPTY_CONTENT_WIDTH)
                return
            # A simple type's grammar: CH then EE, each the only first-level production
            # besides the escape, so each is code 0 in one bit.
            w.write(0, 1)
            encode_simple(w, value, use.stype, table, use.key)  # type: ignore[arg-type]
            w.write(0, 1)
        else:
            encode_complex(w, value, use.info, table, use.key)  # type: ignore[arg-type]
    except V2GEncodeError as exc:
        raise _within(exc, use.name) from None


def encode_complex(w: BitWriter, obj: Any, info: TypeInfo, table: StringTable, key: str) -> None:
    """Encode a complex-typed element's content after its SE; ``key`` is its qname."""
    grammar: Grammar = info.grammar or compile_type(info)
    cls = grammar.cls
    if type(obj) is not cls:
        # A subclass would need xsi:type, which V2G does not use: its extra fields would be lost.
        raise V2GEncodeError(f"expected {cls.__name__}, got {type(obj).__name__}")
    state = grammar.start
    for attr in grammar.attributes:
        value = getattr(obj, attr.name)
        if value is None:
            if attr.required:
                raise V2GEncodeError(f"{cls.__name__}: attribute {attr.name} is required")
            continue
        code, _, target = state.at[attr.key]
        w.write(code, state.width)
        try:
            encode_simple(w, value, attr.stype, table, attr.key)
        except V2GEncodeError as exc:
            raise _within(exc, "@" + attr.name) from None
        state = target
    if grammar.text is not None:
        value = obj.value
        if value is None:
            raise V2GEncodeError(f"{cls.__name__}: its value is required")
        if state.ch is None:
            raise V2GEncodeError(f"{cls.__name__}: a required attribute is missing")
        if not value and isinstance(value, str | bytes | bytearray):
            # Empty simple content: no CH, and EE from the second level (see above).
            w.write(len(state.prods), state.width)
            w.write(0, EMPTY_CONTENT_WIDTH - 1)
            return
        code, target = state.ch
        w.write(code, state.width)
        encode_simple(w, value, grammar.text, table, key)
        state = target
    for plan in grammar.fields:
        value = getattr(obj, plan.name)
        if value is None:
            continue
        if plan.is_list:
            if not isinstance(value, list):
                raise V2GEncodeError(f"{cls.__name__}.{plan.name}: expected a list")
            if plan.max_items is not None and len(value) > plan.max_items:
                raise V2GEncodeError(f"{cls.__name__}.{plan.name}: {len(value)} items, at most "
                                     f"{plan.max_items}")
            items = value
        else:
            items = (value,)
        for item in items:
            use = plan.single
            if use is None:
                use = plan.by_class.get(type(item))
                if use is None:
                    raise V2GEncodeError(f"{cls.__name__}.{plan.name}: no element takes a "
                                         f"{type(item).__name__}")
            entry = state.se.get(use.key)
            if entry is None:
                raise V2GEncodeError(f"{cls.__name__}: element {use.name} is not allowed here "
                                     "(too many, out of order, or a choice already made)")
            w.write(entry[0], state.width)
            state = entry[1]
            encode_element_content(w, use, item, table)
    if state.ee is None:
        expected = [p[1].name for p in state.prods if p[0] == SE]
        raise V2GEncodeError(f"{cls.__name__}: required content is missing, expected one of "
                             f"{expected}")
    w.write(state.ee, state.width)
    if w.nbits > FLUSH_BITS:  # keep the accumulator short: shifting it costs its length
        w.flush()


_EMPTY_VALUES: dict[Kind, Any] = {Kind.STRING: "", Kind.HEX: b"", Kind.BASE64: b""}


# Second-level codes of a simple-typed element's start state, as EXIficient numbers them:
# EE, AT(xsi:type), AT(xsi:nil), AT(*), untyped AT, SE(*), untyped CH.
SECOND_LEVEL_EE = 0
SECOND_LEVEL_UNTYPED_CH = 6
_UNTYPED = SimpleType("untyped", Kind.STRING)


def _decode_second_level(r: BitReader, use: ElementUse, table: StringTable) -> Any:
    """An empty element, or a value written as untyped characters. EXIficient writes a value
    that its type cannot represent (e.g. 0 for a 1..255 range, from a JAXB default) that way:
    it is read and converted back to the element's type when possible."""
    stype: SimpleType = use.stype  # type: ignore[assignment]
    code = r.read(3)
    if code == SECOND_LEVEL_EE and stype.kind in _EMPTY_VALUES:
        return _EMPTY_VALUES[stype.kind]
    if code != SECOND_LEVEL_UNTYPED_CH:
        raise V2GDecodeError("second-level EXI event (xsi:type, xsi:nil or undeclared "
                             "content) is not supported")
    text = _decode_string(r, _UNTYPED, table, use.key)
    # Then the element's content state, where EE is second-level too: escape, then code 0
    # of the 2-bit second level (EE, SE(*), untyped CH).
    if r.read(3) != 0b100:
        raise V2GDecodeError("untyped content not followed by the end of the element")
    return _parse_lexical(text, stype)


def _parse_lexical(text: str, stype: SimpleType) -> Any:
    kind = stype.kind
    value = text.strip()
    try:
        if kind == Kind.STRING:
            return text
        if kind == Kind.ENUM:
            return stype.enum(value)  # type: ignore[misc]
        if kind == Kind.BOOLEAN:
            if value in ("true", "1", "false", "0"):
                return value in ("true", "1")
            raise ValueError(value)
        if kind == Kind.HEX:
            return bytes.fromhex(value)
        if kind == Kind.BASE64:
            return base64.b64decode(value, validate=True)
        return int(value)
    except (ValueError, binascii.Error):
        raise V2GDecodeError(f"{stype.name}: untyped value {text[:40]!r} does not parse") from None


def decode_element_content(r: BitReader, use: ElementUse, table: StringTable) -> Any:
    """Everything after SE(use): the typed content and EE; returns the element's value."""
    try:
        if use.simple:
            if r.read(1):
                return _decode_second_level(r, use, table)
            value = decode_simple(r, use.stype, table, use.key)  # type: ignore[arg-type]
            if r.read(1):
                raise V2GDecodeError("expected the end of the element")
            return value
        return decode_complex(r, use.info, table, use.key)  # type: ignore[arg-type]
    except V2GDecodeError as exc:
        raise _within(exc, use.name) from None


def decode_complex(r: BitReader, info: TypeInfo, table: StringTable, key: str) -> Any:
    grammar: Grammar = info.grammar or compile_type(info)
    state = grammar.start
    values: dict[str, Any] = {}
    while True:
        code = r.read(state.width)
        prods = state.prods
        if code >= len(prods):
            if (code == len(prods) and grammar.text is not None and "value" not in values
                    and grammar.text.kind in _EMPTY_VALUES
                    and r.read(EMPTY_CONTENT_WIDTH - 1) == 0):
                values["value"] = _EMPTY_VALUES[grammar.text.kind]
                break
            raise V2GDecodeError(f"{grammar.cls.__name__}: second-level EXI event (xsi:type, "
                                 "xsi:nil or undeclared content) is not supported")
        kind, payload, target = prods[code]
        if kind == SE:
            value = decode_element_content(r, payload, table)
            if payload.is_list:
                found = values.get(payload.field)
                if found is None:
                    values[payload.field] = [value]
                else:
                    if payload.max_items is not None and len(found) >= payload.max_items:
                        raise V2GDecodeError(f"{payload.name}: more than {payload.max_items}")
                    found.append(value)
            else:
                values[payload.field] = value
        elif kind == EE:
            break
        elif kind == AT:
            values[payload.name] = decode_simple(r, payload.stype, table, payload.key)
        elif kind == CH:
            values["value"] = decode_simple(r, payload, table, key)
        else:
            raise V2GDecodeError(f"{grammar.cls.__name__}: wildcard or mixed content is not "
                                 "supported")
        state = target
    try:
        return grammar.cls(**values)
    except TypeError as exc:  # a required field the grammar let through: corrupt input
        raise V2GDecodeError(f"{grammar.cls.__name__}: {exc}") from None
