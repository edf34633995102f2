"""XML Signature (http://www.w3.org/2000/09/xmldsig#): one declaration per schema type.

Class, field and enumeration names are the schema's own, so that a field is named
after the element or attribute it holds. Written from the published XSDs.
"""

from __future__ import annotations

from charger.v2g.schema import (
    UNBOUNDED,
    XS_ANY_URI,
    XS_BASE64_BINARY,
    XS_ID,
    XS_INTEGER,
    XS_STRING,
    GlobalElement,
    Kind,
    any_element,
    attribute,
    binary_type,
    choice,
    complex_type,
    el,
    element,
    integer_type,
    seq,
    text,
)

XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

CryptoBinary = binary_type("CryptoBinary", Kind.BASE64)

DigestValueType = binary_type("DigestValueType", Kind.BASE64)

HMACOutputLengthType = integer_type("HMACOutputLengthType", None, None)


KeyName_element = GlobalElement("KeyName", XMLDSIG_NS, XS_STRING)


@complex_type(
    XMLDSIG_NS,
    content=seq(
        seq("P", "Q", min_occurs=0),
        el("G", min_occurs=0),
        "Y",
        el("J", min_occurs=0),
        seq("Seed", "PgenCounter", min_occurs=0),
    ),
)
class DSAKeyValueType:
    P: bytes | None = element(CryptoBinary, min_occurs=0)
    Q: bytes | None = element(CryptoBinary, min_occurs=0)
    G: bytes | None = element(CryptoBinary, min_occurs=0)
    Y: bytes = element(CryptoBinary)
    J: bytes | None = element(CryptoBinary, min_occurs=0)
    Seed: bytes | None = element(CryptoBinary, min_occurs=0)
    PgenCounter: bytes | None = element(CryptoBinary, min_occurs=0)


DSAKeyValue_element = GlobalElement("DSAKeyValue", XMLDSIG_NS, DSAKeyValueType)


@complex_type(XMLDSIG_NS)
class RSAKeyValueType:
    Modulus: bytes = element(CryptoBinary)
    Exponent: bytes = element(CryptoBinary)


RSAKeyValue_element = GlobalElement("RSAKeyValue", XMLDSIG_NS, RSAKeyValueType)


@complex_type(XMLDSIG_NS, mixed=True, content=choice("DSAKeyValue", "RSAKeyValue", any_element()))
class KeyValueType:
    DSAKeyValue: DSAKeyValueType | None = element(ref=DSAKeyValue_element, min_occurs=0)
    RSAKeyValue: RSAKeyValueType | None = element(ref=RSAKeyValue_element, min_occurs=0)


KeyValue_element = GlobalElement("KeyValue", XMLDSIG_NS, KeyValueType)


MgmtData_element = GlobalElement("MgmtData", XMLDSIG_NS, XS_STRING)


@complex_type(
    XMLDSIG_NS,
    content=choice(
        seq(
            "PGPKeyID",
            el("PGPKeyPacket", min_occurs=0),
            any_element(min_occurs=0, max_occurs=UNBOUNDED),
        ),
        seq("PGPKeyPacket", any_element(min_occurs=0, max_occurs=UNBOUNDED)),
    ),
)
class PGPDataType:
    PGPKeyID: bytes | None = element(XS_BASE64_BINARY, min_occurs=0)
    PGPKeyPacket: list[bytes] = element(XS_BASE64_BINARY, min_occurs=0, max_occurs=UNBOUNDED)


PGPData_element = GlobalElement("PGPData", XMLDSIG_NS, PGPDataType)


@complex_type(
    XMLDSIG_NS,
    mixed=True,
    content=choice(any_element(), "XPath", min_occurs=0, max_occurs=UNBOUNDED),
)
class TransformType:
    Algorithm: str = attribute(XS_ANY_URI, required=True)
    XPath: list[str] = element(XS_STRING, min_occurs=0, max_occurs=UNBOUNDED)


Transform_element = GlobalElement("Transform", XMLDSIG_NS, TransformType)


@complex_type(XMLDSIG_NS)
class TransformsType:
    Transform: list[TransformType] = element(ref=Transform_element, max_occurs=UNBOUNDED)


Transforms_element = GlobalElement("Transforms", XMLDSIG_NS, TransformsType)


@complex_type(XMLDSIG_NS)
class RetrievalMethodType:
    Type: str | None = attribute(XS_ANY_URI)
    URI: str | None = attribute(XS_ANY_URI)
    Transforms: TransformsType | None = element(ref=Transforms_element, min_occurs=0)


