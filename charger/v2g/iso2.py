"""ISO 15118-2:2013 messages (urn:iso:15118:2:2013:MsgDef): one declaration per schema type.

Class, field and enumeration names are the schema's own, so that a field is named
after the element or attribute it holds. Written from the published XSDs.

``exi_unbounded=True`` marks the elements whose maxOccurs is above 8 (16, 20, 24, 255, 1024):
EXIficient's ISO 15118-2 grammar does not count those occurrences, so after the last allowed
one it still offers the element, which changes the next event code. The codec follows it for
byte-exact streams and checks the bound itself.
"""

from __future__ import annotations

from enum import StrEnum

from charger.v2g.schema import (
    XS_BOOLEAN,
    XS_BYTE,
    XS_ID,
    XS_INT,
    XS_LONG,
    XS_SHORT,
    XS_STRING,
    XS_UNSIGNED_BYTE,
    XS_UNSIGNED_INT,
    XS_UNSIGNED_LONG,
    XS_UNSIGNED_SHORT,
    GlobalElement,
    Kind,
    Schema,
    attribute,
    binary_type,
    complex_type,
    element,
    integer_type,
    string_type,
    text,
)
from charger.v2g.xmldsig import ELEMENTS as XMLDSIG_ELEMENTS
from charger.v2g.xmldsig import (
    Signature_element,
    SignatureType,
    X509IssuerSerialType,
)

MSG_DEF_NS = "urn:iso:15118:2:2013:MsgDef"
MSG_HEADER_NS = "urn:iso:15118:2:2013:MsgHeader"
MSG_BODY_NS = "urn:iso:15118:2:2013:MsgBody"
MSG_DATA_TYPES_NS = "urn:iso:15118:2:2013:MsgDataTypes"


class faultCodeType(StrEnum):
    ParsingError = "ParsingError"
    NoTLSRootCertificatAvailable = "NoTLSRootCertificatAvailable"
    UnknownError = "UnknownError"


faultMsgType = string_type("faultMsgType", max_length=64)

sessionIDType = binary_type("sessionIDType", Kind.HEX, max_length=8)

evccIDType = binary_type("evccIDType", Kind.HEX, max_length=6)


class responseCodeType(StrEnum):
    OK = "OK"
    OK_NewSessionEstablished = "OK_NewSessionEstablished"
    OK_OldSessionJoined = "OK_OldSessionJoined"
    OK_CertificateExpiresSoon = "OK_CertificateExpiresSoon"
    FAILED = "FAILED"
    FAILED_SequenceError = "FAILED_SequenceError"
    FAILED_ServiceIDInvalid = "FAILED_ServiceIDInvalid"
    FAILED_UnknownSession = "FAILED_UnknownSession"
    FAILED_ServiceSelectionInvalid = "FAILED_ServiceSelectionInvalid"
    FAILED_PaymentSelectionInvalid = "FAILED_PaymentSelectionInvalid"
    FAILED_CertificateExpired = "FAILED_CertificateExpired"
    FAILED_SignatureError = "FAILED_SignatureError"
    FAILED_NoCertificateAvailable = "FAILED_NoCertificateAvailable"
    FAILED_CertChainError = "FAILED_CertChainError"
    FAILED_ChallengeInvalid = "FAILED_ChallengeInvalid"
    FAILED_ContractCanceled = "FAILED_ContractCanceled"
    FAILED_WrongChargeParameter = "FAILED_WrongChargeParameter"
    FAILED_PowerDeliveryNotApplied = "FAILED_PowerDeliveryNotApplied"
    FAILED_TariffSelectionInvalid = "FAILED_TariffSelectionInvalid"
    FAILED_ChargingProfileInvalid = "FAILED_ChargingProfileInvalid"
    FAILED_MeteringSignatureNotValid = "FAILED_MeteringSignatureNotValid"
    FAILED_NoChargeServiceSelected = "FAILED_NoChargeServiceSelected"
    FAILED_WrongEnergyTransferMode = "FAILED_WrongEnergyTransferMode"
    FAILED_ContactorError = "FAILED_ContactorError"
    FAILED_CertificateNotAllowedAtThisEVSE = "FAILED_CertificateNotAllowedAtThisEVSE"
    FAILED_CertificateRevoked = "FAILED_CertificateRevoked"


evseIDType = string_type("evseIDType", min_length=7, max_length=37)

serviceScopeType = string_type("serviceScopeType", max_length=64)


class serviceCategoryType(StrEnum):
    EVCharging = "EVCharging"
    Internet = "Internet"
    ContractCertificate = "ContractCertificate"
    OtherCustom = "OtherCustom"


serviceIDType = integer_type("serviceIDType", 0, 65535)

serviceNameType = string_type("serviceNameType", max_length=32)


class EnergyTransferModeType(StrEnum):
    AC_single_phase_core = "AC_single_phase_core"
    AC_three_phase_core = "AC_three_phase_core"
    DC_core = "DC_core"
    DC_extended = "DC_extended"
    DC_combo_core = "DC_combo_core"
    DC_unique = "DC_unique"


class paymentOptionType(StrEnum):
    Contract = "Contract"
    ExternalPayment = "ExternalPayment"


unitMultiplierType = integer_type("unitMultiplierType", -3, 3)


class unitSymbolType(StrEnum):
    h = "h"
    m = "m"
    s = "s"
    A = "A"
    V = "V"
    W = "W"
    Wh = "Wh"


certificateType = binary_type("certificateType", Kind.BASE64, max_length=800)

eMAIDType = string_type("eMAIDType", min_length=14, max_length=15)

genChallengeType = binary_type("genChallengeType", Kind.BASE64, length=16)


