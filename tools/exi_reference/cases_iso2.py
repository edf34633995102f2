"""ISO 15118-2 corpus cases: every message of the AC and DC sequences, in min/max/random forms,
plus hand-written edge cases.  Keys are written in schema order."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from gen import CaseRandom, Gen, hex_bytes

Message = dict[str, Any]
Builder = Callable[[Gen], Message]

RESPONSE_CODES = [
    "OK", "OK_NewSessionEstablished", "OK_OldSessionJoined", "OK_CertificateExpiresSoon",
    "FAILED", "FAILED_SequenceError", "FAILED_ServiceIDInvalid", "FAILED_UnknownSession",
    "FAILED_ServiceSelectionInvalid", "FAILED_PaymentSelectionInvalid",
    "FAILED_CertificateExpired", "FAILED_SignatureError", "FAILED_NoCertificateAvailable",
    "FAILED_CertChainError", "FAILED_ChallengeInvalid", "FAILED_ContractCanceled",
    "FAILED_WrongChargeParameter", "FAILED_PowerDeliveryNotApplied",
    "FAILED_TariffSelectionInvalid", "FAILED_ChargingProfileInvalid",
    "FAILED_MeteringSignatureNotValid", "FAILED_NoChargeServiceSelected",
    "FAILED_WrongEnergyTransferMode", "FAILED_ContactorError",
    "FAILED_CertificateNotAllowedAtThisEVSE", "FAILED_CertificateRevoked",
]  # fmt: skip
EVSE_PROCESSING = ["Finished", "Ongoing", "Ongoing_WaitingForCustomerInteraction"]
EVSE_NOTIFICATION = ["None", "StopCharging", "ReNegotiation"]
ISOLATION = ["Invalid", "Valid", "Warning", "Fault", "No_IMD"]
EVSE_STATUS_CODE = [
    "EVSE_NotReady", "EVSE_Ready", "EVSE_Shutdown", "EVSE_UtilityInterruptEvent",
    "EVSE_IsolationMonitoringActive", "EVSE_EmergencyShutdown", "EVSE_Malfunction",
    "Reserved_8", "Reserved_9", "Reserved_A", "Reserved_B", "Reserved_C",
]  # fmt: skip
EV_ERROR_CODE = [
    "NO_ERROR", "FAILED_RESSTemperatureInhibit", "FAILED_EVShiftPosition",
    "FAILED_ChargerConnectorLockFault", "FAILED_EVRESSMalfunction",
    "FAILED_ChargingCurrentdifferential", "FAILED_ChargingVoltageOutOfRange", "Reserved_A",
    "Reserved_B", "Reserved_C", "FAILED_ChargingSystemIncompatibility", "NoData",
]  # fmt: skip
ENERGY_MODES = [
    "AC_single_phase_core", "AC_three_phase_core", "DC_core", "DC_extended", "DC_combo_core",
    "DC_unique",
]  # fmt: skip
AC_MODES = ENERGY_MODES[:2]
DC_MODES = ENERGY_MODES[2:]
SERVICE_CATEGORIES = ["EVCharging", "Internet", "ContractCertificate", "OtherCustom"]
PAYMENT_OPTIONS = ["Contract", "ExternalPayment"]
UNITS = ["h", "m", "s", "A", "V", "W", "Wh"]
COST_KINDS = ["relativePricePercentage", "RenewableGenerationPercentage", "CarbonDioxideEmission"]
FAULT_CODES = ["ParsingError", "NoTLSRootCertificatAvailable", "UnknownError"]
EVSEID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*"


def message(session_id: str, body: Message, header_extra: Message | None = None) -> Message:
    header = {"SessionID": session_id, **(header_extra or {})}
    return {"V2G_Message": {"Header": header, "Body": body}}


# --- shared data types -------------------------------------------------------------------


def evse_id(g: Gen) -> str:
    return g.text(7, 37, EVSEID_CHARS)


def meter_info(g: Gen) -> Message:
    info: Message = {"MeterID": g.text(0, 32)}
    if g.opt():
        info["MeterReading"] = g.num(0, 2**64 - 1)
    if g.opt():
        info["SigMeterReading"] = g.hex(0, 64)
    if g.opt():
        info["MeterStatus"] = g.num(-(2**15), 2**15 - 1)
    if g.opt():
        info["TMeter"] = g.num(-(2**63), 2**63 - 1)
    return info


def ac_evse_status(g: Gen) -> Message:
    return {
        "NotificationMaxDelay": g.num(0, 65535),
        "EVSENotification": g.choice(EVSE_NOTIFICATION),
        "RCD": g.flag(),
    }


def dc_evse_status(g: Gen) -> Message:
    status: Message = {
        "NotificationMaxDelay": g.num(0, 65535),
        "EVSENotification": g.choice(EVSE_NOTIFICATION),
    }
    if g.opt():
        status["EVSEIsolationStatus"] = g.choice(ISOLATION)
    status["EVSEStatusCode"] = g.choice(EVSE_STATUS_CODE)
    return status


def dc_ev_status(g: Gen) -> Message:
    return {
        "EVReady": g.flag(),
        "EVErrorCode": g.choice(EV_ERROR_CODE),
        "EVRESSSOC": g.num(0, 100),
    }


def service(g: Gen) -> Message:
    svc: Message = {"ServiceID": g.num(0, 65535)}
    if g.opt():
        svc["ServiceName"] = g.text(0, 32)
    svc["ServiceCategory"] = g.choice(SERVICE_CATEGORIES)
    if g.opt():
        svc["ServiceScope"] = g.text(0, 64)
    svc["FreeService"] = g.flag()
    return svc


PARAMETER_KINDS = ["bool", "byte", "short", "int", "physicalValue", "string"]


def parameter(g: Gen, index: int, kind: str | None = None) -> Message:
    """A Parameter: its value element is chosen in turn (or by index outside random mode)."""
    if kind is None:
        kind = g.choice(PARAMETER_KINDS) if g.mode == "rand" else PARAMETER_KINDS[index % 6]
    param: Message = {"@Name": g.text(0, 12) if g.mode == "rand" else f"p{index}"}
    if kind == "bool":
        param["boolValue"] = g.flag()
    elif kind == "byte":
        param["byteValue"] = g.num(-128, 127)
    elif kind == "short":
        param["shortValue"] = g.num(-(2**15), 2**15 - 1)
    elif kind == "int":
        param["intValue"] = g.num(-(2**31), 2**31 - 1)
    elif kind == "physicalValue":
        param["physicalValue"] = g.pv(g.choice(UNITS))
    else:
        param["stringValue"] = g.text(0, 20)
    return param


def parameter_set(g: Gen, n_params: int) -> Message:
    return {
        "ParameterSetID": g.num(-(2**15), 2**15 - 1),
        "Parameter": [parameter(g, i) for i in range(n_params)],
    }


def cert_chain(g: Gen, n_sub: int | None = None) -> Message:
    chain: Message = {}
    if g.opt():
        chain["@Id"] = "id" + g.text(1, 8, "abcdef0123")
    chain["Certificate"] = g.hex(1, 800)
    if n_sub is None:
        n_sub = g.count(1, 4) if g.opt() else 0
    if n_sub:
        chain["SubCertificates"] = {"Certificate": [g.hex(1, 120) for _ in range(n_sub)]}
    return chain


def with_id(element: Message, id_: str) -> Message:
    """The element with its Id attribute set (attributes come first)."""
    return {"@Id": id_, **{k: v for k, v in element.items() if k != "@Id"}}


def time_interval(g: Gen, start: int) -> Message:
    interval: Message = {"start": start}
    if g.opt():
        interval["duration"] = g.num(0, 86400)
    return interval


def pmax_schedule(g: Gen, n: int) -> Message:
    starts = sorted(g.rng.sample(range(0, 16777215), n)) if g.mode == "rand" else range(n)
    return {
        "PMaxScheduleEntry": [
            {"RelativeTimeInterval": time_interval(g, s), "PMax": g.pv("W")} for s in starts
        ]
    }


def cost(g: Gen) -> Message:
    c: Message = {"costKind": g.choice(COST_KINDS), "amount": g.num(0, 2**32 - 1)}
    if g.opt():
        c["amountMultiplier"] = g.num(-3, 3)
    return c


def sales_tariff(g: Gen, n_entries: int, n_consumption: int | None = None) -> Message:
    tariff: Message = {}
    if g.opt():
        tariff["@Id"] = "st" + g.text(1, 6, "0123456789")
    tariff["SalesTariffID"] = g.num(1, 255)
    if g.opt():
        tariff["SalesTariffDescription"] = g.text(0, 32)
    # NumEPriceLevels and EPriceLevel are optional in the schema but Josev's codec always
    # writes them (primitive fields), so the corpus always has them.
    tariff["NumEPriceLevels"] = g.num(0, 255)
    entries = []
    for i in range(n_entries):
        entry: Message = {
            "RelativeTimeInterval": time_interval(g, i * 900 if g.mode != "max" else 16777214),
            "EPriceLevel": g.num(0, 255),
        }
        n_cc = n_consumption if n_consumption is not None else g.count(0, 3)
        if n_cc:
            entry["ConsumptionCost"] = [
                {"startValue": g.pv("W"), "Cost": [cost(g) for _ in range(g.count(1, 3))]}
                for _ in range(n_cc)
            ]
        entries.append(entry)
    tariff["SalesTariffEntry"] = entries
    return tariff


def sa_schedule_list(g: Gen, n_tuples: int, n_pmax: int, tariff: bool) -> Message:
    tuples = []
    for i in range(n_tuples):
        tup: Message = {
            "SAScheduleTupleID": g.num(1, 255) if g.mode == "rand" else i + 1,
            "PMaxSchedule": pmax_schedule(g, n_pmax),
        }
        if tariff:
            tup["SalesTariff"] = sales_tariff(g, g.count(1, 5, 3))
        tuples.append(tup)
    return {"SAScheduleTuple": tuples}


# --- message bodies ----------------------------------------------------------------------


def session_setup_req(g: Gen) -> Message:
    return {"SessionSetupReq": {"EVCCID": g.hex(0, 6) if g.mode != "min" else "00"}}


def session_setup_res(g: Gen) -> Message:
    res: Message = {"ResponseCode": g.choice(RESPONSE_CODES[:4]), "EVSEID": evse_id(g)}
    if g.opt():
        res["EVSETimeStamp"] = g.num(-(2**63), 2**63 - 1)
    return {"SessionSetupRes": res}


def service_discovery_req(g: Gen) -> Message:
    req: Message = {}
    if g.opt():
        req["ServiceScope"] = g.text(0, 64)
    if g.opt():
        req["ServiceCategory"] = g.choice(SERVICE_CATEGORIES)
    return {"ServiceDiscoveryReq": req}


def service_discovery_res(g: Gen) -> Message:
    charge = service(g)
    n_modes = g.count(1, 6)
    charge["SupportedEnergyTransferMode"] = {
        "EnergyTransferMode": ENERGY_MODES[:n_modes]
        if g.mode != "rand"
        else g.rng.sample(ENERGY_MODES, n_modes)
    }
    res: Message = {
        "ResponseCode": g.choice(RESPONSE_CODES),
        "PaymentOptionList": {"PaymentOption": PAYMENT_OPTIONS[: g.count(1, 2)]},
        "ChargeService": charge,
    }
    if g.opt():
        res["ServiceList"] = {"Service": [service(g) for _ in range(g.count(1, 8))]}
    return {"ServiceDiscoveryRes": res}


def service_detail_req(g: Gen) -> Message:
    return {"ServiceDetailReq": {"ServiceID": g.num(0, 65535)}}


def service_detail_res(g: Gen) -> Message:
    res: Message = {"ResponseCode": g.choice(RESPONSE_CODES), "ServiceID": g.num(0, 65535)}
    if g.opt():
        n_sets = g.count(1, 4)
        res["ServiceParameterList"] = {
            "ParameterSet": [parameter_set(g, g.count(1, 16, 4)) for _ in range(n_sets)]
        }
    return {"ServiceDetailRes": res}


def payment_service_selection_req(g: Gen) -> Message:
    selected = []
    for _ in range(g.count(1, 16, 4)):
        item: Message = {"ServiceID": g.num(0, 65535)}
        if g.opt():
            item["ParameterSetID"] = g.num(-(2**15), 2**15 - 1)
        selected.append(item)
    return {
        "PaymentServiceSelectionReq": {
            "SelectedPaymentOption": g.choice(PAYMENT_OPTIONS),
            "SelectedServiceList": {"SelectedService": selected},
        }
    }


def payment_service_selection_res(g: Gen) -> Message:
    return {"PaymentServiceSelectionRes": {"ResponseCode": g.choice(RESPONSE_CODES)}}


def payment_details_req(g: Gen) -> Message:
    emaid = g.text(14, 15, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    return {"PaymentDetailsReq": {"eMAID": emaid, "ContractSignatureCertChain": cert_chain(g)}}


def payment_details_res(g: Gen) -> Message:
    return {
        "PaymentDetailsRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "GenChallenge": g.hex(16, 16),
            "EVSETimeStamp": g.num(-(2**63), 2**63 - 1),
        }
    }


def authorization_req(g: Gen) -> Message:
    req: Message = {}
    if g.opt():  # signed form: Id and GenChallenge together
        req["@Id"] = "ID" + g.text(1, 8, "0123456789")
        req["GenChallenge"] = g.hex(16, 16)
    return {"AuthorizationReq": req}


def authorization_res(g: Gen) -> Message:
    return {
        "AuthorizationRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "EVSEProcessing": g.choice(EVSE_PROCESSING),
        }
    }


def cpd_req_ac(g: Gen) -> Message:
    req: Message = {}
    if g.opt():
        req["MaxEntriesSAScheduleTuple"] = g.num(0, 65535)
    req["RequestedEnergyTransferMode"] = g.choice(AC_MODES)
    param: Message = {}
    if g.opt():
        param["DepartureTime"] = g.num(0, 2**32 - 1)
    param["EAmount"] = g.pv("Wh")
    param["EVMaxVoltage"] = g.pv("V")
    param["EVMaxCurrent"] = g.pv("A")
    param["EVMinCurrent"] = g.pv("A")
    req["AC_EVChargeParameter"] = param
    return {"ChargeParameterDiscoveryReq": req}


def cpd_req_dc(g: Gen) -> Message:
    req: Message = {}
    if g.opt():
        req["MaxEntriesSAScheduleTuple"] = g.num(0, 65535)
    req["RequestedEnergyTransferMode"] = g.choice(DC_MODES)
    param: Message = {}
    if g.opt():
        param["DepartureTime"] = g.num(0, 2**32 - 1)
    param["DC_EVStatus"] = dc_ev_status(g)
    param["EVMaximumCurrentLimit"] = g.pv("A")
    if g.opt():
        param["EVMaximumPowerLimit"] = g.pv("W")
    param["EVMaximumVoltageLimit"] = g.pv("V")
    if g.opt():
        param["EVEnergyCapacity"] = g.pv("Wh")
    if g.opt():
        param["EVEnergyRequest"] = g.pv("Wh")
    if g.opt():
        param["FullSOC"] = g.num(0, 100)
    if g.opt():
        param["BulkSOC"] = g.num(0, 100)
    req["DC_EVChargeParameter"] = param
    return {"ChargeParameterDiscoveryReq": req}


def _cpd_res(g: Gen, evse_param: tuple[str, Message]) -> Message:
    res: Message = {
        "ResponseCode": g.choice(RESPONSE_CODES),
        "EVSEProcessing": g.choice(EVSE_PROCESSING),
    }
    if g.opt():
        tariff = g.opt()
        res["SAScheduleList"] = sa_schedule_list(g, g.count(1, 3), g.count(1, 24, 5), tariff)
    res[evse_param[0]] = evse_param[1]
    return {"ChargeParameterDiscoveryRes": res}


def ac_evse_charge_parameter(g: Gen) -> Message:
    return {
        "AC_EVSEStatus": ac_evse_status(g),
        "EVSENominalVoltage": g.pv("V"),
        "EVSEMaxCurrent": g.pv("A"),
    }


def dc_evse_charge_parameter(g: Gen) -> Message:
    param: Message = {
        "DC_EVSEStatus": dc_evse_status(g),
        "EVSEMaximumCurrentLimit": g.pv("A"),
        "EVSEMaximumPowerLimit": g.pv("W"),
        "EVSEMaximumVoltageLimit": g.pv("V"),
        "EVSEMinimumCurrentLimit": g.pv("A"),
        "EVSEMinimumVoltageLimit": g.pv("V"),
    }
    if g.opt():
        param["EVSECurrentRegulationTolerance"] = g.pv("A")
    param["EVSEPeakCurrentRipple"] = g.pv("A")
    if g.opt():
        param["EVSEEnergyToBeDelivered"] = g.pv("Wh")
    return param


def cpd_res_ac(g: Gen) -> Message:
    return _cpd_res(g, ("AC_EVSEChargeParameter", ac_evse_charge_parameter(g)))


def cpd_res_dc(g: Gen) -> Message:
    return _cpd_res(g, ("DC_EVSEChargeParameter", dc_evse_charge_parameter(g)))


def charging_profile(g: Gen, n: int) -> Message:
    entries = []
    for i in range(n):
        entry: Message = {
            "ChargingProfileEntryStart": g.num(0, 2**32 - 1) if g.mode != "min" else i,
            "ChargingProfileEntryMaxPower": g.pv("W"),
        }
        if g.opt():
            entry["ChargingProfileEntryMaxNumberOfPhasesInUse"] = g.num(1, 3)
        entries.append(entry)
    return {"ProfileEntry": entries}


def power_delivery_req_ac(g: Gen) -> Message:
    req: Message = {
        "ChargeProgress": g.choice(["Start", "Stop", "Renegotiate"]),
        "SAScheduleTupleID": g.num(1, 255),
    }
    if g.opt():
        req["ChargingProfile"] = charging_profile(g, g.count(1, 24, 6))
    return {"PowerDeliveryReq": req}


def power_delivery_req_dc(g: Gen) -> Message:
    req: Message = {
        "ChargeProgress": g.choice(["Start", "Stop", "Renegotiate"]),
        "SAScheduleTupleID": g.num(1, 255),
    }
    if g.opt():
        req["ChargingProfile"] = charging_profile(g, g.count(1, 24, 6))
    param: Message = {"DC_EVStatus": dc_ev_status(g)}
    if g.opt():
        param["BulkChargingComplete"] = g.flag()
    param["ChargingComplete"] = g.flag()
    req["DC_EVPowerDeliveryParameter"] = param
    return {"PowerDeliveryReq": req}


def power_delivery_res_ac(g: Gen) -> Message:
    return {
        "PowerDeliveryRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "AC_EVSEStatus": ac_evse_status(g),
        }
    }


def power_delivery_res_dc(g: Gen) -> Message:
    return {
        "PowerDeliveryRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "DC_EVSEStatus": dc_evse_status(g),
        }
    }


def charging_status_req(g: Gen) -> Message:
    return {"ChargingStatusReq": {}}


def charging_status_res(g: Gen) -> Message:
    res: Message = {
        "ResponseCode": g.choice(RESPONSE_CODES),
        "EVSEID": evse_id(g),
        "SAScheduleTupleID": g.num(1, 255),
    }
    if g.opt():
        res["EVSEMaxCurrent"] = g.pv("A")
    if g.opt():
        res["MeterInfo"] = meter_info(g)
    if g.opt():
        res["ReceiptRequired"] = g.flag()
    res["AC_EVSEStatus"] = ac_evse_status(g)
    return {"ChargingStatusRes": res}


def cable_check_req(g: Gen) -> Message:
    return {"CableCheckReq": {"DC_EVStatus": dc_ev_status(g)}}


def cable_check_res(g: Gen) -> Message:
    return {
        "CableCheckRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "DC_EVSEStatus": dc_evse_status(g),
            "EVSEProcessing": g.choice(EVSE_PROCESSING),
        }
    }


def pre_charge_req(g: Gen) -> Message:
    return {
        "PreChargeReq": {
            "DC_EVStatus": dc_ev_status(g),
            "EVTargetVoltage": g.pv("V"),
            "EVTargetCurrent": g.pv("A"),
        }
    }


def pre_charge_res(g: Gen) -> Message:
    return {
        "PreChargeRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "DC_EVSEStatus": dc_evse_status(g),
            "EVSEPresentVoltage": g.pv("V"),
        }
    }


def current_demand_req(g: Gen) -> Message:
    req: Message = {"DC_EVStatus": dc_ev_status(g), "EVTargetCurrent": g.pv("A")}
    if g.opt():
        req["EVMaximumVoltageLimit"] = g.pv("V")
    if g.opt():
        req["EVMaximumCurrentLimit"] = g.pv("A")
    if g.opt():
        req["EVMaximumPowerLimit"] = g.pv("W")
    if g.opt():
        req["BulkChargingComplete"] = g.flag()
    req["ChargingComplete"] = g.flag()
    if g.opt():
        req["RemainingTimeToFullSoC"] = g.pv("s")
    if g.opt():
        req["RemainingTimeToBulkSoC"] = g.pv("s")
    req["EVTargetVoltage"] = g.pv("V")
    return {"CurrentDemandReq": req}


def current_demand_res(g: Gen) -> Message:
    res: Message = {
        "ResponseCode": g.choice(RESPONSE_CODES),
        "DC_EVSEStatus": dc_evse_status(g),
        "EVSEPresentVoltage": g.pv("V"),
        "EVSEPresentCurrent": g.pv("A"),
        "EVSECurrentLimitAchieved": g.flag(),
        "EVSEVoltageLimitAchieved": g.flag(),
        "EVSEPowerLimitAchieved": g.flag(),
    }
    if g.opt():
        res["EVSEMaximumVoltageLimit"] = g.pv("V")
    if g.opt():
        res["EVSEMaximumCurrentLimit"] = g.pv("A")
    if g.opt():
        res["EVSEMaximumPowerLimit"] = g.pv("W")
    res["EVSEID"] = evse_id(g)
    res["SAScheduleTupleID"] = g.num(1, 255)
    if g.opt():
        res["MeterInfo"] = meter_info(g)
    if g.opt():
        res["ReceiptRequired"] = g.flag()
    return {"CurrentDemandRes": res}


def metering_receipt_req(g: Gen) -> Message:
    req: Message = {}
    if g.opt():
        req["@Id"] = "mr" + g.text(1, 6, "0123456789")
    req["SessionID"] = g.hex(1, 8)
    # Optional in the schema but always written by Josev's codec (primitive field).
    req["SAScheduleTupleID"] = g.num(1, 255)
    req["MeterInfo"] = meter_info(g)
    return {"MeteringReceiptReq": req}


def metering_receipt_res_ac(g: Gen) -> Message:
    return {
        "MeteringReceiptRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "AC_EVSEStatus": ac_evse_status(g),
        }
    }


def metering_receipt_res_dc(g: Gen) -> Message:
    return {
        "MeteringReceiptRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "DC_EVSEStatus": dc_evse_status(g),
        }
    }


def welding_detection_req(g: Gen) -> Message:
    return {"WeldingDetectionReq": {"DC_EVStatus": dc_ev_status(g)}}


def welding_detection_res(g: Gen) -> Message:
    return {
        "WeldingDetectionRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "DC_EVSEStatus": dc_evse_status(g),
            "EVSEPresentVoltage": g.pv("V"),
        }
    }


def session_stop_req(g: Gen) -> Message:
    return {"SessionStopReq": {"ChargingSession": g.choice(["Terminate", "Pause"])}}


def session_stop_res(g: Gen) -> Message:
    return {"SessionStopRes": {"ResponseCode": g.choice(RESPONSE_CODES)}}


def certificate_installation_req(g: Gen) -> Message:
    roots = [
        {
            "X509IssuerName": "CN=" + g.text(1, 30),
            "X509SerialNumber": g.num(0, 2**64),
        }
        for _ in range(g.count(1, 20, 3))
    ]
    return {
        "CertificateInstallationReq": {
            "@Id": "ID1",
            "OEMProvisioningCert": g.hex(1, 800),
            "ListOfRootCertificateIDs": {"RootCertificateID": roots},
        }
    }


def certificate_installation_res(g: Gen) -> Message:
    return {
        "CertificateInstallationRes": {
            "ResponseCode": g.choice(RESPONSE_CODES),
            "SAProvisioningCertificateChain": cert_chain(g),
            "ContractSignatureCertChain": with_id(cert_chain(g), "id1"),
            # Real sizes (AES-128-CBC IV + key, uncompressed P-256 point); Josev's JSON layer
            # mistakes base64 values of 15 characters or fewer for text.
            "ContractSignatureEncryptedPrivateKey": {"@Id": "id2", "#text": g.hex(48, 48)},
            "DHpublickey": {"@Id": "id3", "#text": g.hex(65, 65)},
            "eMAID": {
                "@Id": "id4",
                "#text": g.text(14, 15, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            },
        }
    }


# name, builder, number of random variants (min and max are always generated)
BUILDERS: list[tuple[str, Builder, int]] = [
    ("SessionSetupReq", session_setup_req, 1),
    ("SessionSetupRes", session_setup_res, 1),
    ("ServiceDiscoveryReq", service_discovery_req, 1),
    ("ServiceDiscoveryRes", service_discovery_res, 2),
    ("ServiceDetailReq", service_detail_req, 1),
    ("ServiceDetailRes", service_detail_res, 2),
    ("PaymentServiceSelectionReq", payment_service_selection_req, 1),
    ("PaymentServiceSelectionRes", payment_service_selection_res, 1),
    ("PaymentDetailsReq", payment_details_req, 1),
    ("PaymentDetailsRes", payment_details_res, 1),
    ("AuthorizationReq", authorization_req, 0),
    ("AuthorizationRes", authorization_res, 1),
    ("ChargeParameterDiscoveryReq/ac", cpd_req_ac, 1),
    ("ChargeParameterDiscoveryReq/dc", cpd_req_dc, 3),
    ("ChargeParameterDiscoveryRes/ac", cpd_res_ac, 2),
    ("ChargeParameterDiscoveryRes/dc", cpd_res_dc, 2),
    ("CableCheckReq", cable_check_req, 2),
    ("CableCheckRes", cable_check_res, 2),
    ("PreChargeReq", pre_charge_req, 1),
    ("PreChargeRes", pre_charge_res, 2),
    ("PowerDeliveryReq/ac", power_delivery_req_ac, 1),
    ("PowerDeliveryReq/dc", power_delivery_req_dc, 1),
    ("PowerDeliveryRes/ac", power_delivery_res_ac, 1),
    ("PowerDeliveryRes/dc", power_delivery_res_dc, 1),
    ("ChargingStatusReq", charging_status_req, 0),
    ("ChargingStatusRes", charging_status_res, 2),
    ("CurrentDemandReq", current_demand_req, 3),
    ("CurrentDemandRes", current_demand_res, 3),
    ("MeteringReceiptReq", metering_receipt_req, 1),
    ("MeteringReceiptRes/ac", metering_receipt_res_ac, 1),
    ("MeteringReceiptRes/dc", metering_receipt_res_dc, 1),
    ("WeldingDetectionReq", welding_detection_req, 2),
    ("WeldingDetectionRes", welding_detection_res, 2),
    ("SessionStopReq", session_stop_req, 1),
    ("SessionStopRes", session_stop_res, 3),
]


def session_id(g: Gen, msg_name: str) -> str:
    if msg_name == "SessionSetupReq" and g.mode != "rand":
        return "00"
    return g.hex(1, 8) if g.mode != "max" else g.hex(8, 8)


def cases(seed: int) -> Iterator[tuple[str, Message]]:
    rng = CaseRandom(seed)
    for name, build, n_rand in BUILDERS:
        seen: set[str] = set()
        for i, mode in enumerate(["min", "low", "max"] + ["rand"] * n_rand):
            g = Gen(rng, mode)
            msg = message(session_id(g, name), build(g))
            key = json.dumps(msg["V2G_Message"]["Body"])
            if key in seen:  # e.g. "low" equals "min" when there is nothing optional
                continue
            seen.add(key)
            label = mode if mode != "rand" else f"random-{i - 3}"
            yield f"iso2/{name}/{label}", msg
    yield from edge_cases(rng)


def signature(rng: CaseRandom, refs: list[str]) -> Message:
    """An xmldsig Signature header as ISO 15118-2 uses it (EXI canonicalisation, ECDSA)."""
    c14n = "http://www.w3.org/TR/canonical-exi/"
    return {
        "SignedInfo": {
            "CanonicalizationMethod": {"@Algorithm": c14n},
            "SignatureMethod": {
                "@Algorithm": "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
            },
            "Reference": [
                {
                    "@URI": f"#{ref}",
                    "Transforms": {"Transform": [{"@Algorithm": c14n}]},
                    "DigestMethod": {"@Algorithm": "http://www.w3.org/2001/04/xmlenc#sha256"},
                    "DigestValue": hex_bytes(rng, 32),
                }
                for ref in refs
            ],
        },
        "SignatureValue": {"#text": hex_bytes(rng, 64)},
    }


def edge_cases(rng: CaseRandom) -> Iterator[tuple[str, Message]]:
    mx = Gen(rng, "max")
    mn = Gen(rng, "min")
    sid = "0102030405060708"

    # A well-known vector: SessionID 00, EVCCID 0A0B0C0D0E0F.
    yield (
        "iso2/SessionSetupReq/vector-sessionid-00",
        message("00", {"SessionSetupReq": {"EVCCID": "0A0B0C0D0E0F"}}),
    )
    yield "iso2/SessionSetupReq/evccid-empty", message("00", {"SessionSetupReq": {"EVCCID": ""}})
    yield (
        "iso2/SessionSetupRes/evseid-max",
        message(
            sid,
            {
                "SessionSetupRes": {
                    "ResponseCode": "OK_NewSessionEstablished",
                    "EVSEID": "DE*ABC*E" + "1234567890" * 2 + "ABCDEFGHI",
                    "EVSETimeStamp": 1700000000,
                }
            },
        ),
    )
    # Headers with a Notification, with and without FaultMsg, and a non-ASCII message.
    for i, (code, msg) in enumerate(
        [
            ("ParsingError", None),
            ("NoTLSRootCertificatAvailable", "x" * 64),
            ("UnknownError", "Zählerstand ungültig: 5 € über Limit 🔌"),
            ("UnknownError", ""),
        ]
    ):
        notification: Message = {"FaultCode": code}
        if msg is not None:
            notification["FaultMsg"] = msg
        yield (
            f"iso2/header/notification-{i}",
            message(
                sid,
                {"SessionStopRes": {"ResponseCode": "FAILED"}},
                {"Notification": notification},
            ),
        )
    # Signed messages: a Signature in the header referencing the body element's Id.
    yield (
        "iso2/header/signature-authorization",
        message(
            sid,
            {"AuthorizationReq": {"@Id": "ID1", "GenChallenge": hex_bytes(rng, 16)}},
            {"Signature": signature(rng, ["ID1"])},
        ),
    )
    yield (
        "iso2/header/signature-metering-receipt",
        message(
            sid,
            {
                "MeteringReceiptReq": {
                    "@Id": "ID2",
                    "SessionID": sid,
                    "SAScheduleTupleID": 1,
                    "MeterInfo": {
                        "MeterID": "METER-0001",
                        "MeterReading": 123456789,
                        "SigMeterReading": hex_bytes(rng, 64),
                        "MeterStatus": 1,
                        "TMeter": 1700000000,
                    },
                }
            },
            {
                "Notification": {"FaultCode": "UnknownError", "FaultMsg": "signed"},
                "Signature": signature(rng, ["ID2"]),
            },
        ),
    )
    yield (
        "iso2/header/signature-four-references",
        message(
            sid,
            {"AuthorizationReq": {"@Id": "ID3", "GenChallenge": hex_bytes(rng, 16)}},
            {"Signature": signature(rng, ["ID3", "ID4", "ID5", "ID6"])},
        ),
    )
    # PKI messages (Plug & Charge), max and min forms.
    yield (
        "iso2/CertificateInstallationReq/roots-max",
        message(
            sid,
            {
                "CertificateInstallationReq": {
                    "@Id": "ID1",
                    "OEMProvisioningCert": hex_bytes(rng, 800),
                    "ListOfRootCertificateIDs": {
                        "RootCertificateID": [
                            {
                                "X509IssuerName": f"CN=V2G Root CA {i},O=Example,C=DE",
                                "X509SerialNumber": (2**64 - 1) if i % 2 else i,
                            }
                            for i in range(20)
                        ]
                    },
                }
            },
            {"Signature": signature(rng, ["ID1"])},
        ),
    )
    yield (
        "iso2/CertificateInstallationReq/random-0",
        message(sid, certificate_installation_req(Gen(rng, "rand"))),
    )
    yield (
        "iso2/CertificateInstallationRes/max",
        message(
            sid, certificate_installation_res(mx), {"Signature": signature(rng, ["id1", "id2"])}
        ),
    )
    yield "iso2/CertificateInstallationRes/min", message(sid, certificate_installation_res(mn))
    # Arrays at their maxOccurs.
    yield (
        "iso2/ChargeParameterDiscoveryRes/tuples-3-pmax-1024",
        message(
            sid,
            {
                "ChargeParameterDiscoveryRes": {
                    "ResponseCode": "OK",
                    "EVSEProcessing": "Finished",
                    "SAScheduleList": {
                        "SAScheduleTuple": [
                            {
                                "SAScheduleTupleID": i + 1,
                                "PMaxSchedule": pmax_schedule(
                                    Gen(rng, "rand"), 1024 if i == 0 else 3
                                ),
                            }
                            for i in range(3)
                        ]
                    },
                    "AC_EVSEChargeParameter": ac_evse_charge_parameter(Gen(rng, "rand")),
                }
            },
        ),
    )
    yield (
        "iso2/ChargeParameterDiscoveryRes/salestariff-1024",
        message(
            sid,
            {
                "ChargeParameterDiscoveryRes": {
                    "ResponseCode": "OK",
                    "EVSEProcessing": "Finished",
                    "SAScheduleList": {
                        "SAScheduleTuple": [
                            {
                                "SAScheduleTupleID": 7,
                                "PMaxSchedule": pmax_schedule(Gen(rng, "rand"), 2),
                                "SalesTariff": sales_tariff(Gen(rng, "rand"), 1024, 0),
                            }
                        ]
                    },
                    "DC_EVSEChargeParameter": dc_evse_charge_parameter(Gen(rng, "rand")),
                }
            },
        ),
    )
    yield (
        "iso2/ChargeParameterDiscoveryRes/consumption-cost-max",
        message(
            sid,
            {
                "ChargeParameterDiscoveryRes": {
                    "ResponseCode": "OK",
                    "EVSEProcessing": "Finished",
                    "SAScheduleList": {
                        "SAScheduleTuple": [
                            {
                                "SAScheduleTupleID": 255,
                                "PMaxSchedule": pmax_schedule(mx, 1),
                                "SalesTariff": sales_tariff(mx, 4, 3),
                            }
                        ]
                    },
                    "DC_EVSEChargeParameter": dc_evse_charge_parameter(mx),
                }
            },
        ),
    )
    yield (
        "iso2/ServiceDetailRes/parametersets-255",
        message(
            sid,
            {
                "ServiceDetailRes": {
                    "ResponseCode": "OK",
                    "ServiceID": 3,
                    "ServiceParameterList": {
                        "ParameterSet": [
                            parameter_set(Gen(rng, "rand"), 1 if i else 16) for i in range(255)
                        ]
                    },
                }
            },
        ),
    )
    yield (
        "iso2/PaymentServiceSelectionReq/selected-16",
        message(
            sid,
            {
                "PaymentServiceSelectionReq": {
                    "SelectedPaymentOption": "Contract",
                    "SelectedServiceList": {
                        "SelectedService": [
                            {"ServiceID": i, "ParameterSetID": -i} if i % 2 else {"ServiceID": i}
                            for i in range(16)
                        ]
                    },
                }
            },
        ),
    )
    yield (
        "iso2/PowerDeliveryReq/profile-24",
        message(
            sid,
            {
                "PowerDeliveryReq": {
                    "ChargeProgress": "Start",
                    "SAScheduleTupleID": 1,
                    "ChargingProfile": charging_profile(Gen(rng, "rand"), 24),
                }
            },
        ),
    )
    # Josev's EVCC traffic for a typical AC session: realistic values.
    yield (
        "iso2/ChargeParameterDiscoveryReq/ac-typical",
        message(
            sid,
            {
                "ChargeParameterDiscoveryReq": {
                    "RequestedEnergyTransferMode": "AC_three_phase_core",
                    "AC_EVChargeParameter": {
                        "DepartureTime": 0,
                        "EAmount": {"Multiplier": 3, "Unit": "Wh", "Value": 60},
                        "EVMaxVoltage": {"Multiplier": 0, "Unit": "V", "Value": 400},
                        "EVMaxCurrent": {"Multiplier": -3, "Unit": "A", "Value": 32000},
                        "EVMinCurrent": {"Multiplier": 0, "Unit": "A", "Value": 10},
                    },
                }
            },
        ),
    )
    yield (
        "iso2/CurrentDemandReq/typical",
        message(
            sid,
            {
                "CurrentDemandReq": {
                    "DC_EVStatus": {"EVReady": True, "EVErrorCode": "NO_ERROR", "EVRESSSOC": 42},
                    "EVTargetCurrent": {"Multiplier": 0, "Unit": "A", "Value": 125},
                    "EVMaximumVoltageLimit": {"Multiplier": 0, "Unit": "V", "Value": 450},
                    "EVMaximumCurrentLimit": {"Multiplier": 0, "Unit": "A", "Value": 300},
                    "EVMaximumPowerLimit": {"Multiplier": 3, "Unit": "W", "Value": 150},
                    "BulkChargingComplete": False,
                    "ChargingComplete": False,
                    "RemainingTimeToFullSoC": {"Multiplier": 0, "Unit": "s", "Value": 1800},
                    "RemainingTimeToBulkSoC": {"Multiplier": 0, "Unit": "s", "Value": 1200},
                    "EVTargetVoltage": {"Multiplier": 0, "Unit": "V", "Value": 400},
                }
            },
        ),
    )
    # Every Parameter value kind at both ends of its range, and every unit.
    low, high = Gen(rng, "low"), Gen(rng, "max")
    yield (
        "iso2/ServiceDetailRes/parameter-bounds",
        message(
            sid,
            {
                "ServiceDetailRes": {
                    "ResponseCode": "OK",
                    "ServiceID": 65535,
                    "ServiceParameterList": {
                        "ParameterSet": [
                            {
                                "ParameterSetID": -32768,
                                "Parameter": [
                                    parameter(low, i, k) for i, k in enumerate(PARAMETER_KINDS)
                                ],
                            },
                            {
                                "ParameterSetID": 32767,
                                "Parameter": [
                                    parameter(high, i, k) for i, k in enumerate(PARAMETER_KINDS)
                                ]
                                + [
                                    {
                                        "@Name": f"unit-{u}",
                                        "physicalValue": {"Multiplier": 0, "Unit": u, "Value": 1},
                                    }
                                    for u in UNITS
                                ],
                            },
                        ]
                    },
                }
            },
        ),
    )
    # Sales tariff costs at both ends of their ranges.
    tariff = sales_tariff(Gen(rng, "low"), 2, 0)
    tariff["SalesTariffEntry"][0]["ConsumptionCost"] = [
        {"startValue": low.pv("W"), "Cost": [cost(low) for _ in range(3)]}
    ]
    tariff["SalesTariffEntry"][1]["ConsumptionCost"] = [
        {"startValue": high.pv("W"), "Cost": [cost(high) for _ in range(3)]}
    ]
    yield (
        "iso2/ChargeParameterDiscoveryRes/salestariff-bounds",
        message(
            sid,
            {
                "ChargeParameterDiscoveryRes": {
                    "ResponseCode": "OK",
                    "EVSEProcessing": "Ongoing",
                    "SAScheduleList": {
                        "SAScheduleTuple": [
                            {
                                "SAScheduleTupleID": 1,
                                "PMaxSchedule": pmax_schedule(low, 1),
                                "SalesTariff": tariff,
                            }
                        ]
                    },
                    "AC_EVSEChargeParameter": ac_evse_charge_parameter(low),
                }
            },
        ),
    )
