"""The charge point's settings: OCPP 1.6 configuration keys and the 2.0.1 device-model
variables they correspond to, with types, defaults and whether the backend may change them.

Values are kept as Python values (int, bool, list of str, str); each protocol renders them as
strings. Changes made by the backend are persisted in the store and survive a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MEASURANDS = ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Import",
              "Voltage", "Frequency")


@dataclass(frozen=True)
class Setting:
    name: str
    key16: str | None  # OCPP 1.6 configuration key
    var201: tuple[str, str] | None  # OCPP 2.0.1 (component, variable)
    kind: str  # int | bool | csv | str
    default: Any
    readonly: bool = False
    minimum: int = 0


SETTINGS: tuple[Setting, ...] = (
    Setting("heartbeat_interval", "HeartbeatInterval", ("OCPPCommCtrlr", "HeartbeatInterval"),
            "int", 300),
    Setting("meter_interval", "MeterValueSampleInterval",
            ("SampledDataCtrlr", "TxUpdatedInterval"), "int", 60),
    Setting("sampled_measurands", "MeterValuesSampledData",
            ("SampledDataCtrlr", "TxUpdatedMeasurands"), "csv",
            ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import"]),
    Setting("stop_measurands", "StopTxnSampledData", ("SampledDataCtrlr", "TxEndedMeasurands"),
            "csv", ["Energy.Active.Import.Register"]),
    Setting("aligned_interval", "ClockAlignedDataInterval", ("AlignedDataCtrlr", "Interval"),
            "int", 0),
    Setting("aligned_measurands", "MeterValuesAlignedData", ("AlignedDataCtrlr", "Measurands"),
            "csv", ["Energy.Active.Import.Register"]),
    Setting("connection_timeout", "ConnectionTimeOut", ("TxCtrlr", "EVConnectionTimeOut"),
            "int", 30, minimum=1),
    Setting("local_authorize_offline", "LocalAuthorizeOffline",
            ("AuthCtrlr", "LocalAuthorizeOffline"), "bool", True),
    Setting("local_pre_authorize", "LocalPreAuthorize", ("AuthCtrlr", "LocalPreAuthorize"),
            "bool", False),
    Setting("allow_offline_unknown", "AllowOfflineTxForUnknownId",
            ("AuthCtrlr", "OfflineTxForUnknownIdEnabled"), "bool", False),
    Setting("authorize_remote", "AuthorizeRemoteTxRequests", ("AuthCtrlr", "AuthorizeRemoteStart"),
            "bool", False),
    Setting("cache_enabled", "AuthorizationCacheEnabled", ("AuthCacheCtrlr", "Enabled"), "bool",
            True),
    Setting("local_list_enabled", "LocalAuthListEnabled", ("LocalAuthListCtrlr", "Enabled"),
            "bool", True),
    Setting("local_list_max", "LocalAuthListMaxLength", ("LocalAuthListCtrlr", "Entries"), "int",
            1000, readonly=True),
    Setting("send_local_list_max", "SendLocalListMaxLength",
            ("LocalAuthListCtrlr", "ItemsPerMessage"), "int", 250, readonly=True),
    Setting("stop_on_invalid", "StopTransactionOnInvalidId", ("TxCtrlr", "StopTxOnInvalidId"),
            "bool", True),
    Setting("stop_on_ev_disconnect", "StopTransactionOnEVSideDisconnect",
            ("TxCtrlr", "StopTxOnEVSideDisconnect"), "bool", True, readonly=True),
    Setting("unlock_on_ev_disconnect", "UnlockConnectorOnEVSideDisconnect", None, "bool", True,
            readonly=True),
    Setting("tx_attempts", "TransactionMessageAttempts", ("OCPPCommCtrlr", "MessageAttempts"),
            "int", 3, minimum=1),
    Setting("tx_retry_interval", "TransactionMessageRetryInterval",
            ("OCPPCommCtrlr", "MessageAttemptInterval"), "int", 10),
    Setting("reset_retries", "ResetRetries", ("OCPPCommCtrlr", "ResetRetries"), "int", 1),
    Setting("ping_interval", "WebSocketPingInterval", ("OCPPCommCtrlr", "WebSocketPingInterval"),
            "int", 30),
    # The reconnection back-off (OCPP 2.0.1 part 4, "Reconnecting"); 1.6 has no standard keys,
    # so the 2.0.1 variable names serve as 1.6 configuration keys too.
    Setting("retry_backoff_wait_minimum", "RetryBackOffWaitMinimum",
            ("OCPPCommCtrlr", "RetryBackOffWaitMinimum"), "int", 3),
    Setting("retry_backoff_random_range", "RetryBackOffRandomRange",
            ("OCPPCommCtrlr", "RetryBackOffRandomRange"), "int", 2),
    Setting("retry_backoff_repeat_times", "RetryBackOffRepeatTimes",
            ("OCPPCommCtrlr", "RetryBackOffRepeatTimes"), "int", 5),
    Setting("number_of_connectors", "NumberOfConnectors", None, "int", 1, readonly=True),
    Setting("phase_rotation", "ConnectorPhaseRotation", None, "str", "Unknown"),
    Setting("supported_profiles", "SupportedFeatureProfiles", None, "str",
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,"
            "RemoteTrigger", readonly=True),
    Setting("get_configuration_max_keys", "GetConfigurationMaxKeys", None, "int", 100,
            readonly=True),
    Setting("sampled_data_max_length", "MeterValuesSampledDataMaxLength", None, "int", 5,
            readonly=True),
    Setting("reserve_connector_zero", "ReserveConnectorZeroSupported", None, "bool", False,
            readonly=True),
    Setting("max_stack_level", "ChargeProfileMaxStackLevel",
            ("SmartChargingCtrlr", "ProfileStackLevel"), "int", 10, readonly=True),
    Setting("rate_units", "ChargingScheduleAllowedChargingRateUnit",
            ("SmartChargingCtrlr", "RateUnit"), "str", "Current,Power", readonly=True),
    Setting("max_periods", "ChargingScheduleMaxPeriods",
            ("SmartChargingCtrlr", "PeriodsPerSchedule"), "int", 24, readonly=True),
    Setting("max_profiles", "MaxChargingProfilesInstalled", ("SmartChargingCtrlr", "Entries"),
            "int", 20, readonly=True),
    Setting("smart_charging_enabled", None, ("SmartChargingCtrlr", "Enabled"), "bool", True,
            readonly=True),
    Setting("tx_start_point", None, ("TxCtrlr", "TxStartPoint"), "str", "Authorized",
            readonly=True),
    Setting("tx_stop_point", None, ("TxCtrlr", "TxStopPoint"), "str", "EVConnected,Authorized",
            readonly=True),
    Setting("reservation_enabled", None, ("ReservationCtrlr", "Enabled"), "bool", True,
            readonly=True),
    Setting("local_auth_offline_2", None, ("AuthCtrlr", "Enabled"), "bool", True, readonly=True),
)
BY_NAME = {s.name: s for s in SETTINGS}
BY_KEY16 = {s.key16: s for s in SETTINGS if s.key16}
BY_VAR201 = {s.var201: s for s in SETTINGS if s.var201}


class SettingError(ValueError):
    pass


def find(key: str) -> Setting | None:
    """A setting by its internal name, 1.6 key, or 2.0.1 "Component.Variable"."""
    if key in BY_NAME:
        return BY_NAME[key]
    if key in BY_KEY16:
        return BY_KEY16[key]
    component, _, variable = key.partition(".")
    return BY_VAR201.get((component, variable))


def parse(setting: Setting, value: Any) -> Any:
    """A value given as text (or already typed, from a station configuration), checked."""
    if setting.kind == "int":
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or number < setting.minimum:
            raise SettingError(f"{value!r} is not an integer >= {setting.minimum}")
        return number
    if setting.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise SettingError(f"{value!r} is not true or false")
        return text == "true"
    if setting.kind == "csv":
        items = value if isinstance(value, list) else \
            [v.strip() for v in str(value).split(",") if v.strip()]
        unknown = [v for v in items if v not in MEASURANDS]
        if unknown:
            raise SettingError(f"unsupported measurand(s): {', '.join(unknown)}")
        return list(items)
    return str(value)


def render(setting: Setting, value: Any) -> str:
    if setting.kind == "bool":
        return "true" if value else "false"
    if setting.kind == "csv":
        return ",".join(value)
    return str(value)


class Settings:
    """Current values: defaults, then the station configuration, then persisted changes."""

    def __init__(self, configured: dict[str, Any], persisted: dict[str, Any]):
        self.values = {s.name: s.default for s in SETTINGS}
        self.problems: list[str] = []
        for key, value in configured.items():
            setting = find(key)
            if setting is None:
                self.problems.append(f"unknown configuration key {key!r}")
                continue
            try:
                self.values[setting.name] = parse(setting, value)
            except SettingError as exc:
                self.problems.append(f"{key}: {exc}")
        for name, value in persisted.items():
            if name in self.values:
                self.values[name] = value

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def set(self, name: str, value: Any) -> None:
        self.values[name] = value