class EVSEProcessingType(StrEnum):
    Finished = "Finished"
    Ongoing = "Ongoing"
    Ongoing_WaitingForCustomerInteraction = "Ongoing_WaitingForCustomerInteraction"


maxNumPhasesType = integer_type("maxNumPhasesType", 1, 3)


class chargeProgressType(StrEnum):
    Start = "Start"
    Stop = "Stop"
    Renegotiate = "Renegotiate"


SAIDType = integer_type("SAIDType", 1, 255)


class EVSENotificationType(StrEnum):
    _None = "None"
    StopCharging = "StopCharging"
    ReNegotiation = "ReNegotiation"


meterIDType = string_type("meterIDType", max_length=32)

sigMeterReadingType = binary_type("sigMeterReadingType", Kind.BASE64, max_length=64)

meterStatusType = integer_type("meterStatusType", -32768, 32767)


class chargingSessionType(StrEnum):
    Terminate = "Terminate"
    Pause = "Pause"


privateKeyType = binary_type("privateKeyType", Kind.BASE64, max_length=48)

dHpublickeyType = binary_type("dHpublickeyType", Kind.BASE64, max_length=65)


class DC_EVErrorCodeType(StrEnum):
    NO_ERROR = "NO_ERROR"
    FAILED_RESSTemperatureInhibit = "FAILED_RESSTemperatureInhibit"
    FAILED_EVShiftPosition = "FAILED_EVShiftPosition"
    FAILED_ChargerConnectorLockFault = "FAILED_ChargerConnectorLockFault"
    FAILED_EVRESSMalfunction = "FAILED_EVRESSMalfunction"
    FAILED_ChargingCurrentdifferential = "FAILED_ChargingCurrentdifferential"
    FAILED_ChargingVoltageOutOfRange = "FAILED_ChargingVoltageOutOfRange"
    Reserved_A = "Reserved_A"
    Reserved_B = "Reserved_B"
    Reserved_C = "Reserved_C"
    FAILED_ChargingSystemIncompatibility = "FAILED_ChargingSystemIncompatibility"
    NoData = "NoData"


percentValueType = integer_type("percentValueType", 0, 100)


class isolationLevelType(StrEnum):
    Invalid = "Invalid"
    Valid = "Valid"
    Warning = "Warning"
    Fault = "Fault"
    No_IMD = "No_IMD"


class DC_EVSEStatusCodeType(StrEnum):
    EVSE_NotReady = "EVSE_NotReady"
    EVSE_Ready = "EVSE_Ready"
    EVSE_Shutdown = "EVSE_Shutdown"
    EVSE_UtilityInterruptEvent = "EVSE_UtilityInterruptEvent"
    EVSE_IsolationMonitoringActive = "EVSE_IsolationMonitoringActive"
    EVSE_EmergencyShutdown = "EVSE_EmergencyShutdown"
    EVSE_Malfunction = "EVSE_Malfunction"
    Reserved_8 = "Reserved_8"
    Reserved_9 = "Reserved_9"
    Reserved_A = "Reserved_A"
    Reserved_B = "Reserved_B"
    Reserved_C = "Reserved_C"


class costKindType(StrEnum):
    relativePricePercentage = "relativePricePercentage"
    RenewableGenerationPercentage = "RenewableGenerationPercentage"
    CarbonDioxideEmission = "CarbonDioxideEmission"


tariffDescriptionType = string_type("tariffDescriptionType", max_length=32)

RelativeTimeIntervalType_start = integer_type("RelativeTimeIntervalType_start", 0, 16777214)

RelativeTimeIntervalType_duration = integer_type("RelativeTimeIntervalType_duration", 0, 86400)


@complex_type(MSG_DATA_TYPES_NS)
class NotificationType:
    FaultCode: faultCodeType = element(faultCodeType)
    FaultMsg: str | None = element(faultMsgType, min_occurs=0)


@complex_type(MSG_HEADER_NS)
class MessageHeaderType:
    SessionID: bytes = element(sessionIDType)
    Notification: NotificationType | None = element(NotificationType, min_occurs=0)
    Signature: SignatureType | None = element(ref=Signature_element, min_occurs=0)


@complex_type(MSG_BODY_NS, abstract=True)
class BodyBaseType:
    pass


BodyElement_element = GlobalElement("BodyElement", MSG_BODY_NS, BodyBaseType, abstract=True)


@complex_type(MSG_BODY_NS)
class BodyType:
    BodyElement: BodyBaseType | None = element(ref=BodyElement_element, min_occurs=0)


@complex_type(MSG_BODY_NS)
class SessionSetupReqType(BodyBaseType):
    EVCCID: bytes = element(evccIDType)


@complex_type(MSG_BODY_NS)
class SessionSetupResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    EVSEID: str = element(evseIDType)
    EVSETimeStamp: int | None = element(XS_LONG, min_occurs=0)


