"""Public EXI API for the V2G messages: encode and decode typed objects or infoset dicts.

    encode("iso2", message)        -> bytes      (message: typed object or infoset dict)
    decode("iso2", data)           -> typed object (e.g. iso2.V2G_Message)
    decode_dict("iso2", data)      -> infoset dict
    to_dict(message) / from_dict("iso2", infoset)

The stream is what EXIficient writes with the options V2G uses: the header byte 0x80
(distinguishing bits, no options, version 1), schema-informed grammars, bit-packed, not strict,
nothing preserved, string table unbounded.

Messages go through the compiled codec (charger.v2g.compiled) first; whatever it does not handle
(anything invalid, rare second-level events) goes through the reference codec
(charger.v2g.codec), which decides the bytes or the error. ``encode_reference`` and
``decode_reference`` run the reference codec alone.
"""

from __future__ import annotations

from typing import Any

from charger.v2g import compiled
from charger.v2g.bits import BitReader, BitWriter
from charger.v2g.codec import StringTable, decode_element_content, encode_element_content
from charger.v2g.errors import V2GDecodeError, V2GEncodeError
from charger.v2g.grammar import SE, compile_type, document_grammar
from charger.v2g.infoset import from_dict, root_to_plain, root_use, to_dict
from charger.v2g.namespaces import SCHEMAS, schema_of

__all__ = ["EXI_HEADER", "decode", "decode_dict", "decode_reference", "encode", "encode_reference",
           "from_dict", "to_dict", "warm_up"]

EXI_HEADER = 0x80
# A V2GTP payload is bounded well below this; a larger input is refused before any work.
MAX_MESSAGE_BYTES = 1 << 20


def encode(namespace: str, message: Any) -> bytes:
    """EXI-encode a typed root message or its infoset dict."""
    return _encode(namespace, message, fast=True)


def encode_reference(namespace: str, message: Any) -> bytes:
    """``encode`` by the reference codec alone (for tests and benchmarks)."""
    return _encode(namespace, message, fast=False)


def _encode(namespace: str, message: Any, fast: bool) -> bytes:
    if isinstance(message, dict):
        message = from_dict(namespace, message)
    schema = schema_of(namespace)
    document = document_grammar(schema)
    found = document.by_class.get(type(message))
    if found is None:
        root_use(message, namespace)  # raises the explanatory error
        raise V2GEncodeError(f"{type(message).__name__} cannot be a {namespace} root")
    code, use = found
    if fast:
        try:
            return compiled.encode_document(EXI_HEADER, code, document.width, use, message)
        except compiled.Fallback:  # the reference codec decides: the bytes or the error
            pass
    writer = BitWriter()
    writer.write(EXI_HEADER, 8)
    writer.write(code, document.width)
    encode_element_content(writer, use, message, StringTable())
    # DocEnd has the single production ED: zero bits.
    return writer.to_bytes()


def _decode_root(namespace: str, data: bytes, fast: bool = True) -> tuple[str, Any]:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise V2GDecodeError(f"expected bytes, got {type(data).__name__}")
    if len(data) > MAX_MESSAGE_BYTES:
        raise V2GDecodeError(f"EXI message of {len(data)} bytes is too large")
    document = document_grammar(schema_of(namespace))
    reader = BitReader(bytes(data))
    if not data:
        raise V2GDecodeError("empty EXI stream")
    header = reader.read(8)
    if header != EXI_HEADER:
        raise V2GDecodeError(f"unsupported EXI header 0x{header:02X}: V2G streams start with "
                             "0x80 (no options, version 1)")
    code = reader.read(document.width)
    if code >= len(document.uses):
        raise V2GDecodeError("the root element is not a global element of the schema")
    use = document.uses[code]
    if fast and use.info is not None:
        position = reader.next_byte, reader.window, reader.avail
        try:
            return use.name, compiled.decode_content(reader, use)
        except compiled.Fallback:  # the reference codec decides: the value or the error
            reader.next_byte, reader.window, reader.avail = position
    return use.name, decode_element_content(reader, use, StringTable())


def decode(namespace: str, data: bytes) -> Any:
    """Decode an EXI stream into the typed object of its root element."""
    return _decode_root(namespace, data)[1]


def decode_reference(namespace: str, data: bytes) -> Any:
    """``decode`` by the reference codec alone (for tests and benchmarks)."""
    return _decode_root(namespace, data, fast=False)[1]


def decode_dict(namespace: str, data: bytes) -> dict[str, Any]:
    """Decode an EXI stream into its infoset dict."""
    name, message = _decode_root(namespace, data)
    _, use = document_grammar(schema_of(namespace)).by_key[name]
    return {name: root_to_plain(use, message)}


def warm_up(namespace: str | None = None) -> int:
    """Compile every grammar of a namespace (or of all three), and the compiled codec of every
    root element, now rather than on first use, so that no later message pays for it; returns
    the number of grammars."""
    keys = [namespace] if namespace is not None else list(SCHEMAS)
    seen: set[int] = set()
    pending = [use.info for key in keys for use in document_grammar(schema_of(key)).uses
               if use.info is not None]
    for key in keys:
        for use in document_grammar(schema_of(key)).uses:
            if use.info is not None:
                compiled.prepare(use.info)
    while pending:
        info = pending.pop()
        if id(info) in seen:
            continue
        seen.add(id(info))
        for state in compile_type(info).states:
            pending.extend(p[1].info for p in state.prods if p[0] == SE and p[1].info)
    return len(seen)
