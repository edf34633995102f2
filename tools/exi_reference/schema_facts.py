"""Value facets of the V2G schemas that the corpus generator must respect.

EXIficient (non-strict) silently encodes out-of-range values with a schema deviation instead of
failing, and such a message still round-trips.  So every generated message is checked against
these facts before it is encoded: a corpus entry must be a schema-valid message.

Namespaces: "app" (AppProtocol), "din" (DIN SPEC 70121, the 2014 schema EXIficient's DIN
grammar is built from) and "iso2" (ISO 15118-2:2013).
"""

from __future__ import annotations

from typing import Any

BYTE = (-(2**7), 2**7 - 1)
UBYTE = (0, 2**8 - 1)
SHORT = (-(2**15), 2**15 - 1)
USHORT = (0, 2**16 - 1)
INT = (-(2**31), 2**31 - 1)
UINT = (0, 2**32 - 1)
LONG = (-(2**63), 2**63 - 1)
ULONG = (0, 2**64 - 1)
MULTIPLIER = (-3, 3)
PERCENT = (0, 100)
UNBOUNDED = (None, None)

# Integer-valued elements by local name (each name has one type within a namespace).
INT_RANGES: dict[str, dict[str, tuple[int | None, int | None]]] = {
    "app": {
        "VersionNumberMajor": UINT,
        "VersionNumberMinor": UINT,
        "SchemaID": UBYTE,
        "Priority": (1, 20),
    },
    "iso2": {
        "Value": SHORT,
        "Multiplier": MULTIPLIER,
        "amountMultiplier": MULTIPLIER,
        "SAScheduleTupleID": (1, 255),
        "SalesTariffID": (1, 255),
        "NumEPriceLevels": UBYTE,
        "EPriceLevel": UBYTE,
        "ServiceID": USHORT,
        "ParameterSetID": SHORT,
        "byteValue": BYTE,
        "shortValue": SHORT,
        "intValue": INT,
        "MaxEntriesSAScheduleTuple": USHORT,
        "DepartureTime": UINT,
        "NotificationMaxDelay": USHORT,
        "EVRESSSOC": PERCENT,
        "FullSOC": PERCENT,
        "BulkSOC": PERCENT,
        "ChargingProfileEntryStart": UINT,
        "ChargingProfileEntryMaxNumberOfPhasesInUse": (1, 3),
        "start": (0, 16777214),
        "duration": (0, 86400),
        "amount": UINT,
        "MeterReading": ULONG,
        "MeterStatus": SHORT,
        "TMeter": LONG,
        "EVSETimeStamp": LONG,
        "RetryCounter": SHORT,
        "X509SerialNumber": UNBOUNDED,
    },
    "din": {
        "Value": SHORT,
        "Multiplier": MULTIPLIER,
        "amountMultiplier": MULTIPLIER,
        "SAScheduleTupleID": SHORT,
        "SalesTariffID": SHORT,
        "PMaxScheduleID": SHORT,
        "NumEPriceLevels": UBYTE,
        "EPriceLevel": UBYTE,
        "ServiceID": USHORT,
        "ParameterSetID": SHORT,
        "byteValue": BYTE,
        "shortValue": SHORT,
        "intValue": INT,
        "DepartureTime": UINT,
        "NotificationMaxDelay": UINT,
        "EVRESSSOC": PERCENT,
        "FullSOC": PERCENT,
        "BulkSOC": PERCENT,
        "ChargingProfileEntryStart": UINT,
        "ChargingProfileEntryMaxPower": SHORT,
        "PMax": SHORT,
        "start": UINT,
        "duration": UINT,
        "startValue": UINT,
        "amount": UINT,
        "MeterStatus": SHORT,
        "TMeter": LONG,
        "DateTimeNow": LONG,
        "RetryCounter": SHORT,
    },
}

# String-valued elements and attributes with length facets: (minLength, maxLength).
STR_LEN: dict[str, dict[str, tuple[int, int | None]]] = {
    "app": {"ProtocolNamespace": (0, 100)},
    "iso2": {
        "EVSEID": (7, 37),
        "MeterID": (0, 32),
        "ServiceName": (0, 32),
        "ServiceScope": (0, 64),
        "FaultMsg": (0, 64),
        "eMAID": (14, 15),
        "SalesTariffDescription": (0, 32),
    },
    "din": {
        "MeterID": (0, 32),
        "ServiceName": (0, 32),
        "ServiceScope": (0, 32),
        "FaultMsg": (0, 64),
        "ContractID": (0, 24),
        "RootCertificateID": (0, 40),
        "SalesTariffDescription": (0, 32),
    },
}

