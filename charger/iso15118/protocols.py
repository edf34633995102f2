"""The two V2G protocols a session can speak, declared once each: DIN SPEC 70121 and
ISO 15118-2.

A :class:`V2GProtocol` carries what SupportedAppProtocol negotiates (namespace, version), the
message classes of its schema, and the sequencing rules the SECC enforces: which requests it
accepts in each state (:attr:`V2GProtocol.sequence`) and which requests belong to one kind of
energy transfer only. Building a message goes through :meth:`V2GProtocol.body` and
:meth:`V2GProtocol.data`, which drop the fields the protocol's type does not have, so the
engines state a message once for both protocols; the few real differences (an EVSE id that is
hexBinary in DIN, the PowerDelivery request, physical values) are methods here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from charger.v2g import din, iso2
from charger.v2g.schema import Schema

START = "Start"  # the SECC's state before SessionSetupReq
AC_MODES = frozenset({"AC_single_phase_core", "AC_three_phase_core"})
DC_MODES = frozenset({"DC_core", "DC_extended", "DC_combo_core", "DC_unique"})

# Requests that only an AC or only a DC session may send.
AC_ONLY = frozenset({"ChargingStatusReq"})
DC_ONLY = frozenset({"CableCheckReq", "PreChargeReq", "CurrentDemandReq", "WeldingDetectionReq"})


@dataclass(frozen=True)
class V2GProtocol:
    key: str  # "din" or "iso2", the codec's namespace key
    namespace: str  # the URN SupportedAppProtocol names
    major: int
    minor: int
    module: ModuleType
    # The SECC's sequencing rules: state -> requests accepted next. The state after a request
    # is the request's name, or "PowerDeliveryReq:<progress>" after a PowerDeliveryReq.
    sequence: Mapping[str, frozenset[str]]
    payment_selection: str  # the request that selects the payment option
    authorization: str  # the request that asks whether the EIM authorization is done
    energy_modes: frozenset[str]  # modes a session of this protocol may request
    _bodies: dict[str, type] = field(default_factory=dict, repr=False, compare=False)
    _names: dict[type, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        schema: Schema = self.module.SCHEMA
        for element in schema.elements:
            group = element.substitution_group
            if group is not None and group.name == "BodyElement":
                self._bodies[element.name] = element.type
                self._names[element.type] = element.name

    # --- messages ---------------------------------------------------------------------------
    def body_name(self, body: Any) -> str:
        """The element name of a body (``SessionSetupReq``)."""
        return self._names.get(type(body), type(body).__name__)

    def has_body(self, name: str) -> bool:
        return name in self._bodies

    def body_class(self, name: str) -> type:
        return self._bodies[name]

    def body(self, name: str, **fields: Any) -> Any:
        """The body element ``name`` with the given fields; fields this protocol's type does not
        have are dropped."""
        return _build(self._bodies[name], fields)

    def data(self, type_name: str, **fields: Any) -> Any:
        return _build(getattr(self.module, type_name), fields)

    def message(self, session_id: bytes, body: Any) -> Any:
        module = self.module
        return module.V2G_Message(Header=module.MessageHeaderType(SessionID=session_id),
                                  Body=module.BodyType(BodyElement=body))

    # --- the differences between the protocols ---------------------------------------------
    def evse_id(self, evse_id: str) -> Any:
        """ISO 15118-2 sends the EVSE id as a string; DIN SPEC 70121 as hexBinary."""
        if self.key == "din":
            return evse_id.encode("ascii", "replace")[:32]
        return evse_id

    def power_delivery_progress(self, request: Any) -> str:
        """Start, Stop or Renegotiate (DIN has only ReadyToChargeState)."""
        if self.key == "din":
            return "Start" if request.ReadyToChargeState else "Stop"
        return str(request.ChargeProgress)

    def power_delivery_request(self, progress: str, schedule_id: int, **fields: Any) -> Any:
        return self.body("PowerDeliveryReq", ChargeProgress=progress,
                         SAScheduleTupleID=schedule_id,
                         ReadyToChargeState=progress == "Start", **fields)

    def requested_mode(self, request: Any) -> str:
        if self.key == "din":
            return str(request.EVRequestedEnergyTransferType)
        return str(request.RequestedEnergyTransferMode)

    def physical(self, value: float, unit: str) -> Any:
        """A PhysicalValue: the finest multiplier (from 0.1 up) whose value fits 16 bits."""
        for multiplier in range(-1, 4):
            scaled = round(value / 10**multiplier)
            if -32768 <= scaled <= 32767:
                return self.data("PhysicalValueType", Multiplier=multiplier, Unit=unit,
                                 Value=scaled)
        return self.data("PhysicalValueType", Multiplier=3, Unit=unit,
                         Value=32767 if value > 0 else -32768)


def value_of(physical: Any) -> float:
    """The number a PhysicalValue stands for."""
    if physical is None:
        return 0.0
    return physical.Value * 10.0**physical.Multiplier


_FIELD_NAMES: dict[type, frozenset[str]] = {}


def _build(cls: type, fields: Mapping[str, Any]) -> Any:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in dataclasses.fields(cls))
    return cls(**{k: v for k, v in fields.items() if k in names})


def _sequence(payment: str, authorization: str, *, detail: bool) -> dict[str, frozenset[str]]:
    stop = "SessionStopReq"
    discovery_next = {payment, stop} | ({"ServiceDetailReq"} if detail else set())
    loop = {"ChargingStatusReq", "CurrentDemandReq", "PowerDeliveryReq", "MeteringReceiptReq",
            stop}
    table = {
        START: {"SessionSetupReq"},
        "SessionSetupReq": {"ServiceDiscoveryReq", stop},
        "ServiceDiscoveryReq": discovery_next,
        "ServiceDetailReq": discovery_next,
        payment: {authorization, stop},
        authorization: {authorization, "ChargeParameterDiscoveryReq", stop},
        "ChargeParameterDiscoveryReq": {"ChargeParameterDiscoveryReq", "CableCheckReq",
                                        "PowerDeliveryReq", stop},
        "CableCheckReq": {"CableCheckReq", "PreChargeReq", stop},
        "PreChargeReq": {"PreChargeReq", "PowerDeliveryReq", stop},
        "PowerDeliveryReq:Start": loop,
        "ChargingStatusReq": loop,
        "CurrentDemandReq": loop,
        "MeteringReceiptReq": loop,
        "PowerDeliveryReq:Stop": {"WeldingDetectionReq", stop},
        "PowerDeliveryReq:Renegotiate": {"ChargeParameterDiscoveryReq", stop},
        "WeldingDetectionReq": {"WeldingDetectionReq", stop},
    }
    return {state: frozenset(requests) for state, requests in table.items()}


DIN = V2GProtocol(
    key="din", namespace=din.MSG_DEF_NS, major=2, minor=0, module=din,
    sequence=_sequence("ServicePaymentSelectionReq", "ContractAuthenticationReq", detail=False),
    payment_selection="ServicePaymentSelectionReq", authorization="ContractAuthenticationReq",
    energy_modes=DC_MODES,
)

ISO2 = V2GProtocol(
    key="iso2", namespace=iso2.MSG_DEF_NS, major=2, minor=0, module=iso2,
    sequence=_sequence("PaymentServiceSelectionReq", "AuthorizationReq", detail=True),
    payment_selection="PaymentServiceSelectionReq", authorization="AuthorizationReq",
    energy_modes=AC_MODES | DC_MODES,
)

PROTOCOLS: dict[str, V2GProtocol] = {p.key: p for p in (DIN, ISO2)}
BY_NAMESPACE: dict[str, V2GProtocol] = {p.namespace: p for p in PROTOCOLS.values()}


def response_name(request: str) -> str:
    return request[:-3] + "Res" if request.endswith("Req") else request
