"""The library of car profiles shipped in ``profiles.yaml``, checked when it is loaded.

A profile holds the on-board charger and battery (AC), and optionally:

- ``dc``: the traction pack (cells in series, chemistry, resistance), the car's DC limits and its
  DC power curve by state of charge (measured curves where published);
- ``hlc``: how the car behaves in high-level communication (protocols it offers, energy transfer
  modes, payment, which optional fields it fills, its timing and its faults), read by the car's
  EVCC.

The vocabularies of the ``hlc`` block (protocols, optional fields, faults, messages) are declared
once below; the schema, the checks and docs/dc-hardware.md read them. A malformed file is refused
with file, line and reason (``ConfigError``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from charger.framework.errors import ConfigError, Problem
from charger.framework.schema import document_problems
from charger.framework.yamlio import line_at, load_yaml
from sim.car.battery import CELL_OCV_CURVES, BatteryPack

PROFILE_FILE = Path(__file__).with_name("profiles.yaml")
PROFILE_KEYS = ("phases", "max_current_a", "battery_kwh", "cv_start_soc_pct", "efficiency")

# --- the hlc block's vocabularies --------------------------------------------------------------
HLC_PROTOCOLS: dict[str, str] = {
    "iso15118-2": "ISO 15118-2 (urn:iso:15118:2:2013:MsgDef)",
    "din70121": "DIN SPEC 70121 (urn:din:70121:2012:MsgDef), DC only",
}
ENERGY_TRANSFER_MODES: dict[str, str] = {
    "DC_extended": "DC charging (DIN and ISO 15118-2)",
    "AC_single_phase_core": "AC on one phase (ISO 15118-2)",
    "AC_three_phase_core": "AC on three phases (ISO 15118-2)",
}
PAYMENT_OPTIONS: dict[str, str] = {
    "ExternalPayment": "External Identification Means: a card, an app, the charger decides",
    "Contract": "Plug & Charge with a contract certificate (ISO 15118-2 only)",
}
# Optional fields a car may fill or leave empty (many real cars leave them empty).
HLC_OPTIONAL_FIELDS: dict[str, str] = {
    "soc": "the real state of charge in DC_EVStatus (a car that does not share it sends 0)",
    "bulk_soc": "BulkSOC in the DC charge parameters",
    "full_soc": "FullSOC in the DC charge parameters",
    "energy_capacity": "EVEnergyCapacity in the DC charge parameters",
    "energy_request": "EVEnergyRequest (DC) or EAmount (AC) in the charge parameters",
    "max_power_limit": "EVMaximumPowerLimit in the charge parameters and CurrentDemandReq",
    "departure_time": "DepartureTime in the charge parameters",
    "remaining_time": "RemainingTimeToFullSoC / RemainingTimeToBulkSoC in CurrentDemandReq",
    "bulk_charging_complete": "BulkChargingComplete in CurrentDemandReq",
}
# The requests of a session, by the names both standards share (ISO 15118-2 Authorization is
# DIN's ContractAuthentication).
V2G_MESSAGES: tuple[str, ...] = (
    "SupportedAppProtocol", "SessionSetup", "ServiceDiscovery", "ServiceDetail",
    "PaymentServiceSelection", "PaymentDetails", "Authorization", "ChargeParameterDiscovery",
    "CableCheck", "PreCharge", "PowerDelivery", "CurrentDemand", "ChargingStatus",
    "WeldingDetection", "SessionStop")
# Misbehaviours a profile can give its car: name -> (needs an ``at`` message, description).
HLC_FAULTS: dict[str, tuple[bool, str]] = {
    "silent": (True, "the car stops sending before the request named by `at` (the charger's "
                     "timeout of that phase fires)"),
    "out_of_sequence": (True, "the car sends a request the standard does not allow in place of "
                              "the one named by `at`"),
    "slac_no_match": (False, "the car's SLAC never completes a match"),
    "no_contactor_close": (False, "after pre-charge the car never closes its contactors"),
}
TIMEOUT_PROFILES = ("strict", "lenient")

HLC_DEFAULTS: dict[str, Any] = {
    "protocols": ["iso15118-2", "din70121"],
    "energy_transfer_modes": ["DC_extended"],
    "payment_options": ["ExternalPayment"],
    "fills": ["soc", "energy_capacity", "max_power_limit"],
    "timing": {"response_delay_s": 0.02, "loop_interval_s": 0.1, "timeouts": "strict"},
    "faults": [],
}


def _unique_list(values: Any) -> dict:
    return {"type": "array", "items": {"enum": list(values)}, "uniqueItems": True}


_POINT = {"type": "array", "prefixItems": [{"type": "number", "minimum": 0, "maximum": 100},
                                           {"type": "number", "minimum": 0}],
          "minItems": 2, "maxItems": 2}
_DC_SCHEMA = {
    "type": "object",
    "required": ["cells_in_series", "internal_resistance_ohm", "max_voltage_v", "max_current_a",
                 "power_curve_kw"],
    "additionalProperties": False,
    "properties": {
        "cells_in_series": {"type": "integer", "minimum": 1, "maximum": 400},
        "chemistry": {"enum": list(CELL_OCV_CURVES)},
        "internal_resistance_ohm": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
        "max_voltage_v": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        "max_current_a": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
        "power_curve_kw": {"type": "array", "items": _POINT, "minItems": 2},
        "curve_source": {"type": "string"},
    },
}
_HLC_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "protocols": {**_unique_list(HLC_PROTOCOLS), "minItems": 1},
        "energy_transfer_modes": {**_unique_list(ENERGY_TRANSFER_MODES), "minItems": 1},
        "payment_options": {**_unique_list(PAYMENT_OPTIONS), "minItems": 1},
        "fills": _unique_list(HLC_OPTIONAL_FIELDS),
        "timing": {"type": "object", "additionalProperties": False, "properties": {
            "response_delay_s": {"type": "number", "minimum": 0, "maximum": 60},
            "loop_interval_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 10},
            "timeouts": {"enum": list(TIMEOUT_PROFILES)}}},
        "faults": {"type": "array", "items": {
            "type": "object", "required": ["fault"], "additionalProperties": False,
            "properties": {"fault": {"enum": list(HLC_FAULTS)},
                           "at": {"enum": list(V2G_MESSAGES)}}}},
    },
}
# A scenario's car may add faults to its profile's (SimCar's hlc_faults): the same schema.
HLC_FAULTS_SCHEMA = _HLC_SCHEMA["properties"]["faults"]
_PROFILE_SCHEMA = {
    "type": "object",
    "required": ["description", *PROFILE_KEYS],
    "additionalProperties": False,
    "properties": {
        "description": {"type": "string"},
        "phases": {"enum": [1, 2, 3]},
        "max_current_a": {"type": "number", "minimum": 0, "maximum": 80},
        "battery_kwh": {"type": "number", "exclusiveMinimum": 0},
        "cv_start_soc_pct": {"type": "number", "minimum": 0, "maximum": 100},
        "efficiency": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "dc": _DC_SCHEMA,
        "hlc": _HLC_SCHEMA,
    },
}
PROFILES_SCHEMA = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": "^[a-z0-9][a-z0-9-]*$"},
    "additionalProperties": _PROFILE_SCHEMA,
}


def load_profiles(path: str | Path) -> dict[str, dict]:
    """Read and check a profiles file: every problem with its line, or the profiles."""
    path = str(path)
    doc = load_yaml(path)
    problems = document_problems(doc, PROFILES_SCHEMA, path)
    if not problems:
        for name, profile in doc.items():
            problems += _profile_problems(doc, name, profile, path)
    if problems:
        raise ConfigError(problems)
    return doc


def _profile_problems(doc: dict, name: str, profile: dict, path: str) -> list[Problem]:
    """What the schema cannot say: curves in order, voltages that fit the pack, consistent HLC."""
    problems = []

    def problem(where: list, reason: str) -> None:
        problems.append(Problem(path, line_at(doc, [name, *where]), f"{name}: {reason}"))

    dc = profile.get("dc")
    if dc is not None:
        socs = [point[0] for point in dc["power_curve_kw"]]
        if socs[0] != 0 or socs[-1] != 100:
            problem(["dc", "power_curve_kw"], "the power curve must run from 0 % to 100 % SoC")
        for index in range(1, len(socs)):
            if socs[index] <= socs[index - 1]:
                problem(["dc", "power_curve_kw", index],
                        f"power curve SoC {socs[index]:g} % does not follow "
                        f"{socs[index - 1]:g} %: SoC must increase")
        full = dc_pack(profile).full_voltage_v
        if dc["max_voltage_v"] < full:
            problem(["dc", "max_voltage_v"], f"max_voltage_v {dc['max_voltage_v']:g} V is "
                    f"below the pack's full voltage ({full:.0f} V for "
                    f"{dc['cells_in_series']} cells)")
    hlc = profile.get("hlc")
    if hlc is not None:
        modes = hlc.get("energy_transfer_modes", HLC_DEFAULTS["energy_transfer_modes"])
        if "DC_extended" in modes and dc is None:
            problem(["hlc", "energy_transfer_modes"], "DC_extended needs a dc block")
        protocols = hlc.get("protocols", HLC_DEFAULTS["protocols"])
        if protocols == ["din70121"] and any(m.startswith("AC_") for m in modes):
            problem(["hlc", "energy_transfer_modes"], "DIN SPEC 70121 carries no AC mode")
        if "Contract" in hlc.get("payment_options", []) and "iso15118-2" not in protocols:
            problem(["hlc", "payment_options"], "Contract payment needs iso15118-2")
        for index, fault in enumerate(hlc.get("faults", [])):
            needs_at = HLC_FAULTS[fault["fault"]][0]
            if needs_at != ("at" in fault):
                problem(["hlc", "faults", index],
                        f"fault {fault['fault']} {'needs' if needs_at else 'takes no'} `at`")
    return problems


@cache
def car_profiles() -> dict[str, dict]:
    return load_profiles(PROFILE_FILE)


def dc_pack(profile: dict) -> BatteryPack:
    dc = profile["dc"]
    return BatteryPack(float(profile["battery_kwh"]), int(dc["cells_in_series"]),
                       float(dc["internal_resistance_ohm"]), dc.get("chemistry", "nmc"))


@dataclass(frozen=True)
class HlcBehaviour:
    """A profile's ``hlc`` block with every default filled in."""

    protocols: tuple[str, ...]
    energy_transfer_modes: tuple[str, ...]
    payment_options: tuple[str, ...]
    fills: frozenset[str]
    response_delay_s: float
    loop_interval_s: float
    timeouts: str
    faults: tuple[tuple[str, str | None], ...]  # (fault, at)

    def fault_at(self, message: str) -> str | None:
        """The fault that acts at this request, if any."""
        return next((f for f, at in self.faults if at == message), None)


def hlc_behaviour(profile: dict) -> HlcBehaviour | None:
    """How a profile's car talks HLC; None for a car without high-level communication."""
    block = profile.get("hlc")
    if block is None:
        return None
    timing = {**HLC_DEFAULTS["timing"], **block.get("timing", {})}
    return HlcBehaviour(
        tuple(block.get("protocols", HLC_DEFAULTS["protocols"])),
        tuple(block.get("energy_transfer_modes", HLC_DEFAULTS["energy_transfer_modes"])),
        tuple(block.get("payment_options", HLC_DEFAULTS["payment_options"])),
        frozenset(block.get("fills", HLC_DEFAULTS["fills"])),
        float(timing["response_delay_s"]), float(timing["loop_interval_s"]),
        str(timing["timeouts"]),
        tuple((f["fault"], f.get("at")) for f in block.get("faults", [])))
