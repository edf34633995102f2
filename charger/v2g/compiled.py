"""Compiled EXI encoders and decoders: each complex type's grammar turned into Python source once.

The codec of :mod:`charger.v2g.codec` walks a grammar per message, several calls per element and
one per bit field. Here every complex type gets a generated encoder (one straight pass over its
fields, bits shifted into a local int) and a generated decoder (the grammar states as blocks of
one function, bit reads inlined on local variables), so an element costs about one Python call.

They are a fast path only for messages that are valid: whenever a compiled function meets
anything unusual (a wrong type, a missing field, an out-of-range value, a second-level event) it
raises :class:`Fallback`, and :mod:`charger.v2g.exi` runs the reference codec instead, which
produces the same bytes or the explanatory error. So the compiled code never decides an error
message and never accepts what the reference codec refuses; tests/v2g/test_compiled.py checks
that both agree on random valid, invalid and corrupted messages.
"""

from __future__ import annotations

import threading
from itertools import count
from typing import Any

from charger.v2g.bits import FLUSH_BITS, BitReader
from charger.v2g.codec import (
    EMPTY_CONTENT_CODE,
    EMPTY_CONTENT_WIDTH,
    StringTable,
    _decode_binary,
    _decode_second_level,
    _decode_string,
    _encode_binary,
    _encode_string,
    _enum_index,
    _enum_members,
)
from charger.v2g.grammar import AT, CH, EE, SE, ElementUse, Grammar, State, compile_type
from charger.v2g.schema import Kind, SimpleType, TypeInfo


class Fallback(Exception):  # noqa: N818 - not an error: "use the reference codec"
    """The compiled code cannot handle this message; the reference codec decides."""


# The string table V2G uses: valuePartitionCapacity 0, so it never holds a value.
_NO_TABLE = StringTable()


class _Sink:
    """A BitWriter stand-in for the reference string/binary encoders: collects their bits."""

    __slots__ = ("acc", "nbits")

    def __init__(self) -> None:
        self.acc = 0
        self.nbits = 0

    def write(self, value: int, width: int) -> None:
        self.acc = (self.acc << width) | value
        self.nbits += width

    def uint(self, value: int) -> None:
        while value >= 0x80:
            self.write(0x80 | (value & 0x7F), 8)
            value >>= 7
        self.write(value, 8)

    def raw_bytes(self, data: bytes) -> None:
        if data:
            self.write(int.from_bytes(data, "big"), 8 * len(data))


def _flush(acc: int, nbits: int, out: bytearray) -> tuple[int, int]:
    keep = nbits & 7
    out += (acc >> keep).to_bytes(nbits >> 3, "big")
    return acc & ((1 << keep) - 1), keep


def _uint(acc: int, nbits: int, value: int) -> tuple[int, int]:
    """Append an EXI Unsigned Integer of 128 or more."""
    while value >= 0x80:
        acc = (acc << 8) | 0x80 | (value & 0x7F)
        value >>= 7
        nbits += 8
    return (acc << 8) | value, nbits + 8


def _text(acc: int, nbits: int, out: bytearray, value: Any, stype: SimpleType) -> tuple[int, int]:
    """A string or binary value, through the reference encoder (it validates the facets)."""
    sink = _Sink()
    try:
        if stype.kind == Kind.STRING:
            _encode_string(sink, value, stype, _NO_TABLE, "")  # type: ignore[arg-type]
        else:
            _encode_binary(sink, value, stype)  # type: ignore[arg-type]
    except Exception:
        raise Fallback from None
    acc = (acc << sink.nbits) | sink.acc
    nbits += sink.nbits
    if nbits > FLUSH_BITS:
        return _flush(acc, nbits, out)
    return acc, nbits


def _plain_text(value: Any) -> str:
    """A string or enumeration value as infoset text (an enum member by its literal)."""
    return str(value.value) if hasattr(value, "value") else str(value)