@complex_type(MSG_BODY_NS)
class ServiceDiscoveryReqType(BodyBaseType):
    ServiceScope: str | None = element(serviceScopeType, min_occurs=0)
    ServiceCategory: serviceCategoryType | None = element(serviceCategoryType, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class ServiceType:
    ServiceID: int = element(serviceIDType)
    ServiceName: str | None = element(serviceNameType, min_occurs=0)
    ServiceCategory: serviceCategoryType = element(serviceCategoryType)
    ServiceScope: str | None = element(serviceScopeType, min_occurs=0)
    FreeService: bool = element(XS_BOOLEAN)


@complex_type(MSG_DATA_TYPES_NS)
class SupportedEnergyTransferModeType:
    EnergyTransferMode: list[EnergyTransferModeType] = element(EnergyTransferModeType, max_occurs=6)


@complex_type(MSG_DATA_TYPES_NS)
class ChargeServiceType(ServiceType):
    SupportedEnergyTransferMode: SupportedEnergyTransferModeType = element(
        SupportedEnergyTransferModeType
    )


@complex_type(MSG_DATA_TYPES_NS)
class PaymentOptionListType:
    PaymentOption: list[paymentOptionType] = element(paymentOptionType, max_occurs=2)


@complex_type(MSG_DATA_TYPES_NS)
class ServiceListType:
    Service: list[ServiceType] = element(ServiceType, max_occurs=8)


@complex_type(MSG_BODY_NS)
class ServiceDiscoveryResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    PaymentOptionList: PaymentOptionListType = element(PaymentOptionListType)
    ChargeService: ChargeServiceType = element(ChargeServiceType)
    ServiceList: ServiceListType | None = element(ServiceListType, min_occurs=0)


@complex_type(MSG_BODY_NS)
class ServiceDetailReqType(BodyBaseType):
    ServiceID: int = element(serviceIDType)


@complex_type(MSG_DATA_TYPES_NS)
class PhysicalValueType:
    Multiplier: int = element(unitMultiplierType)
    Unit: unitSymbolType = element(unitSymbolType)
    Value: int = element(XS_SHORT)


@complex_type(MSG_DATA_TYPES_NS)
class ParameterType:
    Name: str = attribute(XS_STRING, required=True, ns=MSG_DATA_TYPES_NS)
    boolValue: bool | None = element(XS_BOOLEAN, min_occurs=0, choice="choice")
    byteValue: int | None = element(XS_BYTE, min_occurs=0, choice="choice")
    shortValue: int | None = element(XS_SHORT, min_occurs=0, choice="choice")
    intValue: int | None = element(XS_INT, min_occurs=0, choice="choice")
    physicalValue: PhysicalValueType | None = element(
        PhysicalValueType, min_occurs=0, choice="choice"
    )
    stringValue: str | None = element(XS_STRING, min_occurs=0, choice="choice")


@complex_type(MSG_DATA_TYPES_NS)
class ParameterSetType:
    ParameterSetID: int = element(XS_SHORT)
    Parameter: list[ParameterType] = element(ParameterType, max_occurs=16, exi_unbounded=True)


@complex_type(MSG_DATA_TYPES_NS)
class ServiceParameterListType:
    ParameterSet: list[ParameterSetType] = element(
        ParameterSetType, max_occurs=255, exi_unbounded=True
    )


@complex_type(MSG_BODY_NS)
class ServiceDetailResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    ServiceID: int = element(serviceIDType)
    ServiceParameterList: ServiceParameterListType | None = element(
        ServiceParameterListType, min_occurs=0
    )


@complex_type(MSG_DATA_TYPES_NS)
class SelectedServiceType:
    ServiceID: int = element(serviceIDType)
    ParameterSetID: int | None = element(XS_SHORT, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class SelectedServiceListType:
    SelectedService: list[SelectedServiceType] = element(
        SelectedServiceType, max_occurs=16, exi_unbounded=True
    )


@complex_type(MSG_BODY_NS)
class PaymentServiceSelectionReqType(BodyBaseType):
    SelectedPaymentOption: paymentOptionType = element(paymentOptionType)
    SelectedServiceList: SelectedServiceListType = element(SelectedServiceListType)


@complex_type(MSG_BODY_NS)
class PaymentServiceSelectionResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)


@complex_type(MSG_DATA_TYPES_NS)
class SubCertificatesType:
    Certificate: list[bytes] = element(certificateType, max_occurs=4)


@complex_type(MSG_DATA_TYPES_NS)
class CertificateChainType:
    Id: str | None = attribute(XS_ID, ns=MSG_DATA_TYPES_NS)
    Certificate: bytes = element(certificateType)
    SubCertificates: SubCertificatesType | None = element(SubCertificatesType, min_occurs=0)


@complex_type(MSG_BODY_NS)
class PaymentDetailsReqType(BodyBaseType):
    eMAID: str = element(eMAIDType)
    ContractSignatureCertChain: CertificateChainType = element(CertificateChainType)


@complex_type(MSG_BODY_NS)
class PaymentDetailsResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    GenChallenge: bytes = element(genChallengeType)
    EVSETimeStamp: int = element(XS_LONG)


@complex_type(MSG_BODY_NS)
class AuthorizationReqType(BodyBaseType):
    Id: str | None = attribute(XS_ID, ns=MSG_BODY_NS)
    GenChallenge: bytes | None = element(genChallengeType, min_occurs=0)


@complex_type(MSG_BODY_NS)
class AuthorizationResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    EVSEProcessing: EVSEProcessingType = element(EVSEProcessingType)


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class EVChargeParameterType:
    DepartureTime: int | None = element(XS_UNSIGNED_INT, min_occurs=0)


EVChargeParameter_element = GlobalElement(
    "EVChargeParameter", MSG_DATA_TYPES_NS, EVChargeParameterType, abstract=True
)


@complex_type(MSG_BODY_NS)
class ChargeParameterDiscoveryReqType(BodyBaseType):
    MaxEntriesSAScheduleTuple: int | None = element(XS_UNSIGNED_SHORT, min_occurs=0)
    RequestedEnergyTransferMode: EnergyTransferModeType = element(EnergyTransferModeType)
    EVChargeParameter: EVChargeParameterType = element(ref=EVChargeParameter_element)


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class EVSEChargeParameterType:
    pass


EVSEChargeParameter_element = GlobalElement(
    "EVSEChargeParameter", MSG_DATA_TYPES_NS, EVSEChargeParameterType, abstract=True
)


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class SASchedulesType:
    pass


SASchedules_element = GlobalElement(
    "SASchedules", MSG_DATA_TYPES_NS, SASchedulesType, abstract=True
)


@complex_type(MSG_BODY_NS)
class ChargeParameterDiscoveryResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    EVSEProcessing: EVSEProcessingType = element(EVSEProcessingType)
    SASchedules: SASchedulesType | None = element(ref=SASchedules_element, min_occurs=0)
    EVSEChargeParameter: EVSEChargeParameterType = element(ref=EVSEChargeParameter_element)


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class EVPowerDeliveryParameterType:
    pass


EVPowerDeliveryParameter_element = GlobalElement(
    "EVPowerDeliveryParameter", MSG_DATA_TYPES_NS, EVPowerDeliveryParameterType, abstract=True
)


@complex_type(MSG_DATA_TYPES_NS)
class ProfileEntryType:
    ChargingProfileEntryStart: int = element(XS_UNSIGNED_INT)
    ChargingProfileEntryMaxPower: PhysicalValueType = element(PhysicalValueType)
    ChargingProfileEntryMaxNumberOfPhasesInUse: int | None = element(maxNumPhasesType, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class ChargingProfileType:
    ProfileEntry: list[ProfileEntryType] = element(
        ProfileEntryType, max_occurs=24, exi_unbounded=True
    )


@complex_type(MSG_BODY_NS)
class PowerDeliveryReqType(BodyBaseType):
    ChargeProgress: chargeProgressType = element(chargeProgressType)
    SAScheduleTupleID: int = element(SAIDType)
    ChargingProfile: ChargingProfileType | None = element(ChargingProfileType, min_occurs=0)
    EVPowerDeliveryParameter: EVPowerDeliveryParameterType | None = element(
        ref=EVPowerDeliveryParameter_element, min_occurs=0
    )


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class EVSEStatusType:
    NotificationMaxDelay: int = element(XS_UNSIGNED_SHORT)
    EVSENotification: EVSENotificationType = element(EVSENotificationType)


EVSEStatus_element = GlobalElement("EVSEStatus", MSG_DATA_TYPES_NS, EVSEStatusType, abstract=True)


@complex_type(MSG_BODY_NS)
class PowerDeliveryResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    EVSEStatus: EVSEStatusType = element(ref=EVSEStatus_element)


@complex_type(MSG_DATA_TYPES_NS)
class MeterInfoType:
    MeterID: str = element(meterIDType)
    MeterReading: int | None = element(XS_UNSIGNED_LONG, min_occurs=0)
    SigMeterReading: bytes | None = element(sigMeterReadingType, min_occurs=0)
    MeterStatus: int | None = element(meterStatusType, min_occurs=0)
    TMeter: int | None = element(XS_LONG, min_occurs=0)


@complex_type(MSG_BODY_NS)
class MeteringReceiptReqType(BodyBaseType):
    Id: str | None = attribute(XS_ID, ns=MSG_BODY_NS)
    SessionID: bytes = element(sessionIDType)
    SAScheduleTupleID: int | None = element(SAIDType, min_occurs=0)
    MeterInfo: MeterInfoType = element(MeterInfoType)


@complex_type(MSG_BODY_NS)
class MeteringReceiptResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    EVSEStatus: EVSEStatusType = element(ref=EVSEStatus_element)


@complex_type(MSG_BODY_NS)
class SessionStopReqType(BodyBaseType):
    ChargingSession: chargingSessionType = element(chargingSessionType)


@complex_type(MSG_BODY_NS)
class SessionStopResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)


@complex_type(MSG_DATA_TYPES_NS)
class ListOfRootCertificateIDsType:
    RootCertificateID: list[X509IssuerSerialType] = element(
        X509IssuerSerialType, max_occurs=20, exi_unbounded=True
    )


@complex_type(MSG_BODY_NS)
class CertificateUpdateReqType(BodyBaseType):
    Id: str = attribute(XS_ID, required=True, ns=MSG_BODY_NS)
    ContractSignatureCertChain: CertificateChainType = element(CertificateChainType)
    eMAID: str = element(eMAIDType)
    ListOfRootCertificateIDs: ListOfRootCertificateIDsType = element(ListOfRootCertificateIDsType)


@complex_type(MSG_DATA_TYPES_NS)
class ContractSignatureEncryptedPrivateKeyType:
    Id: str = attribute(XS_ID, required=True, ns=MSG_DATA_TYPES_NS)
    value: bytes = text(privateKeyType)


@complex_type(MSG_DATA_TYPES_NS)
class DiffieHellmanPublickeyType:
    Id: str = attribute(XS_ID, required=True, ns=MSG_DATA_TYPES_NS)
    value: bytes = text(dHpublickeyType)


@complex_type(MSG_DATA_TYPES_NS)
class EMAIDType:
    Id: str = attribute(XS_ID, required=True, ns=MSG_DATA_TYPES_NS)
    value: str = text(eMAIDType)


@complex_type(MSG_BODY_NS)
class CertificateUpdateResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    SAProvisioningCertificateChain: CertificateChainType = element(CertificateChainType)
    ContractSignatureCertChain: CertificateChainType = element(CertificateChainType)
    ContractSignatureEncryptedPrivateKey: ContractSignatureEncryptedPrivateKeyType = element(
        ContractSignatureEncryptedPrivateKeyType
    )
    DHpublickey: DiffieHellmanPublickeyType = element(DiffieHellmanPublickeyType)
    eMAID: EMAIDType = element(EMAIDType)
    RetryCounter: int | None = element(XS_SHORT, min_occurs=0)


@complex_type(MSG_BODY_NS)
class CertificateInstallationReqType(BodyBaseType):
    Id: str = attribute(XS_ID, required=True, ns=MSG_BODY_NS)
    OEMProvisioningCert: bytes = element(certificateType)
    ListOfRootCertificateIDs: ListOfRootCertificateIDsType = element(ListOfRootCertificateIDsType)


@complex_type(MSG_BODY_NS)
class CertificateInstallationResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    SAProvisioningCertificateChain: CertificateChainType = element(CertificateChainType)
    ContractSignatureCertChain: CertificateChainType = element(CertificateChainType)
    ContractSignatureEncryptedPrivateKey: ContractSignatureEncryptedPrivateKeyType = element(
        ContractSignatureEncryptedPrivateKeyType
    )
    DHpublickey: DiffieHellmanPublickeyType = element(DiffieHellmanPublickeyType)
    eMAID: EMAIDType = element(EMAIDType)


@complex_type(MSG_BODY_NS)
class ChargingStatusReqType(BodyBaseType):
    pass


@complex_type(MSG_DATA_TYPES_NS)
class AC_EVSEStatusType(EVSEStatusType):
    RCD: bool = element(XS_BOOLEAN)


@complex_type(MSG_BODY_NS)
class ChargingStatusResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    EVSEID: str = element(evseIDType)
    SAScheduleTupleID: int = element(SAIDType)
    EVSEMaxCurrent: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    MeterInfo: MeterInfoType | None = element(MeterInfoType, min_occurs=0)
    ReceiptRequired: bool | None = element(XS_BOOLEAN, min_occurs=0)
    AC_EVSEStatus: AC_EVSEStatusType = element(AC_EVSEStatusType)


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class EVStatusType:
    pass


@complex_type(MSG_DATA_TYPES_NS)
class DC_EVStatusType(EVStatusType):
    EVReady: bool = element(XS_BOOLEAN)
    EVErrorCode: DC_EVErrorCodeType = element(DC_EVErrorCodeType)
    EVRESSSOC: int = element(percentValueType)


@complex_type(MSG_BODY_NS)
class CableCheckReqType(BodyBaseType):
    DC_EVStatus: DC_EVStatusType = element(DC_EVStatusType)


@complex_type(MSG_DATA_TYPES_NS)
class DC_EVSEStatusType(EVSEStatusType):
    EVSEIsolationStatus: isolationLevelType | None = element(isolationLevelType, min_occurs=0)
    EVSEStatusCode: DC_EVSEStatusCodeType = element(DC_EVSEStatusCodeType)


@complex_type(MSG_BODY_NS)
class CableCheckResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    DC_EVSEStatus: DC_EVSEStatusType = element(DC_EVSEStatusType)
    EVSEProcessing: EVSEProcessingType = element(EVSEProcessingType)


@complex_type(MSG_BODY_NS)
class PreChargeReqType(BodyBaseType):
    DC_EVStatus: DC_EVStatusType = element(DC_EVStatusType)
    EVTargetVoltage: PhysicalValueType = element(PhysicalValueType)
    EVTargetCurrent: PhysicalValueType = element(PhysicalValueType)


@complex_type(MSG_BODY_NS)
class PreChargeResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    DC_EVSEStatus: DC_EVSEStatusType = element(DC_EVSEStatusType)
    EVSEPresentVoltage: PhysicalValueType = element(PhysicalValueType)


@complex_type(MSG_BODY_NS)
class CurrentDemandReqType(BodyBaseType):
    DC_EVStatus: DC_EVStatusType = element(DC_EVStatusType)
    EVTargetCurrent: PhysicalValueType = element(PhysicalValueType)
    EVMaximumVoltageLimit: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVMaximumCurrentLimit: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVMaximumPowerLimit: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    BulkChargingComplete: bool | None = element(XS_BOOLEAN, min_occurs=0)
    ChargingComplete: bool = element(XS_BOOLEAN)
    RemainingTimeToFullSoC: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    RemainingTimeToBulkSoC: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVTargetVoltage: PhysicalValueType = element(PhysicalValueType)


@complex_type(MSG_BODY_NS)
class CurrentDemandResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    DC_EVSEStatus: DC_EVSEStatusType = element(DC_EVSEStatusType)
    EVSEPresentVoltage: PhysicalValueType = element(PhysicalValueType)
    EVSEPresentCurrent: PhysicalValueType = element(PhysicalValueType)
    EVSECurrentLimitAchieved: bool = element(XS_BOOLEAN)
    EVSEVoltageLimitAchieved: bool = element(XS_BOOLEAN)
    EVSEPowerLimitAchieved: bool = element(XS_BOOLEAN)
    EVSEMaximumVoltageLimit: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVSEMaximumCurrentLimit: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVSEMaximumPowerLimit: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVSEID: str = element(evseIDType)
    SAScheduleTupleID: int = element(SAIDType)
    MeterInfo: MeterInfoType | None = element(MeterInfoType, min_occurs=0)
    ReceiptRequired: bool | None = element(XS_BOOLEAN, min_occurs=0)


@complex_type(MSG_BODY_NS)
class WeldingDetectionReqType(BodyBaseType):
    DC_EVStatus: DC_EVStatusType = element(DC_EVStatusType)


@complex_type(MSG_BODY_NS)
class WeldingDetectionResType(BodyBaseType):
    ResponseCode: responseCodeType = element(responseCodeType)
    DC_EVSEStatus: DC_EVSEStatusType = element(DC_EVSEStatusType)
    EVSEPresentVoltage: PhysicalValueType = element(PhysicalValueType)


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class IntervalType:
    pass


TimeInterval_element = GlobalElement("TimeInterval", MSG_DATA_TYPES_NS, IntervalType, abstract=True)


@complex_type(MSG_DATA_TYPES_NS, abstract=True)
class EntryType:
    TimeInterval: IntervalType = element(ref=TimeInterval_element)


Entry_element = GlobalElement("Entry", MSG_DATA_TYPES_NS, EntryType, abstract=True)


@complex_type(MSG_DATA_TYPES_NS)
class PMaxScheduleEntryType(EntryType):
    PMax: PhysicalValueType = element(PhysicalValueType)


PMaxScheduleEntry_element = GlobalElement(
    "PMaxScheduleEntry", MSG_DATA_TYPES_NS, PMaxScheduleEntryType, substitution_group=Entry_element
)


@complex_type(MSG_DATA_TYPES_NS)
class PMaxScheduleType:
    PMaxScheduleEntry: list[PMaxScheduleEntryType] = element(
        ref=PMaxScheduleEntry_element, max_occurs=1024, exi_unbounded=True
    )


@complex_type(MSG_DATA_TYPES_NS)
class CostType:
    costKind: costKindType = element(costKindType)
    amount: int = element(XS_UNSIGNED_INT)
    amountMultiplier: int | None = element(unitMultiplierType, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class ConsumptionCostType:
    startValue: PhysicalValueType = element(PhysicalValueType)
    Cost: list[CostType] = element(CostType, max_occurs=3)


@complex_type(MSG_DATA_TYPES_NS)
class SalesTariffEntryType(EntryType):
    EPriceLevel: int | None = element(XS_UNSIGNED_BYTE, min_occurs=0)
    ConsumptionCost: list[ConsumptionCostType] = element(
        ConsumptionCostType, min_occurs=0, max_occurs=3
    )


SalesTariffEntry_element = GlobalElement(
    "SalesTariffEntry", MSG_DATA_TYPES_NS, SalesTariffEntryType, substitution_group=Entry_element
)


@complex_type(MSG_DATA_TYPES_NS)
class SalesTariffType:
    Id: str | None = attribute(XS_ID, ns=MSG_DATA_TYPES_NS)
    SalesTariffID: int = element(SAIDType)
    SalesTariffDescription: str | None = element(tariffDescriptionType, min_occurs=0)
    NumEPriceLevels: int | None = element(XS_UNSIGNED_BYTE, min_occurs=0)
    SalesTariffEntry: list[SalesTariffEntryType] = element(
        ref=SalesTariffEntry_element, max_occurs=1024, exi_unbounded=True
    )


@complex_type(MSG_DATA_TYPES_NS)
class SAScheduleTupleType:
    SAScheduleTupleID: int = element(SAIDType)
    PMaxSchedule: PMaxScheduleType = element(PMaxScheduleType)
    SalesTariff: SalesTariffType | None = element(SalesTariffType, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class SAScheduleListType(SASchedulesType):
    SAScheduleTuple: list[SAScheduleTupleType] = element(SAScheduleTupleType, max_occurs=3)


@complex_type(MSG_DATA_TYPES_NS)
class RelativeTimeIntervalType(IntervalType):
    start: int = element(RelativeTimeIntervalType_start)
    duration: int | None = element(RelativeTimeIntervalType_duration, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class AC_EVChargeParameterType(EVChargeParameterType):
    EAmount: PhysicalValueType = element(PhysicalValueType)
    EVMaxVoltage: PhysicalValueType = element(PhysicalValueType)
    EVMaxCurrent: PhysicalValueType = element(PhysicalValueType)
    EVMinCurrent: PhysicalValueType = element(PhysicalValueType)


@complex_type(MSG_DATA_TYPES_NS)
class DC_EVChargeParameterType(EVChargeParameterType):
    DC_EVStatus: DC_EVStatusType = element(DC_EVStatusType)
    EVMaximumCurrentLimit: PhysicalValueType = element(PhysicalValueType)
    EVMaximumPowerLimit: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVMaximumVoltageLimit: PhysicalValueType = element(PhysicalValueType)
    EVEnergyCapacity: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    EVEnergyRequest: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)
    FullSOC: int | None = element(percentValueType, min_occurs=0)
    BulkSOC: int | None = element(percentValueType, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class AC_EVSEChargeParameterType(EVSEChargeParameterType):
    AC_EVSEStatus: AC_EVSEStatusType = element(AC_EVSEStatusType)
    EVSENominalVoltage: PhysicalValueType = element(PhysicalValueType)
    EVSEMaxCurrent: PhysicalValueType = element(PhysicalValueType)


@complex_type(MSG_DATA_TYPES_NS)
class DC_EVSEChargeParameterType(EVSEChargeParameterType):
    DC_EVSEStatus: DC_EVSEStatusType = element(DC_EVSEStatusType)
    EVSEMaximumCurrentLimit: PhysicalValueType = element(PhysicalValueType)
    EVSEMaximumPowerLimit: PhysicalValueType = element(PhysicalValueType)
    EVSEMaximumVoltageLimit: PhysicalValueType = element(PhysicalValueType)
    EVSEMinimumCurrentLimit: PhysicalValueType = element(PhysicalValueType)
    EVSEMinimumVoltageLimit: PhysicalValueType = element(PhysicalValueType)
    EVSECurrentRegulationTolerance: PhysicalValueType | None = element(
        PhysicalValueType, min_occurs=0
    )
    EVSEPeakCurrentRipple: PhysicalValueType = element(PhysicalValueType)
    EVSEEnergyToBeDelivered: PhysicalValueType | None = element(PhysicalValueType, min_occurs=0)


@complex_type(MSG_DATA_TYPES_NS)
class DC_EVPowerDeliveryParameterType(EVPowerDeliveryParameterType):
    DC_EVStatus: DC_EVStatusType = element(DC_EVStatusType)
    BulkChargingComplete: bool | None = element(XS_BOOLEAN, min_occurs=0)
    ChargingComplete: bool = element(XS_BOOLEAN)


@complex_type(MSG_DEF_NS)
class V2G_Message:
    Header: MessageHeaderType = element(MessageHeaderType)
    Body: BodyType = element(BodyType)


V2G_Message_element = GlobalElement("V2G_Message", MSG_DEF_NS, V2G_Message)


SessionSetupReq_element = GlobalElement(
    "SessionSetupReq", MSG_BODY_NS, SessionSetupReqType, substitution_group=BodyElement_element
)


SessionSetupRes_element = GlobalElement(
    "SessionSetupRes", MSG_BODY_NS, SessionSetupResType, substitution_group=BodyElement_element
)


ServiceDiscoveryReq_element = GlobalElement(
    "ServiceDiscoveryReq",
    MSG_BODY_NS,
    ServiceDiscoveryReqType,
    substitution_group=BodyElement_element,
)


ServiceDiscoveryRes_element = GlobalElement(
    "ServiceDiscoveryRes",
    MSG_BODY_NS,
    ServiceDiscoveryResType,
    substitution_group=BodyElement_element,
)


ServiceDetailReq_element = GlobalElement(
    "ServiceDetailReq", MSG_BODY_NS, ServiceDetailReqType, substitution_group=BodyElement_element
)


ServiceDetailRes_element = GlobalElement(
    "ServiceDetailRes", MSG_BODY_NS, ServiceDetailResType, substitution_group=BodyElement_element
)


PaymentServiceSelectionReq_element = GlobalElement(
    "PaymentServiceSelectionReq",
    MSG_BODY_NS,
    PaymentServiceSelectionReqType,
    substitution_group=BodyElement_element,
)


PaymentServiceSelectionRes_element = GlobalElement(
    "PaymentServiceSelectionRes",
    MSG_BODY_NS,
    PaymentServiceSelectionResType,
    substitution_group=BodyElement_element,
)


PaymentDetailsReq_element = GlobalElement(
    "PaymentDetailsReq", MSG_BODY_NS, PaymentDetailsReqType, substitution_group=BodyElement_element
)


PaymentDetailsRes_element = GlobalElement(
    "PaymentDetailsRes", MSG_BODY_NS, PaymentDetailsResType, substitution_group=BodyElement_element
)


AuthorizationReq_element = GlobalElement(
    "AuthorizationReq", MSG_BODY_NS, AuthorizationReqType, substitution_group=BodyElement_element
)


AuthorizationRes_element = GlobalElement(
    "AuthorizationRes", MSG_BODY_NS, AuthorizationResType, substitution_group=BodyElement_element
)


ChargeParameterDiscoveryReq_element = GlobalElement(
    "ChargeParameterDiscoveryReq",
    MSG_BODY_NS,
    ChargeParameterDiscoveryReqType,
    substitution_group=BodyElement_element,
)


ChargeParameterDiscoveryRes_element = GlobalElement(
    "ChargeParameterDiscoveryRes",
    MSG_BODY_NS,
    ChargeParameterDiscoveryResType,
    substitution_group=BodyElement_element,
)


PowerDeliveryReq_element = GlobalElement(
    "PowerDeliveryReq", MSG_BODY_NS, PowerDeliveryReqType, substitution_group=BodyElement_element
)


PowerDeliveryRes_element = GlobalElement(
    "PowerDeliveryRes", MSG_BODY_NS, PowerDeliveryResType, substitution_group=BodyElement_element
)


MeteringReceiptReq_element = GlobalElement(
    "MeteringReceiptReq",
    MSG_BODY_NS,
    MeteringReceiptReqType,
    substitution_group=BodyElement_element,
)


MeteringReceiptRes_element = GlobalElement(
    "MeteringReceiptRes",
    MSG_BODY_NS,
    MeteringReceiptResType,
    substitution_group=BodyElement_element,
)


SessionStopReq_element = GlobalElement(
    "SessionStopReq", MSG_BODY_NS, SessionStopReqType, substitution_group=BodyElement_element
)


SessionStopRes_element = GlobalElement(
    "SessionStopRes", MSG_BODY_NS, SessionStopResType, substitution_group=BodyElement_element
)


CertificateUpdateReq_element = GlobalElement(
    "CertificateUpdateReq",
    MSG_BODY_NS,
    CertificateUpdateReqType,
    substitution_group=BodyElement_element,
)


CertificateUpdateRes_element = GlobalElement(
    "CertificateUpdateRes",
    MSG_BODY_NS,
    CertificateUpdateResType,
    substitution_group=BodyElement_element,
)


CertificateInstallationReq_element = GlobalElement(
    "CertificateInstallationReq",
    MSG_BODY_NS,
    CertificateInstallationReqType,
    substitution_group=BodyElement_element,
)


CertificateInstallationRes_element = GlobalElement(
    "CertificateInstallationRes",
    MSG_BODY_NS,
    CertificateInstallationResType,
    substitution_group=BodyElement_element,
)


ChargingStatusReq_element = GlobalElement(
    "ChargingStatusReq", MSG_BODY_NS, ChargingStatusReqType, substitution_group=BodyElement_element
)


ChargingStatusRes_element = GlobalElement(
    "ChargingStatusRes", MSG_BODY_NS, ChargingStatusResType, substitution_group=BodyElement_element
)


CableCheckReq_element = GlobalElement(
    "CableCheckReq", MSG_BODY_NS, CableCheckReqType, substitution_group=BodyElement_element
)


CableCheckRes_element = GlobalElement(
    "CableCheckRes", MSG_BODY_NS, CableCheckResType, substitution_group=BodyElement_element
)


PreChargeReq_element = GlobalElement(
    "PreChargeReq", MSG_BODY_NS, PreChargeReqType, substitution_group=BodyElement_element
)


PreChargeRes_element = GlobalElement(
    "PreChargeRes", MSG_BODY_NS, PreChargeResType, substitution_group=BodyElement_element
)


CurrentDemandReq_element = GlobalElement(
    "CurrentDemandReq", MSG_BODY_NS, CurrentDemandReqType, substitution_group=BodyElement_element
)


CurrentDemandRes_element = GlobalElement(
    "CurrentDemandRes", MSG_BODY_NS, CurrentDemandResType, substitution_group=BodyElement_element
)


WeldingDetectionReq_element = GlobalElement(
    "WeldingDetectionReq",
    MSG_BODY_NS,
    WeldingDetectionReqType,
    substitution_group=BodyElement_element,
)


WeldingDetectionRes_element = GlobalElement(
    "WeldingDetectionRes",
    MSG_BODY_NS,
    WeldingDetectionResType,
    substitution_group=BodyElement_element,
)


SAScheduleList_element = GlobalElement(
    "SAScheduleList", MSG_DATA_TYPES_NS, SAScheduleListType, substitution_group=SASchedules_element
)


RelativeTimeInterval_element = GlobalElement(
    "RelativeTimeInterval",
    MSG_DATA_TYPES_NS,
    RelativeTimeIntervalType,
    substitution_group=TimeInterval_element,
)


AC_EVSEStatus_element = GlobalElement(
    "AC_EVSEStatus", MSG_DATA_TYPES_NS, AC_EVSEStatusType, substitution_group=EVSEStatus_element
)


EVStatus_element = GlobalElement("EVStatus", MSG_DATA_TYPES_NS, EVStatusType, abstract=True)


DC_EVSEStatus_element = GlobalElement(
    "DC_EVSEStatus", MSG_DATA_TYPES_NS, DC_EVSEStatusType, substitution_group=EVSEStatus_element
)


DC_EVStatus_element = GlobalElement(
    "DC_EVStatus", MSG_DATA_TYPES_NS, DC_EVStatusType, substitution_group=EVStatus_element
)


AC_EVChargeParameter_element = GlobalElement(
    "AC_EVChargeParameter",
    MSG_DATA_TYPES_NS,
    AC_EVChargeParameterType,
    substitution_group=EVChargeParameter_element,
)


DC_EVChargeParameter_element = GlobalElement(
    "DC_EVChargeParameter",
    MSG_DATA_TYPES_NS,
    DC_EVChargeParameterType,
    substitution_group=EVChargeParameter_element,
)


AC_EVSEChargeParameter_element = GlobalElement(
    "AC_EVSEChargeParameter",
    MSG_DATA_TYPES_NS,
    AC_EVSEChargeParameterType,
    substitution_group=EVSEChargeParameter_element,
)


DC_EVSEChargeParameter_element = GlobalElement(
    "DC_EVSEChargeParameter",
    MSG_DATA_TYPES_NS,
    DC_EVSEChargeParameterType,
    substitution_group=EVSEChargeParameter_element,
)


DC_EVPowerDeliveryParameter_element = GlobalElement(
    "DC_EVPowerDeliveryParameter",
    MSG_DATA_TYPES_NS,
    DC_EVPowerDeliveryParameterType,
    substitution_group=EVPowerDeliveryParameter_element,
)


ELEMENTS: list[GlobalElement] = [
    V2G_Message_element,
    BodyElement_element,
    SessionSetupReq_element,
    SessionSetupRes_element,
    ServiceDiscoveryReq_element,
    ServiceDiscoveryRes_element,
    ServiceDetailReq_element,
    ServiceDetailRes_element,
    PaymentServiceSelectionReq_element,
    PaymentServiceSelectionRes_element,
    PaymentDetailsReq_element,
    PaymentDetailsRes_element,
    AuthorizationReq_element,
    AuthorizationRes_element,
    ChargeParameterDiscoveryReq_element,
    ChargeParameterDiscoveryRes_element,
    PowerDeliveryReq_element,
    PowerDeliveryRes_element,
    MeteringReceiptReq_element,
    MeteringReceiptRes_element,
    SessionStopReq_element,
    SessionStopRes_element,
    CertificateUpdateReq_element,
    CertificateUpdateRes_element,
    CertificateInstallationReq_element,
    CertificateInstallationRes_element,
    ChargingStatusReq_element,
    ChargingStatusRes_element,
    CableCheckReq_element,
    CableCheckRes_element,
    PreChargeReq_element,
    PreChargeRes_element,
    CurrentDemandReq_element,
    CurrentDemandRes_element,
    WeldingDetectionReq_element,
    WeldingDetectionRes_element,
    SASchedules_element,
    SAScheduleList_element,
    Entry_element,
    SalesTariffEntry_element,
    PMaxScheduleEntry_element,
    TimeInterval_element,
    RelativeTimeInterval_element,
    EVSEStatus_element,
    AC_EVSEStatus_element,
    EVStatus_element,
    DC_EVSEStatus_element,
    DC_EVStatus_element,
    EVChargeParameter_element,
    AC_EVChargeParameter_element,
    DC_EVChargeParameter_element,
    EVSEChargeParameter_element,
    AC_EVSEChargeParameter_element,
    DC_EVSEChargeParameter_element,
    EVPowerDeliveryParameter_element,
    DC_EVPowerDeliveryParameter_element,
]

SCHEMA = Schema("iso2", MSG_DEF_NS, ELEMENTS + XMLDSIG_ELEMENTS)