RetrievalMethod_element = GlobalElement("RetrievalMethod", XMLDSIG_NS, RetrievalMethodType)


@complex_type(XMLDSIG_NS, content=seq("SPKISexp", any_element(min_occurs=0), max_occurs=UNBOUNDED))
class SPKIDataType:
    SPKISexp: list[bytes] = element(XS_BASE64_BINARY, max_occurs=UNBOUNDED)


SPKIData_element = GlobalElement("SPKIData", XMLDSIG_NS, SPKIDataType)


@complex_type(XMLDSIG_NS)
class X509IssuerSerialType:
    X509IssuerName: str = element(XS_STRING)
    X509SerialNumber: int = element(XS_INTEGER)


@complex_type(
    XMLDSIG_NS,
    content=seq(
        choice(
            "X509IssuerSerial",
            "X509SKI",
            "X509SubjectName",
            "X509Certificate",
            "X509CRL",
            any_element(),
        ),
        max_occurs=UNBOUNDED,
    ),
)
class X509DataType:
    X509IssuerSerial: list[X509IssuerSerialType] = element(
        X509IssuerSerialType, min_occurs=0, max_occurs=UNBOUNDED
    )
    X509SKI: list[bytes] = element(XS_BASE64_BINARY, min_occurs=0, max_occurs=UNBOUNDED)
    X509SubjectName: list[str] = element(XS_STRING, min_occurs=0, max_occurs=UNBOUNDED)
    X509Certificate: list[bytes] = element(XS_BASE64_BINARY, min_occurs=0, max_occurs=UNBOUNDED)
    X509CRL: list[bytes] = element(XS_BASE64_BINARY, min_occurs=0, max_occurs=UNBOUNDED)


X509Data_element = GlobalElement("X509Data", XMLDSIG_NS, X509DataType)


@complex_type(
    XMLDSIG_NS,
    mixed=True,
    content=choice(
        "KeyName",
        "KeyValue",
        "RetrievalMethod",
        "X509Data",
        "PGPData",
        "SPKIData",
        "MgmtData",
        any_element(),
        max_occurs=UNBOUNDED,
    ),
)
class KeyInfoType:
    Id: str | None = attribute(XS_ID)
    KeyName: list[str] = element(ref=KeyName_element, min_occurs=0, max_occurs=UNBOUNDED)
    KeyValue: list[KeyValueType] = element(ref=KeyValue_element, min_occurs=0, max_occurs=UNBOUNDED)
    RetrievalMethod: list[RetrievalMethodType] = element(
        ref=RetrievalMethod_element, min_occurs=0, max_occurs=UNBOUNDED
    )
    X509Data: list[X509DataType] = element(ref=X509Data_element, min_occurs=0, max_occurs=UNBOUNDED)
    PGPData: list[PGPDataType] = element(ref=PGPData_element, min_occurs=0, max_occurs=UNBOUNDED)
    SPKIData: list[SPKIDataType] = element(ref=SPKIData_element, min_occurs=0, max_occurs=UNBOUNDED)
    MgmtData: list[str] = element(ref=MgmtData_element, min_occurs=0, max_occurs=UNBOUNDED)


KeyInfo_element = GlobalElement("KeyInfo", XMLDSIG_NS, KeyInfoType)


@complex_type(
    XMLDSIG_NS, mixed=True, content=seq(any_element(), min_occurs=0, max_occurs=UNBOUNDED)
)
class ObjectType:
    Encoding: str | None = attribute(XS_ANY_URI)
    Id: str | None = attribute(XS_ID)
    MimeType: str | None = attribute(XS_STRING)


Object_element = GlobalElement("Object", XMLDSIG_NS, ObjectType)


@complex_type(XMLDSIG_NS)
class SignatureValueType:
    Id: str | None = attribute(XS_ID)
    value: bytes = text(XS_BASE64_BINARY)


SignatureValue_element = GlobalElement("SignatureValue", XMLDSIG_NS, SignatureValueType)


@complex_type(XMLDSIG_NS, mixed=True, content=seq(any_element(min_occurs=0, max_occurs=UNBOUNDED)))
class CanonicalizationMethodType:
    Algorithm: str = attribute(XS_ANY_URI, required=True)


CanonicalizationMethod_element = GlobalElement(
    "CanonicalizationMethod", XMLDSIG_NS, CanonicalizationMethodType
)


