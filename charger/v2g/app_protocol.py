"""SupportedAppProtocol (urn:iso:15118:2:2010:AppProtocol): one declaration per schema type.

Class, field and enumeration names are the schema's own, so that a field is named
after the element or attribute it holds. Written from the published XSDs.
"""

from __future__ import annotations

from enum import StrEnum

from charger.v2g.schema import (
    XS_UNSIGNED_INT,
    GlobalElement,
    Schema,
    complex_type,
    element,
    integer_type,
    string_type,
)

APP_PROTOCOL_NS = "urn:iso:15118:2:2010:AppProtocol"

protocolNamespaceType = string_type("protocolNamespaceType", max_length=100)

idType = integer_type("idType", 0, 255)

priorityType = integer_type("priorityType", 1, 20)


class responseCodeType(StrEnum):
    OK_SuccessfulNegotiation = "OK_SuccessfulNegotiation"
    OK_SuccessfulNegotiationWithMinorDeviation = "OK_SuccessfulNegotiationWithMinorDeviation"
    Failed_NoNegotiation = "Failed_NoNegotiation"


@complex_type("")
class AppProtocolType:
    ProtocolNamespace: str = element(protocolNamespaceType)
    VersionNumberMajor: int = element(XS_UNSIGNED_INT)
    VersionNumberMinor: int = element(XS_UNSIGNED_INT)
    SchemaID: int = element(idType)
    Priority: int = element(priorityType)


@complex_type("")
class supportedAppProtocolReq:
    AppProtocol: list[AppProtocolType] = element(AppProtocolType, max_occurs=20)


@complex_type("")
class supportedAppProtocolRes:
    ResponseCode: responseCodeType = element(responseCodeType)
    SchemaID: int | None = element(idType, min_occurs=0)


supportedAppProtocolReq_element = GlobalElement(
    "supportedAppProtocolReq", APP_PROTOCOL_NS, supportedAppProtocolReq
)


supportedAppProtocolRes_element = GlobalElement(
    "supportedAppProtocolRes", APP_PROTOCOL_NS, supportedAppProtocolRes
)


ELEMENTS: list[GlobalElement] = [
    supportedAppProtocolReq_element,
    supportedAppProtocolRes_element,
]

SCHEMA = Schema("app", APP_PROTOCOL_NS, ELEMENTS)
