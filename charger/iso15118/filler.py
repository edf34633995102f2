"""A valid response carrying only a failure code.

The standards answer a request that comes out of sequence, or names an unknown session, with
the response of the request's own type and a FAILED_... code. Those responses still have
required elements (a ServiceDiscoveryRes needs a charge service, a CableCheckRes an EVSE
status), whose values the car ignores. :func:`failure_body` fills them with the smallest valid
values the schema declarations allow, so one function serves every response of both protocols.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from charger.v2g.schema import FieldSpec, Kind, is_complex, simple_type_of, type_info

# For an abstract element (an EVSE status, charge parameters), the member to use.
PREFERRED = {
    "AC": ("AC_EVSEStatusType", "AC_EVSEChargeParameterType"),
    "DC": ("DC_EVSEStatusType", "DC_EVSEChargeParameterType"),
}


def failure_body(protocol: Any, response: str, code: str, transfer: str = "DC") -> Any:
    """The body ``response`` (e.g. ``CableCheckRes``) with ResponseCode ``code``."""
    cls = protocol.body_class(response)
    return _minimal(cls, {"ResponseCode": code}, PREFERRED[transfer])


def _minimal(cls: type, given: dict[str, Any], preferred: tuple[str, ...]) -> Any:
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        spec: FieldSpec = f.metadata["v2g"]
        if f.name in given:
            values[f.name] = given[f.name]
        elif spec.min_occurs == 0:
            continue  # an optional element or attribute
        elif spec.role == "attribute":
            values[f.name] = "ID1"  # a required xs:ID (the certificate responses)
        else:
            one = _value(spec, preferred)
            values[f.name] = [one] * max(1, spec.min_occurs) if spec.is_list else one
    return cls(**values)


def _value(spec: FieldSpec, preferred: tuple[str, ...]) -> Any:
    if spec.ref is not None:
        members = [e.type for e in spec.ref.substitutes() if not e.abstract]
        chosen = next((m for m in members if m.__name__ in preferred), members[0])
        return _minimal(chosen, {}, preferred)
    if is_complex(spec.type):
        if type_info(spec.type).abstract:
            raise TypeError(f"abstract type {spec.type.__name__} without a substitution group")
        return _minimal(spec.type, {}, preferred)
    if isinstance(spec.type, type) and issubclass(spec.type, enum.StrEnum):
        return next(iter(spec.type))
    simple = simple_type_of(spec.type)
    if simple.kind == Kind.BOOLEAN:
        return False
    if simple.kind in (Kind.UNSIGNED, Kind.INTEGER, Kind.NBIT):
        low = simple.min_value if simple.min_value is not None else 0
        return max(low, 0) if simple.max_value is None or simple.max_value >= 0 else low
    if simple.kind in (Kind.HEX, Kind.BASE64):
        return bytes(simple.min_length or 1)
    return "0" * (simple.min_length or 1)