@complex_type(XMLDSIG_NS, mixed=True, content=seq(any_element(min_occurs=0, max_occurs=UNBOUNDED)))
class DigestMethodType:
    Algorithm: str = attribute(XS_ANY_URI, required=True)


DigestMethod_element = GlobalElement("DigestMethod", XMLDSIG_NS, DigestMethodType)


DigestValue_element = GlobalElement("DigestValue", XMLDSIG_NS, DigestValueType)


@complex_type(XMLDSIG_NS)
class ReferenceType:
    Id: str | None = attribute(XS_ID)
    Type: str | None = attribute(XS_ANY_URI)
    URI: str | None = attribute(XS_ANY_URI)
    Transforms: TransformsType | None = element(ref=Transforms_element, min_occurs=0)
    DigestMethod: DigestMethodType = element(ref=DigestMethod_element)
    DigestValue: bytes = element(ref=DigestValue_element)


Reference_element = GlobalElement("Reference", XMLDSIG_NS, ReferenceType)


@complex_type(
    XMLDSIG_NS,
    mixed=True,
    content=seq(
        el("HMACOutputLength", min_occurs=0), any_element(min_occurs=0, max_occurs=UNBOUNDED)
    ),
)
class SignatureMethodType:
    Algorithm: str = attribute(XS_ANY_URI, required=True)
    HMACOutputLength: int | None = element(HMACOutputLengthType, min_occurs=0)


SignatureMethod_element = GlobalElement("SignatureMethod", XMLDSIG_NS, SignatureMethodType)


@complex_type(XMLDSIG_NS)
class SignedInfoType:
    Id: str | None = attribute(XS_ID)
    CanonicalizationMethod: CanonicalizationMethodType = element(ref=CanonicalizationMethod_element)
    SignatureMethod: SignatureMethodType = element(ref=SignatureMethod_element)
    Reference: list[ReferenceType] = element(ref=Reference_element, max_occurs=UNBOUNDED)


SignedInfo_element = GlobalElement("SignedInfo", XMLDSIG_NS, SignedInfoType)


@complex_type(XMLDSIG_NS)
class SignatureType:
    Id: str | None = attribute(XS_ID)
    SignedInfo: SignedInfoType = element(ref=SignedInfo_element)
    SignatureValue: SignatureValueType = element(ref=SignatureValue_element)
    KeyInfo: KeyInfoType | None = element(ref=KeyInfo_element, min_occurs=0)
    Object: list[ObjectType] = element(ref=Object_element, min_occurs=0, max_occurs=UNBOUNDED)


@complex_type(XMLDSIG_NS)
class ManifestType:
    Id: str | None = attribute(XS_ID)
    Reference: list[ReferenceType] = element(ref=Reference_element, max_occurs=UNBOUNDED)


@complex_type(XMLDSIG_NS, mixed=True, content=choice(any_element(), max_occurs=UNBOUNDED))
class SignaturePropertyType:
    Id: str | None = attribute(XS_ID)
    Target: str = attribute(XS_ANY_URI, required=True)


SignatureProperty_element = GlobalElement("SignatureProperty", XMLDSIG_NS, SignaturePropertyType)


@complex_type(XMLDSIG_NS)
class SignaturePropertiesType:
    Id: str | None = attribute(XS_ID)
    SignatureProperty: list[SignaturePropertyType] = element(
        ref=SignatureProperty_element, max_occurs=UNBOUNDED
    )


Signature_element = GlobalElement("Signature", XMLDSIG_NS, SignatureType)


Manifest_element = GlobalElement("Manifest", XMLDSIG_NS, ManifestType)


SignatureProperties_element = GlobalElement(
    "SignatureProperties", XMLDSIG_NS, SignaturePropertiesType
)


ELEMENTS: list[GlobalElement] = [
    Signature_element,
    SignatureValue_element,
    SignedInfo_element,
    CanonicalizationMethod_element,
    SignatureMethod_element,
    Reference_element,
    Transforms_element,
    Transform_element,
    DigestMethod_element,
    DigestValue_element,
    KeyInfo_element,
    KeyName_element,
    MgmtData_element,
    KeyValue_element,
    RetrievalMethod_element,
    X509Data_element,
    PGPData_element,
    SPKIData_element,
    Object_element,
    Manifest_element,
    SignatureProperties_element,
    SignatureProperty_element,
    DSAKeyValue_element,
    RSAKeyValue_element,
]
