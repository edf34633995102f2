"""The compiled codec (charger.v2g.compiled) agrees with the reference codec (charger.v2g.codec):
the same bytes for valid messages, a Fallback wherever the reference refuses, the same values
decoded, never a value where the reference refuses the bytes, and the same infoset dicts."""

import contextlib
import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from v2g_strategies import instances, v2g_messages

from charger.v2g import app_protocol, compiled, din, exi, infoset, iso2
from charger.v2g.bits import BitReader
from charger.v2g.errors import V2GDecodeError, V2GEncodeError
from charger.v2g.grammar import document_grammar
from charger.v2g.namespaces import schema_of

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MESSAGES = {
    "app": st.one_of(instances(app_protocol.supportedAppProtocolReq),
                     instances(app_protocol.supportedAppProtocolRes)),
    "din": v2g_messages(din),
    "iso2": v2g_messages(iso2),
}

# Values that break a field in every way the reference codec checks: absence, wrong types,
# ranges, lengths, lists where one value goes and the reverse.
JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.integers(-300, 300),
    st.text(max_size=4), st.binary(max_size=4), st.just(""), st.just(b""), st.just([]),
    st.lists(st.integers(0, 3), max_size=2), st.floats(allow_nan=False),
)


def compiled_encode(namespace, message):
    """The compiled encoder alone: bytes, or Fallback."""
    document = document_grammar(schema_of(namespace))
    code, use = document.by_class[type(message)]
    return compiled.encode_document(exi.EXI_HEADER, code, document.width, use, message)


def compiled_decode(namespace, data):
    """The compiled decoder alone, after the header and the root's code (which exi checks)."""
    document = document_grammar(schema_of(namespace))
    reader = BitReader(data)
    try:
        reader.read(8)
        use = document.uses[reader.read(document.width)]
    except (V2GDecodeError, IndexError):
        raise compiled.Fallback from None
    return compiled.decode_content(reader, use)


def reference_outcome(operation, *args):
    try:
        return "ok", operation(*args)
    except (V2GEncodeError, V2GDecodeError) as exc:
        return "refused", str(exc)


def any_outcome(operation, *args):
    try:
        return "ok", json.dumps(operation(*args), default=repr)
    except Exception as exc:  # noqa: BLE001 - whatever the reference raises, so must we
        return "raised", type(exc), str(exc)


def fields_of(obj, out):
    """Every (object, field name) of a message tree."""
    for field in dataclasses.fields(obj):
        out.append((obj, field.name))
        value = getattr(obj, field.name)
        for item in value if isinstance(value, list) else [value]:
            if dataclasses.is_dataclass(item):
                fields_of(item, out)
    return out


@pytest.mark.parametrize("namespace", sorted(MESSAGES))
def test_valid_messages_encode_and_decode_alike(namespace):
    @SETTINGS
    @given(MESSAGES[namespace])
    def check(message):
        data = compiled_encode(namespace, message)  # a valid message never falls back
        assert data == exi.encode_reference(namespace, message)
        reference = exi.decode_reference(namespace, data)
        # Second-level events (empty values) are left to the reference codec.
        with contextlib.suppress(compiled.Fallback):
            assert compiled_decode(namespace, data) == reference
        assert exi.decode(namespace, data) == reference
        # The infoset dict, keys in the same order.
        plain = exi.to_dict(message)
        assert plain == infoset.reference_to_dict(message)
        assert json.dumps(plain) == json.dumps(infoset.reference_to_dict(message))
        assert compiled.to_plain(document_grammar(schema_of(namespace)).by_class[type(message)][1],
                                 message) == next(iter(plain.values()))

    check()


@pytest.mark.parametrize("namespace", sorted(MESSAGES))
def test_broken_messages_fall_back_where_the_reference_refuses(namespace):
    @SETTINGS
    @given(MESSAGES[namespace], st.data())
    def check(message, data):
        target, name = data.draw(st.sampled_from(fields_of(message, [])))
        setattr(target, name, data.draw(JUNK))
        outcome, reference = reference_outcome(exi.encode_reference, namespace, message)
        try:
            fast = compiled_encode(namespace, message)
        except compiled.Fallback:
            fast = None
        if outcome == "ok":
            assert fast in (None, reference)
        else:
            assert fast is None
        # The public encoder gives the reference's bytes or its very error.
        assert reference_outcome(exi.encode, namespace, message) == (outcome, reference)
        # So does the conversion to an infoset dict.
        assert any_outcome(exi.to_dict, message) == any_outcome(infoset.reference_to_dict,
                                                                message)

    check()


@pytest.mark.parametrize("namespace", sorted(MESSAGES))
def test_corrupted_streams_decode_alike(namespace):
    @SETTINGS
    @given(MESSAGES[namespace], st.data())
    def check(message, data):
        encoded = bytearray(exi.encode_reference(namespace, message))
        cut = data.draw(st.integers(1, len(encoded)))
        for _ in range(data.draw(st.integers(0, 3))):
            bit = data.draw(st.integers(8, max(8, 8 * cut - 1)))
            if bit < 8 * cut:
                encoded[bit // 8] ^= 0x80 >> (bit % 8)
        stream = bytes(encoded[:cut])
        outcome, reference = reference_outcome(exi.decode_reference, namespace, stream)
        try:
            fast = ("ok", compiled_decode(namespace, stream))
        except compiled.Fallback:
            fast = None
        if outcome == "refused":
            assert fast is None
        elif fast is not None:
            assert fast[1] == reference
        assert reference_outcome(exi.decode, namespace, stream) == (outcome, reference)

    check()