# hexBinary elements (written in the corpus as uppercase hex): (minLength, maxLength) in bytes.
HEX_LEN: dict[str, dict[str, tuple[int, int]]] = {
    "app": {},
    "iso2": {"SessionID": (0, 8), "EVCCID": (0, 6)},
    "din": {"SessionID": (8, 8), "EVCCID": (0, 8), "EVSEID": (0, 32)},
}

# base64Binary elements (uppercase hex in the corpus, base64 in Josev's JSON): byte lengths.
# For elements with simple content and attributes the facet applies to their "#text".
BASE64_LEN: dict[str, dict[str, tuple[int, int | None]]] = {
    "app": {},
    "iso2": {
        "GenChallenge": (16, 16),
        "Certificate": (0, 800),
        "OEMProvisioningCert": (0, 800),
        "SigMeterReading": (0, 64),
        "ContractSignatureEncryptedPrivateKey": (0, 48),
        "DHpublickey": (0, 65),
        "DigestValue": (0, None),
        "SignatureValue": (0, None),
    },
    "din": {
        "Certificate": (0, 1200),
        "OEMProvisioningCert": (0, 1200),
        "SigMeterReading": (0, 32),
        "ContractSignatureEncryptedPrivateKey": (0, 128),
        "DHParams": (0, 256),
        "DigestValue": (0, None),
        "SignatureValue": (0, None),
    },
}

# maxOccurs of repeated elements (ISO-2 and AppProtocol bound them; DIN leaves them unbounded).
LIST_MAX: dict[str, dict[str, int | None]] = {
    "app": {"AppProtocol": 20},
    "iso2": {
        "PaymentOption": 2,
        "EnergyTransferMode": 6,
        "Service": 8,
        "SelectedService": 16,
        "ParameterSet": 255,
        "Parameter": 16,
        "Certificate": 4,
        "RootCertificateID": 20,
        "SAScheduleTuple": 3,
        "PMaxScheduleEntry": 1024,
        "SalesTariffEntry": 1024,
        "ConsumptionCost": 3,
        "Cost": 3,
        "ProfileEntry": 24,
        "Reference": None,
        "Transform": None,
    },
    "din": {
        name: None
        for name in (
            "PaymentOption",
            "Service",
            "SelectedService",
            "ParameterSet",
            "Parameter",
            "Certificate",
            "RootCertificateID",
            "SAScheduleTuple",
            "PMaxScheduleEntry",
            "SalesTariffEntry",
            "ConsumptionCost",
            "Cost",
            "ProfileEntry",
            "Reference",
            "Transform",
        )
    },
}

# Attribute names used in these schemas (written "@Name" in the corpus, plain in Josev's JSON).
ATTRIBUTES = frozenset({"Id", "Name", "ValueType", "Algorithm", "URI", "Type"})


class FacetError(ValueError):
    """A generated message breaks a schema facet."""


def _check_len(where: str, length: int, bounds: tuple[int, int | None]) -> None:
    lo, hi = bounds
    if length < lo or (hi is not None and length > hi):
        raise FacetError(f"{where}: length {length} outside {bounds}")


def _check_hex(where: str, text: str, bounds: tuple[int, int | None]) -> None:
    if text != text.upper() or len(text) % 2:
        raise FacetError(f"{where}: not uppercase hex of whole bytes: {text!r}")
    bytes.fromhex(text)
    _check_len(where, len(text) // 2, bounds)


def check_facets(namespace: str, message: dict[str, Any]) -> None:
    """Raise FacetError if any value in the infoset breaks a facet listed above."""
    _walk(namespace, message, "")


def _walk(ns: str, node: Any, path: str, name: str = "") -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}/{key}"
            if key == "#text":
                _leaf(ns, value, child, name)
            elif key.startswith("@"):
                _leaf(ns, value, child, key[1:])
            else:
                _walk(ns, value, child, key)
        return
    if isinstance(node, list):
        limit = LIST_MAX[ns].get(name, 1)
        if not node or (limit is not None and len(node) > limit):
            raise FacetError(f"{path}: {len(node)} items, maxOccurs {limit}")
        for i, item in enumerate(node):
            _walk(ns, item, f"{path}[{i}]", name)
        return
    _leaf(ns, node, path, name)


def _leaf(ns: str, value: Any, path: str, name: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if name not in INT_RANGES[ns]:
            raise FacetError(f"{path}: no integer type known for {name}")
        lo, hi = INT_RANGES[ns][name]
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise FacetError(f"{path}: {value} outside [{lo}, {hi}]")
        return
    if not isinstance(value, str):
        raise FacetError(f"{path}: unexpected value {value!r}")
    if name in HEX_LEN[ns]:
        _check_hex(path, value, HEX_LEN[ns][name])
    elif name in BASE64_LEN[ns]:
        _check_hex(path, value, BASE64_LEN[ns][name])
    elif name in STR_LEN[ns]:
        _check_len(path, len(value), STR_LEN[ns][name])
