"""AppProtocol (supportedAppProtocolReq/Res) corpus cases."""

from __future__ import annotations

import random
import string
from collections.abc import Iterator
from typing import Any

from gen import rand_int

Message = dict[str, Any]

DIN = "urn:din:70121:2012:MsgDef"
ISO2 = "urn:iso:15118:2:2013:MsgDef"
KNOWN_NAMESPACES = [
    DIN,
    ISO2,
    "urn:iso:15118:2:2010:MsgDef",
    "urn:iso:std:iso:15118:-20:DC",
    "urn:iso:std:iso:15118:-20:AC",
    "urn:iso:std:iso:15118:-20:WPT",
    "urn:iso:std:iso:15118:-20:ACDP",
]
RESPONSE_CODES = [
    "OK_SuccessfulNegotiation",
    "OK_SuccessfulNegotiationWithMinorDeviation",
    "Failed_NoNegotiation",
]
URI_CHARS = string.ascii_letters + string.digits + ":-./_#"


def protocol(namespace: str, major: int, minor: int, schema_id: int, priority: int) -> Message:
    return {
        "ProtocolNamespace": namespace,
        "VersionNumberMajor": major,
        "VersionNumberMinor": minor,
        "SchemaID": schema_id,
        "Priority": priority,
    }


def request(protocols: list[Message]) -> Message:
    return {"supportedAppProtocolReq": {"AppProtocol": protocols}}


def response(code: str, schema_id: int) -> Message:
    # SchemaID is optional in the schema, but Josev's codec always writes it (0 when unset),
    # so every response carries one.
    return {"supportedAppProtocolRes": {"ResponseCode": code, "SchemaID": schema_id}}


def random_protocol(rng: random.Random, priority: int) -> Message:
    if rng.random() < 0.6:
        namespace = rng.choice(KNOWN_NAMESPACES)
    else:
        namespace = "urn:" + "".join(rng.choice(URI_CHARS) for _ in range(rng.randint(0, 96)))
    return protocol(
        namespace,
        rand_int(rng, 0, 2**32 - 1),
        rand_int(rng, 0, 2**32 - 1),
        rng.randint(0, 255),
        priority,
    )


def cases(seed: int) -> Iterator[tuple[str, Message]]:
    rng = random.Random(seed)
    # An EVCC offering ISO 15118-2 only.  The well-known vector uses SchemaID 10; Josev's EVCC
    # numbers its entries from 1.
    yield "app/supportedAppProtocolReq/iso2-schemaid-10", request([protocol(ISO2, 2, 0, 10, 1)])
    yield "app/supportedAppProtocolReq/iso2-schemaid-1", request([protocol(ISO2, 2, 0, 1, 1)])
    yield "app/supportedAppProtocolReq/din-only", request([protocol(DIN, 2, 0, 1, 1)])
    yield (
        "app/supportedAppProtocolReq/iso2-din",
        request([protocol(ISO2, 2, 0, 1, 1), protocol(DIN, 2, 0, 2, 2)]),
    )
    yield (
        "app/supportedAppProtocolReq/all-known",
        request(
            [
                protocol(ns, 2 if i < 2 else 1, 0, i + 1, i + 1)
                for i, ns in enumerate(KNOWN_NAMESPACES)
            ]
        ),
    )
    yield (
        "app/supportedAppProtocolReq/20-entries",
        request([protocol(KNOWN_NAMESPACES[i % 7], 2, i, 255 - i, 20 - i) for i in range(20)]),
    )
    yield (
        "app/supportedAppProtocolReq/namespace-100",
        request([protocol("urn:" + "x" * 96, 1, 0, 0, 1)]),
    )
    yield "app/supportedAppProtocolReq/namespace-empty", request([protocol("", 0, 0, 0, 1)])
    yield (
        "app/supportedAppProtocolReq/versions-max",
        request([protocol(ISO2, 2**32 - 1, 2**32 - 1, 255, 20)]),
    )
    yield "app/supportedAppProtocolReq/versions-min", request([protocol(DIN, 0, 0, 0, 1)])
    yield (
        "app/supportedAppProtocolReq/versions-byte-edges",
        request(
            [
                protocol(ISO2, 127, 128, 127, 2),
                protocol(DIN, 16383, 16384, 128, 3),
                protocol(ISO2, 2097151, 2097152, 1, 4),
            ]
        ),
    )
    for i in range(15):
        n = rng.randint(1, 20)
        yield (
            f"app/supportedAppProtocolReq/random-{i}",
            request([random_protocol(rng, rng.randint(1, 20)) for _ in range(n)]),
        )
    for code in RESPONSE_CODES:
        for schema_id in (0, 1, 10, 255):
            yield (
                f"app/supportedAppProtocolRes/{code}-schemaid-{schema_id}",
                response(code, schema_id),
            )
    for i in range(4):
        yield (
            f"app/supportedAppProtocolRes/random-{i}",
            response(rng.choice(RESPONSE_CODES), rng.randint(0, 255)),
        )