class _Source:
    """Generated source text with indentation."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def add(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)


class Compiler:
    """Generates, once per complex type, ``enc_N(obj, acc, nbits, out) -> (acc, nbits)`` and
    ``dec_N(reader) -> obj``; all share one namespace so that types can refer to each other."""

    def __init__(self) -> None:
        self.scope: dict[str, Any] = {
            "Fallback": Fallback, "_flush": _flush, "_uint": _uint, "_text": _text,
            "_decode_string": _decode_string, "_decode_binary": _decode_binary,
            "_decode_second_level": _decode_second_level, "_NO_TABLE": _NO_TABLE,
            "FLUSH_BITS": FLUSH_BITS, "_plain_text": _plain_text,
        }
        self.ids = count()
        self.encoders: dict[int, str] = {}
        self.decoders: dict[int, str] = {}
        self.plainers: dict[int, str] = {}
        self.pending: list[tuple[str, TypeInfo]] = []
        self.unresolved: list[str] = []  # constants naming functions not generated yet

    def const(self, value: Any) -> str:
        name = f"K{next(self.ids)}"
        self.scope[name] = value
        return name

    # ---------------------------------------------------------------- public

    def encoder(self, info: TypeInfo) -> Any:
        name = self._name("enc", info)
        self._generate()
        return self.scope[name]

    def decoder(self, info: TypeInfo) -> Any:
        name = self._name("dec", info)
        self._generate()
        return self.scope[name]

    def to_plain(self, info: TypeInfo) -> Any:
        name = self._name("plain", info)
        self._generate()
        return self.scope[name]

    def _name(self, kind: str, info: TypeInfo) -> str:
        table = {"enc": self.encoders, "dec": self.decoders, "plain": self.plainers}[kind]
        name = table.get(id(info))
        if name is None:
            name = table[id(info)] = f"{kind}_{info.cls.__name__}_{next(self.ids)}"
            self.pending.append((kind, info))
        return name

    def _generate(self) -> None:
        source = _Source()
        while self.pending:
            kind, info = self.pending.pop()
            if kind == "enc":
                self._encoder_source(source, info)
            elif kind == "dec":
                self._decoder_source(source, info)
            else:
                self._plain_source(source, info)
        if source.lines:
            exec(compile("\n".join(source.lines), "<charger.v2g.compiled>", "exec"),  # noqa: S102
                 self.scope)
        for name in self.unresolved:
            self.scope[name] = {cls: (first, self.scope[fn])
                                for cls, (first, fn) in self.scope[name].items()}
        self.unresolved.clear()

    # ---------------------------------------------------------------- encoders

    def _encoder_source(self, src: _Source, info: TypeInfo) -> None:
        grammar: Grammar = info.grammar or compile_type(info)
        index = {id(s): i for i, s in enumerate(grammar.states)}
        src.add(f"def {self.encoders[id(info)]}(o, a, n, out):")
        src.depth += 1
        src.add(f"if type(o) is not {self.const(grammar.cls)}: raise Fallback")
        src.add(f"st = {index[id(grammar.start)]}")
        for attr in grammar.attributes:
            table = {index[id(s)]: (s.at[attr.key][0], s.width, index[id(s.at[attr.key][2])])
                     for s in grammar.states if attr.key in s.at}
            src.add(f"v = o.{attr.name}")
            src.add("if v is None:")
            src.add("    raise Fallback" if attr.required else "    pass")
            src.add("else:")
            src.depth += 1
            src.add(f"c, w, st = {self.const(table)}[st]")
            src.add("a = (a << w) | c; n += w")
            self._simple_encode(src, "v", attr.stype, framed=False)
            src.depth -= 1
        if grammar.text is not None:
            table = {index[id(s)]: (s.ch[0], s.width, index[id(s.ch[1])], len(s.prods))
                     for s in grammar.states if s.ch is not None}
            src.add("v = o.value")
            src.add("if v is None: raise Fallback")
            src.add(f"c, w, st, empty = {self.const(table)}[st]")
            src.add("if not v and isinstance(v, (str, bytes, bytearray)):")
            src.add(f"    return (a << (w + {EMPTY_CONTENT_WIDTH - 1}))"
                    f" | (empty << {EMPTY_CONTENT_WIDTH - 1}), n + w + {EMPTY_CONTENT_WIDTH - 1}")
            src.add("a = (a << w) | c; n += w")
            self._simple_encode(src, "v", grammar.text, framed=False)
        # While the state is known here, at generation time, its codes are written as constants
        # (``known``); from the first optional element on, ``st`` follows it at run time.
        known = index[id(grammar.start)] if not grammar.attributes and grammar.text is None \
            else None
        for plan in grammar.fields:
            src.add(f"v = o.{plan.name}")
            if known is not None and not plan.is_list and plan.single is not None:
                known = self._known_state_field(src, plan.single, grammar.states[known], index)
                continue
            if known is not None:
                src.add(f"st = {known}")
                known = None
            src.add("if v is not None:")
            src.depth += 1
            if plan.is_list:
                src.add("if not isinstance(v, list): raise Fallback")
                if plan.max_items is not None:
                    src.add(f"if len(v) > {plan.max_items}: raise Fallback")
                src.add("for x in v:")
                src.depth += 1
            else:
                src.add("x = v")
            if plan.single is not None:
                src.add(f"c, w, st = {self.const(self._se_table(grammar, index, plan.single))}"
                        "[st]")
                src.add("a = (a << w) | c; n += w")
                self._element_encode(src, "x", plan.single)
            else:
                by_class = {cls: (self._se_table(grammar, index, use), self._name("enc", use.info))
                            for cls, use in plan.by_class.items()}
                # Function names for now: replaced by the functions once they exist.
                table_name = self.const(by_class)
                self.unresolved.append(table_name)
                src.add(f"tab, fn = {table_name}[type(x)]")
                src.add("c, w, st = tab[st]")
                src.add("a = (a << w) | c; n += w")
                src.add("a, n = fn(x, a, n, out)")
            src.depth -= 2 if plan.is_list else 1
        if known is not None:
            state = grammar.states[known]
            if state.ee is None:
                src.add("raise Fallback")
            else:
                src.add(f"a = (a << {state.width}) | {state.ee}; n += {state.width}")
        else:
            ends = {index[id(s)]: (s.ee, s.width) for s in grammar.states if s.ee is not None}
            src.add(f"c, w = {self.const(ends)}[st]")
            src.add("a = (a << w) | c; n += w")
        src.add("if n > FLUSH_BITS: return _flush(a, n, out)")
        src.add("return a, n")
        src.depth -= 1

    def _known_state_field(self, src: _Source, use: ElementUse, state: State,
                           index: dict[int, int]) -> int | None:
        """A single-element field met in a state known at generation time; returns the state
        known after it, or None when that depends on whether the field is given."""
        entry = state.se.get(use.key)
        if entry is None:  # not allowed here: given, the reference codec explains why
            src.add("if v is not None: raise Fallback")
            return index[id(state)]
        code, target = entry
        # Nothing but this element may come next: absent, the message is incomplete.
        mandatory = all(kind == SE and payload.key == use.key
                        for kind, payload, _ in state.prods)
        if mandatory:
            src.add("if v is None: raise Fallback")
        else:
            src.add("if v is None:")
            src.add(f"    st = {index[id(state)]}")
            src.add("else:")
            src.depth += 1
        src.add(f"a = (a << {state.width}) | {code}; n += {state.width}")
        self._element_encode(src, "v", use)
        if mandatory:
            return index[id(target)]
        src.add(f"st = {index[id(target)]}")
        src.depth -= 1
        return None

    @staticmethod
    def _se_table(grammar: Grammar, index: dict[int, int], use: ElementUse) -> dict:
        return {index[id(s)]: (s.se[use.key][0], s.width, index[id(s.se[use.key][1])])
                for s in grammar.states if use.key in s.se}

    def _element_encode(self, src: _Source, var: str, use: ElementUse) -> None:
        if not use.simple:
            assert use.info is not None
            src.add(f"a, n = {self._name('enc', use.info)}({var}, a, n, out)")
            return
        src.add(f"if not {var} and isinstance({var}, (str, bytes, bytearray)):")
        src.add(f"    a = (a << {EMPTY_CONTENT_WIDTH}) | {EMPTY_CONTENT_CODE}; "
                f"n += {EMPTY_CONTENT_WIDTH}")
        src.add("else:")
        src.depth += 1
        assert use.stype is not None
        self._simple_encode(src, var, use.stype, framed=True)
        src.depth -= 1

    def _simple_encode(self, src: _Source, var: str, stype: SimpleType, framed: bool) -> None:
        """A simple value; ``framed``: with the element's CH code before and EE code after
        (one 0 bit each)."""
        kind = stype.kind
        lead, trail = (1, 1) if framed else (0, 0)
        if kind == Kind.NBIT or kind == Kind.ENUM or kind == Kind.BOOLEAN:
            if kind == Kind.NBIT:
                src.add(f"if type({var}) is not int or {var} < {stype.min_value} or "
                        f"{var} > {stype.max_value}: raise Fallback")
                value, width = f"({var} - {stype.min_value})", stype.bits
            elif kind == Kind.ENUM:
                src.add(f"if not isinstance({var}, str): raise Fallback")
                src.add(f"i = {self.const(_enum_index(stype))}[{var}]")
                value, width = "i", stype.bits
            else:
                src.add(f"if type({var}) is not bool: raise Fallback")
                value, width = f"int({var})", 1
            shifted = f"({value} << {trail})" if trail else value
            src.add(f"a = (a << {lead + width + trail}) | {shifted}; n += {lead + width + trail}")
            return
        if kind == Kind.UNSIGNED or kind == Kind.INTEGER:
            checks = [f"type({var}) is not int"]
            if stype.min_value is not None:
                checks.append(f"{var} < {stype.min_value}")
            if stype.max_value is not None:
                checks.append(f"{var} > {stype.max_value}")
            src.add(f"if {' or '.join(checks)}: raise Fallback")
            if lead:
                src.add("a <<= 1; n += 1")
            if kind == Kind.INTEGER:
                src.add(f"if {var} < 0:")
                src.add(f"    a = (a << 1) | 1; n += 1; u = -{var} - 1")
                src.add("else:")
                src.add(f"    a <<= 1; n += 1; u = {var}")
                var = "u"
            src.add(f"if {var} < 0x80: a = (a << 8) | {var}; n += 8")
            src.add(f"elif {var} < 0x4000: "
                    f"a = (((a << 8) | 0x80 | ({var} & 0x7F)) << 8) | ({var} >> 7); n += 16")
            src.add(f"else: a, n = _uint(a, n, {var})")
        else:  # strings and binaries
            if lead:
                src.add("a <<= 1; n += 1")
            if kind == Kind.STRING:
                # Short ASCII strings inline: length + 2 in one group, then the bytes as they are.
                low = stype.min_length or 0
                high = min(stype.max_length if stype.max_length is not None else 125, 125)
                src.add(f"if type({var}) is str and {low} <= len({var}) <= {high} "
                        f"and {var}.isascii():")
                src.add(f"    k = len({var}); a = (((a << 8) | (k + 2)) << (8 * k)) | "
                        f"int.from_bytes({var}.encode(), 'big'); n += 8 + 8 * k")
                src.add(f"else: a, n = _text(a, n, out, {var}, {self.const(stype)})")
            else:
                # Short binaries inline: the length in one group, then the bytes.
                low = stype.min_length or 0
                high = min(stype.max_length if stype.max_length is not None else 127, 127)
                src.add(f"if type({var}) is bytes and {low} <= len({var}) <= {high}:")
                src.add(f"    k = len({var}); a = (((a << 8) | k) << (8 * k)) | "
                        f"int.from_bytes({var}, 'big'); n += 8 + 8 * k")
                src.add(f"else: a, n = _text(a, n, out, {var}, {self.const(stype)})")
        if trail:
            src.add("a <<= 1; n += 1")

    # ---------------------------------------------------------------- infoset dicts

    def _plain_source(self, src: _Source, info: TypeInfo) -> None:
        """``plain_N(obj) -> dict``: what charger.v2g.infoset.complex_to_plain returns."""
        grammar: Grammar = info.grammar or compile_type(info)
        src.add(f"def {self.plainers[id(info)]}(o):")
        src.depth += 1
        src.add("d = {}")
        for attr in grammar.attributes:
            src.add(f"v = o.{attr.name}")
            value = self._plain_simple("v", attr.stype)
            src.add(f"if v is not None: d[{'@' + attr.name!r}] = {value}")
        if grammar.text is not None:
            src.add(f"v = o.value; d['#text'] = {self._plain_simple('v', grammar.text)}")
        names = [use.name for plan in grammar.fields for use in
                 ([plan.single] if plan.single is not None else plan.by_class.values())]
        distinct = len(names) == len(set(names))
        for plan in grammar.fields:
            src.add(f"v = o.{plan.name}")
            src.add("if v is not None:")
            src.depth += 1
            use = plan.single
            if use is not None and distinct:
                if plan.is_list:
                    src.add(f"p = [{self._plain_element('x', use)} for x in v]")
                    src.add(f"if p: d[{use.name!r}] = p")
                else:
                    src.add(f"d[{use.name!r}] = {self._plain_element('v', use)}")
            else:
                src.add(f"for x in {'v' if plan.is_list else '(v,)'}:")
                src.depth += 1
                if use is not None:
                    src.add(f"name, p = {use.name!r}, {self._plain_element('x', use)}")
                else:
                    table = {cls: (u.name, self._name("plain", u.info))
                             for cls, u in plan.by_class.items()}
                    table_name = self.const(table)
                    self.unresolved.append(table_name)
                    src.add(f"name, fn = {table_name}[type(x)]")
                    src.add("p = fn(x)")
                src.add("d.setdefault(name, []).append(p)" if plan.is_list else "d[name] = p")
                src.depth -= 1
            src.depth -= 1
        src.add("return d")
        src.depth -= 1

    def _plain_element(self, var: str, use: ElementUse) -> str:
        if use.simple:
            assert use.stype is not None
            return self._plain_simple(var, use.stype)
        assert use.info is not None
        return f"{self._name('plain', use.info)}({var})"

    def _plain_simple(self, var: str, stype: SimpleType) -> str:
        kind = stype.kind
        if kind == Kind.HEX or kind == Kind.BASE64:
            return f"bytes({var}).hex().upper()"
        if kind == Kind.ENUM or kind == Kind.STRING:
            return f"({var} if type({var}) is str else _plain_text({var}))"
        return var

    # ---------------------------------------------------------------- decoders

    def _decoder_source(self, src: _Source, info: TypeInfo) -> None:
        """One function: the reader's window and position in locals (W, A), written back to the
        reader around every call; the grammar states as blocks ``if st == k`` in an order where
        transitions mostly go forward, so that a pass of the loop usually decodes the element."""
        grammar: Grammar = info.grammar or compile_type(info)
        order = _forward_order(grammar.start)
        index = {id(s): i for i, s in enumerate(order)}
        src.add(f"def {self.decoders[id(info)]}(r):")
        src.depth += 1
        src.add("vals = {}")
        src.add("W = r.window; A = r.avail")
        src.add(f"st = {index[id(grammar.start)]}")
        src.add("while True:")
        src.depth += 1
        for state in order:
            src.add(f"if st == {index[id(state)]}:")
            src.depth += 1
            self._state_source(src, state, index)
            src.depth -= 1
        src.depth -= 1
        src.add("r.avail = A")
        src.add(f"return {self.const(grammar.cls)}(**vals)")
        src.depth -= 1

    def _state_source(self, src: _Source, state: State, index: dict[int, int]) -> None:
        _read(src, "c", state.width)
        for code, (kind, payload, target) in enumerate(state.prods):
            src.add(f"{'if' if code == 0 else 'elif'} c == {code}:")
            src.depth += 1
            if kind == EE:
                src.add("break")
            elif kind == SE:
                self._element_decode(src, payload)
                if payload.is_list:
                    src.add(f"l = vals.get({payload.field!r})")
                    src.add(f"if l is None: vals[{payload.field!r}] = [x]")
                    if payload.max_items is not None:
                        src.add(f"elif len(l) >= {payload.max_items}: raise Fallback")
                    src.add("else: l.append(x)")
                else:
                    src.add(f"vals[{payload.field!r}] = x")
            elif kind == AT:
                self._simple_decode(src, payload.stype)
                src.add(f"vals[{payload.name!r}] = x")
            elif kind == CH:
                self._simple_decode(src, payload)
                src.add("vals['value'] = x")
            else:
                src.add("raise Fallback")
            if kind in (SE, AT, CH):
                src.add(f"st = {index[id(target)]}")
            src.depth -= 1
        # Second-level events (the escape code and beyond): the reference codec's business.
        src.add("else: raise Fallback")

    def _element_decode(self, src: _Source, use: ElementUse) -> None:
        if not use.simple:
            assert use.info is not None
            _call(src, f"x = {self._name('dec', use.info)}(r)")
            return
        stype = use.stype
        assert stype is not None
        second_level = self.const(use)
        if stype.kind in (Kind.NBIT, Kind.ENUM, Kind.BOOLEAN):
            # The CH code (a 0 bit), the value and the EE code (a 0 bit) in one read. A 1 first
            # is the second level: the other bits go back (one read keeps them in the window).
            width = 1 if stype.kind == Kind.BOOLEAN else stype.bits
            _read(src, "v", width + 2)
            src.add(f"if v >> {width + 1}:")
            src.depth += 1
            src.add(f"A += {width + 1}")
            _call(src, f"x = _decode_second_level(r, {second_level}, _NO_TABLE)")
            src.depth -= 1
            src.add("else:")
            src.depth += 1
            src.add("if v & 1: raise Fallback")
            self._small_value(src, "(v >> 1)", stype)
            src.depth -= 1
            return
        _read(src, "b", 1)
        src.add("if b:")
        src.depth += 1
        _call(src, f"x = _decode_second_level(r, {second_level}, _NO_TABLE)")
        src.depth -= 1
        src.add("else:")
        src.depth += 1
        self._simple_decode(src, stype)
        _read(src, "b", 1)
        src.add("if b: raise Fallback")
        src.depth -= 1

    def _small_value(self, src: _Source, raw: str, stype: SimpleType) -> None:
        if stype.kind == Kind.NBIT:
            src.add(f"x = {raw} + {stype.min_value}")
            src.add(f"if x > {stype.max_value}: raise Fallback")
        elif stype.kind == Kind.ENUM:
            members = _enum_members(stype)
            src.add(f"x = {raw}")
            src.add(f"if x >= {len(members)}: raise Fallback")
            src.add(f"x = {self.const(members)}[x]")
        else:
            src.add(f"x = {raw} == 1")

    def _simple_decode(self, src: _Source, stype: SimpleType) -> None:
        kind = stype.kind
        if kind in (Kind.NBIT, Kind.ENUM, Kind.BOOLEAN):
            _read(src, "v", 1 if kind == Kind.BOOLEAN else stype.bits)
            self._small_value(src, "v", stype)
            return
        if kind == Kind.STRING:
            _call(src, f"x = _decode_string(r, {self.const(stype)}, _NO_TABLE, '')")
            return
        if kind == Kind.HEX or kind == Kind.BASE64:
            _call(src, f"x = _decode_binary(r, {self.const(stype)})")
            return
        if kind == Kind.INTEGER:
            _read(src, "neg", 1)
        # Unsigned Integer: up to two groups inline, the rest by the reader.
        _read(src, "x", 8)
        src.add("if x >= 0x80:")
        src.depth += 1
        _read(src, "y", 8)
        src.add("x = (x & 0x7F) | ((y & 0x7F) << 7)")
        src.add("if y >= 0x80:")
        src.depth += 1
        _call(src, "x = r.uint_rest(x, 2)")
        src.depth -= 2
        if kind == Kind.INTEGER:
            src.add("if neg: x = -x - 1")
        checks = []
        if stype.min_value is not None:
            checks.append(f"x < {stype.min_value}")
        if stype.max_value is not None:
            checks.append(f"x > {stype.max_value}")
        if checks:
            src.add(f"if {' or '.join(checks)}: raise Fallback")


def _forward_order(start: State) -> list[State]:
    """The states reachable from ``start`` in reverse post-order: every transition that is not
    a loop goes to a later state."""
    seen: set[int] = set()
    post: list[State] = []
    stack: list[tuple[State, int]] = [(start, 0)]
    seen.add(id(start))
    while stack:
        state, next_prod = stack.pop()
        targets = [p[2] for p in state.prods if p[2] is not None]
        if next_prod < len(targets):
            stack.append((state, next_prod + 1))
            target = targets[next_prod]
            if id(target) not in seen:
                seen.add(id(target))
                stack.append((target, 0))
        else:
            post.append(state)
    return post[::-1]


def _read(src: _Source, var: str, width: int) -> None:
    """BitReader.read inlined on the locals W (window) and A (unread bits in it)."""
    if width == 0:
        src.add(f"{var} = 0")
        return
    src.add(f"A -= {width}")
    src.add("if A < 0:")
    src.add(f"    r.avail = A + {width}; r._refill({width}); W = r.window; A = r.avail - {width}")
    src.add(f"{var} = (W >> A) & {(1 << width) - 1}")


def _call(src: _Source, line: str) -> None:
    """A call that reads from the reader itself: the locals go back to it and come back."""
    src.add("r.avail = A")
    src.add(line)
    src.add("W = r.window; A = r.avail")


_COMPILER = Compiler()
# Generation happens once per type, under a lock (sessions may run in threads on the wall
# clock); the functions are then read from these dicts without one.
_GENERATING = threading.Lock()
_ENCODERS: dict[int, Any] = {}
_DECODERS: dict[int, Any] = {}
_PLAINERS: dict[int, Any] = {}


def encoder(info: TypeInfo) -> Any:
    """The compiled encoder of a complex type: ``(obj, acc, nbits, out) -> (acc, nbits)``."""
    found = _ENCODERS.get(id(info))
    if found is None:
        with _GENERATING:
            found = _ENCODERS[id(info)] = _COMPILER.encoder(info)
    return found


def decoder(info: TypeInfo) -> Any:
    """The compiled decoder of a complex type: ``(BitReader) -> obj``."""
    found = _DECODERS.get(id(info))
    if found is None:
        with _GENERATING:
            found = _DECODERS[id(info)] = _COMPILER.decoder(info)
    return found


def plainer(info: TypeInfo) -> Any:
    """The compiled infoset conversion of a complex type: ``(obj) -> dict``."""
    found = _PLAINERS.get(id(info))
    if found is None:
        with _GENERATING:
            found = _PLAINERS[id(info)] = _COMPILER.to_plain(info)
    return found


def prepare(info: TypeInfo) -> None:
    """Generate a root type's encoder, decoder and infoset conversion (and its children's)."""
    encoder(info)
    decoder(info)
    plainer(info)


def encode_document(header: int, code: int, width: int, use: ElementUse, message: Any) -> bytes:
    """The whole stream: header byte, the root's DocContent code, its content, padding.
    Raises Fallback for anything it does not encode (a KeyError of a grammar table included)."""
    if use.info is None:
        raise Fallback
    out = bytearray()
    try:
        acc, nbits = encoder(use.info)(message, (header << width) | code, 8 + width, out)
    except Exception:  # noqa: BLE001 - whatever went wrong, the reference codec decides
        raise Fallback from None
    pad = -nbits % 8
    tail = (acc << pad).to_bytes((nbits + pad) // 8, "big")
    return bytes(out) + tail if out else tail


def decode_content(reader: BitReader, use: ElementUse) -> Any:
    """The root element's content; Fallback for anything it does not decode."""
    if use.info is None:
        raise Fallback
    try:
        return decoder(use.info)(reader)
    except Exception:  # noqa: BLE001 - whatever went wrong, the reference codec decides
        raise Fallback from None


def to_plain(use: ElementUse, message: Any) -> dict[str, Any]:
    """The infoset dict of a complex-typed element's value (see charger.v2g.infoset)."""
    if use.info is None:
        raise Fallback
    convert = plainer(use.info)
    try:
        return convert(message)
    except Exception:  # noqa: BLE001 - whatever went wrong, the reference conversion decides
        raise Fallback from None
