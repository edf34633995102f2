"""Ocpp201: an OCPP 2.0.1 charge point (provisioning, authorization, transactions with
TransactionEvent, meter values, remote control, availability, reset, smart charging,
reservations, local list, and a basic device model through Get/SetVariables).

One connector per EVSE: the n-th evse_manager connection is EVSE n, connector 1.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ocpp.v201 import call, call_result, datatypes

from charger.ocpp.base import Connector, OcppChargePoint
from charger.ocpp.endpoint import after, on
from charger.ocpp.settings import BY_VAR201, SETTINGS, render
from charger.ocpp.smart_charging import PURPOSES, composite, matches_clear, parse_time
from charger.ocpp.store import QueuedMessage

TOKEN_TYPES = {"RFID": "ISO14443", "Central": "Central", "FreeService": "NoAuthorization",
               "Autocharge": "MacAddress", "PlugAndCharge": "eMAID", "Local": "Local"}
CHARGING_STATES = {"Charging": "Charging", "ChargingPausedEV": "SuspendedEV",
                   "ChargingPausedEVSE": "SuspendedEVSE", "PrepareCharging": "EVConnected",
                   "WaitingForAuthentication": "EVConnected", "Finished": "EVConnected",
                   "Error": "SuspendedEVSE", "Disabled": "SuspendedEVSE", "Idle": "Idle",
                   "Reserved": "Idle"}
TRIGGERS = {"Remote": "RemoteStop", "Local": "StopAuthorized",
            "EVDisconnected": "EVCommunicationLost", "DeAuthorized": "Deauthorized",
            "ImmediateReset": "ResetCommand", "Reboot": "ResetCommand",
            "SoftReset": "ResetCommand", "HardReset": "ResetCommand"}
REASONS = {"DeAuthorized", "EmergencyStop", "EnergyLimitReached", "EVDisconnected",
           "GroundFault", "ImmediateReset", "Local", "LocalOutOfCredit", "MasterPass", "Other",
           "OvercurrentFault", "PowerLoss", "PowerQuality", "Reboot", "Remote",
           "SOCLimitReached", "StoppedByEV", "TimeLimitReached", "Timeout"}
UNITS = {"Wh": "Wh", "W": "W", "A": "A", "V": "V"}


class Ocpp201(OcppChargePoint):
    VERSION = "2.0.1"

    def init_version(self) -> None:
        self.types201: dict[str, str] = {}  # id token -> 2.0.1 IdTokenEnumType, as received

    # --- messages to the backend ---------------------------------------------------------------
    def boot_request(self) -> Any:
        cfg = self.config
        return call.BootNotification(
            charging_station=datatypes.ChargingStationType(
                vendor_name=cfg["vendor"], model=cfg["model"],
                serial_number=cfg["serial_number"] or None,
                firmware_version=cfg["firmware_version"] or None),
            reason=self.boot_reason)

    def heartbeat_request(self) -> Any:
        return call.Heartbeat()

    def connector_status(self, conn: Connector) -> str:
        if conn.faults or conn.state == "Error":
            return "Faulted"
        if not conn.operative or conn.state == "Disabled":
            return "Unavailable"
        if conn.state in ("", "Idle", "Reserved"):
            return "Reserved" if conn.reservation or conn.state == "Reserved" else "Available"
        return "Occupied"

    def status_request(self, conn: Connector, status: str) -> Any:
        return call.StatusNotification(timestamp=self.now_iso(), connector_status=status,
                                       evse_id=conn.number, connector_id=1)

    def _id_token(self, token: str, our_type: str | None = None) -> datatypes.IdTokenType:
        kind = self.types201.get(token) or TOKEN_TYPES.get(our_type or "RFID", "ISO14443")
        return datatypes.IdTokenType(id_token=token[:36], type=kind)

    def authorize_with_backend(self, provided_token: dict) -> Generator[Any, Any, dict | None]:
        token = provided_token["id_token"]
        result = yield from self.request(call.Authorize(
            id_token=self._id_token(token, provided_token.get("type"))))
        return result.get("idTokenInfo") if result else None

    def data_transfer_request(self, vendor_id: str, message_id: str, data: str) -> Any:
        return call.DataTransfer(vendor_id=vendor_id, message_id=message_id or None,
                                 data=data or None)

    def _meter_value(self, conn: Connector | None, measurands: list[str], context: str,
                     values: list[tuple] | None = None) -> datatypes.MeterValueType:
        rows = values if values is not None else \
            (self.measurements(conn, measurands) if conn else [])
        sampled = [datatypes.SampledValueType(
            value=float(value), context=context, measurand=measurand, phase=phase,
            location="Outlet",
            unit_of_measure=datatypes.UnitOfMeasureType(unit=UNITS[unit]) if unit else None)
            for measurand, phase, value, unit in rows]
        if not sampled:  # a MeterValue needs at least one sample
            sampled = [datatypes.SampledValueType(value=0.0, context=context)]
        return datatypes.MeterValueType(timestamp=self.now_iso(), sampled_value=sampled)

    def meter_values_request(self, conn: Connector, context: str) -> Any:
        measurands = list(self.settings["aligned_measurands" if context == "Sample.Clock"
                                        else "sampled_measurands"])
        return call.MeterValues(evse_id=conn.number,
                                meter_value=[self._meter_value(conn, measurands, context)])

    # --- transactions --------------------------------------------------------------------------
    def _event(self, conn: Connector, local_id: str, data: dict, event_type: str, trigger: str,
               meter: list | None = None, state: str | None = None,
               stopped_reason: str | None = None, with_token: bool = False) -> None:
        seq = int(data.get("seq_no", 0))
        data["seq_no"] = seq + 1
        info = datatypes.TransactionType(
            transaction_id=local_id, charging_state=state, stopped_reason=stopped_reason,
            remote_start_id=data.get("remote_start_id") if event_type == "Started" else None)
        message = call.TransactionEvent(
            event_type=event_type, timestamp=self.now_iso(), trigger_reason=trigger, seq_no=seq,
            transaction_info=info, meter_value=meter, offline=True if not self.online else None,
            reservation_id=data.get("reservation_id") if event_type == "Started" else None,
            evse=datatypes.EVSEType(id=conn.number, connector_id=1),
            id_token=self._id_token(data["id_token"], data.get("token_type"))
            if with_token and data.get("id_token") else None)
        self.enqueue_transaction_message(message, local_id, tx_update=(local_id, data))

    def transaction_started(self, conn: Connector, local_id: str, data: dict) -> None:
        state = CHARGING_STATES.get(conn.state, "EVConnected")
        data["charging_state"] = state
        begin = [("Energy.Active.Import.Register", None, round(data["meter_start_wh"], 1), "Wh")]
        trigger = "RemoteStart" if data.get("remote_start_id") is not None else "Authorized"
        self._event(conn, local_id, data, "Started", trigger,
                    meter=[self._meter_value(None, [], "Transaction.Begin", begin)],
                    state=state, with_token=True)

    def charging_state_changed(self, conn: Connector) -> None:
        if conn.tx is None or conn.ending:  # an ending transaction reports no more changes
            return
        state = CHARGING_STATES.get(conn.state)
        if state is None or state == conn.tx_data.get("charging_state"):
            return
        conn.tx_data["charging_state"] = state
        self._event(conn, conn.tx, conn.tx_data, "Updated", "ChargingStateChanged", state=state)

    def transaction_meter_values(self, conn: Connector, local_id: str, data: dict,
                                 context: str) -> None:
        measurands = list(self.settings["aligned_measurands" if context == "Sample.Clock"
                                        else "sampled_measurands"])
        trigger = {"Sample.Clock": "MeterValueClock", "Trigger": "Trigger"}.get(
            context, "MeterValuePeriodic")
        self._event(conn, local_id, data, "Updated", trigger,
                    meter=[self._meter_value(conn, measurands, context)])

    def transaction_finished(self, conn: Connector, local_id: str, data: dict, reason: str,
                             recovered: bool) -> None:
        stopped = {"SoftReset": "Reboot", "HardReset": "ImmediateReset",
                   "UnlockCommand": "Other"}.get(reason, reason)
        if stopped not in REASONS:
            stopped = "Other"
        trigger = "AbnormalCondition" if recovered else TRIGGERS.get(reason, "AbnormalCondition")
        if recovered:
            end = [("Energy.Active.Import.Register", None, round(data["last_wh"], 1), "Wh")]
        else:
            end = self.measurements(conn, list(self.settings["stop_measurands"]) or
                                    ["Energy.Active.Import.Register"])
        state = "Idle" if recovered or not conn.session else "EVConnected"
        self._event(conn, local_id, data, "Ended", trigger,
                    meter=[self._meter_value(None, [], "Transaction.End", end)], state=state,
                    stopped_reason=stopped, with_token=reason == "Local")

    def transaction_result(self, message: QueuedMessage, payload: dict) -> None:
        info = payload.get("idTokenInfo")
        token = (message.payload.get("idToken") or {}).get("idToken")
        if not info or not token:
            return
        if self.settings["cache_enabled"]:
            self.store.set_auth_entry("cache", token, info)
        conn = next((c for c in self.connectors.values() if c.tx == message.tx_ref), None)
        if info.get("status") != "Accepted" and conn is not None:
            self.log("warning", f"the backend refused {token!r} for the transaction "
                     f"({info.get('status')})")
            if self.settings["stop_on_invalid"]:
                self.start(self.transactions.stop(conn, "DeAuthorized"))
            else:
                conn.evse.send("pause_charging")

    def reservation_expired(self, conn: Connector, reservation_id: int) -> None:
        self.notify(call.ReservationStatusUpdate(reservation_id=reservation_id,
                                                 reservation_update_status="Expired"))

    # --- requests from the backend -------------------------------------------------------------
    # Every 2.0.1 request may carry customData: the handlers take it (and ignore it) with **_.
    @on("RequestStartTransaction")
    def on_request_start_transaction(self, id_token: dict, remote_start_id: int,
                                     evse_id: int | None = None,
                                     charging_profile: dict | None = None, **_: Any) -> Any:
        ok = evse_id is None or evse_id in self.connectors
        if charging_profile is not None and \
                charging_profile.get("chargingProfilePurpose") != "TxProfile":
            ok = False
        token = id_token["idToken"]
        if ok:
            self.types201[token] = id_token["type"]
            ok, _ = self.transactions.remote_start(evse_id, token, charging_profile,
                                                   remote_start_id)
        return call_result.RequestStartTransaction(status="Accepted" if ok else "Rejected")

    @on("RequestStopTransaction")
    def on_request_stop_transaction(self, transaction_id: str, **_: Any) -> Any:
        conn = self.transactions.of_transaction(transaction_id)
        return call_result.RequestStopTransaction(status="Rejected" if conn is None
                                                  else "Accepted")

    @after("RequestStopTransaction")
    def after_request_stop_transaction(self, response: Any, transaction_id: str,
                                       **_: Any) -> None:
        conn = self.transactions.of_transaction(transaction_id)
        if response.status == "Accepted" and conn is not None:
            self.start(self.transactions.stop(conn, "Remote"))

    @on("Reset")
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> Any:  # noqa: A002
        if evse_id is not None:
            return call_result.Reset(status="Rejected")  # resetting one EVSE is not supported
        busy = any(c.tx for c in self.connectors.values())
        if type == "OnIdle" and busy:
            self.availability.scheduled_reset = "Reboot"
            return call_result.Reset(status="Scheduled")
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def after_reset(self, response: Any, type: str, **_: Any) -> None:  # noqa: A002
        if response.status == "Accepted":
            kind = "ImmediateReset" if type == "Immediate" else "Reboot"
            self.start(self.availability.reboot(kind))

    @on("ChangeAvailability")
    def on_change_availability(self, operational_status: str, evse: dict | None = None,
                               **_: Any) -> Any:
        evse_id = (evse or {}).get("id")
        if evse_id is not None and evse_id != 0 and evse_id not in self.connectors:
            return call_result.ChangeAvailability(status="Rejected")
        targets = [self.connectors[evse_id]] if evse_id else list(self.connectors.values())
        status = self.availability.change(targets, operational_status == "Operative")
        return call_result.ChangeAvailability(status=status)

    def _variable(self, data: dict) -> tuple[Any, str | None]:
        component, variable = data["component"]["name"], data["variable"]["name"]
        setting = BY_VAR201.get((component, variable))
        if setting is not None:
            return setting, None
        known = any(s.var201 and s.var201[0] == component for s in SETTINGS)
        return None, "UnknownVariable" if known else "UnknownComponent"

    @on("GetVariables")
    def on_get_variables(self, get_variable_data: list[dict], **_: Any) -> Any:
        results = []
        for data in get_variable_data:
            setting, problem = self._variable(data)
            attribute = data.get("attributeType", "Actual")
            value = None
            if problem is None and attribute != "Actual":
                problem = "NotSupportedAttributeType"
            if problem is None:
                value = render(setting, self.settings[setting.name])[:2500]
            results.append(datatypes.GetVariableResultType(
                attribute_status=problem or "Accepted", component=data["component"],
                variable=data["variable"], attribute_type=attribute, attribute_value=value))
        return call_result.GetVariables(get_variable_result=results)

    @on("SetVariables")
    def on_set_variables(self, set_variable_data: list[dict], **_: Any) -> Any:
        results = []
        for data in set_variable_data:
            setting, problem = self._variable(data)
            attribute = data.get("attributeType", "Actual")
            if problem is None and attribute != "Actual":
                problem = "NotSupportedAttributeType"
            if problem is None:
                status = self.change_setting(f"{setting.var201[0]}.{setting.var201[1]}",
                                             data["attributeValue"], by_var=True)
                problem = None if status == "Accepted" else "Rejected"
            results.append(datatypes.SetVariableResultType(
                attribute_status=problem or "Accepted", component=data["component"],
                variable=data["variable"], attribute_type=attribute))
        return call_result.SetVariables(set_variable_result=results)

    @on("UnlockConnector")
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> Generator:
        conn = self.connectors.get(evse_id)
        if conn is None or connector_id != 1:
            return call_result.UnlockConnector(status="UnknownConnector")
        if conn.tx is not None:
            return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        if conn.lock is None:
            return call_result.UnlockConnector(status="UnlockFailed")
        try:
            yield conn.lock.call("unlock")
        except Exception as error:  # noqa: BLE001 - a CommandError of the lock
            self.log("warning", f"unlock failed: {error}")
            return call_result.UnlockConnector(status="UnlockFailed")
        return call_result.UnlockConnector(status="Unlocked")

    @on("ClearCache")
    def on_clear_cache(self, **_: Any) -> Any:
        self.store.clear_auth("cache")
        return call_result.ClearCache(status="Accepted")

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, data: Any = None, **_: Any) -> Any:
        if vendor_id in self.config["data_transfer_vendors"]:
            return call_result.DataTransfer(status="Accepted", data=data)
        return call_result.DataTransfer(status="UnknownVendorId")

    @on("GetTransactionStatus")
    def on_get_transaction_status(self, transaction_id: str | None = None, **_: Any) -> Any:
        pending = [m for m in self.store.pending()
                   if transaction_id is None or m.tx_ref == transaction_id]
        ongoing = None
        if transaction_id is not None:
            ongoing = any(c.tx == transaction_id for c in self.connectors.values())
        return call_result.GetTransactionStatus(messages_in_queue=bool(pending),
                                                ongoing_indicator=ongoing)

    # --- smart charging ------------------------------------------------------------------------
    @on("SetChargingProfile")
    def on_set_charging_profile(self, evse_id: int, charging_profile: dict, **_: Any) -> Any:
        return call_result.SetChargingProfile(status=self.charging.set_profile(charging_profile,
                                                                      evse_id))

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, charging_profile_id: int | None = None,
                                  charging_profile_criteria: dict | None = None,
                                  **_: Any) -> Any:
        criteria = charging_profile_criteria or {}
        purpose = PURPOSES.get(criteria.get("chargingProfilePurpose", ""))
        cleared = self.charging.clear_profiles(lambda prof: matches_clear(
            prof, charging_profile_id, criteria.get("evseId"), purpose,
            criteria.get("stackLevel")))
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(self, duration: int, evse_id: int,
                                  charging_rate_unit: str | None = None, **_: Any) -> Any:
        if evse_id != 0 and evse_id not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "A"
        conn = self.connectors.get(evse_id)
        tx = conn.tx if conn and conn.tx else None
        start = conn.tx_data.get("start_t") if conn and conn.tx else None
        volts, phases = float(self.config["nominal_voltage_v"]), int(self.config["phases"])
        periods = composite(self.charging.profiles, float(self.env.now), duration, evse_id, tx,
                            start, float(self.config["max_current_a"]), volts, phases)
        factor = volts * phases if unit == "W" else 1.0
        schedule = datatypes.CompositeScheduleType(
            evse_id=evse_id, duration=duration, schedule_start=self.now_iso(),
            charging_rate_unit=unit, charging_schedule_period=[
                datatypes.ChargingSchedulePeriodType(start_period=int(round(offset)),
                                                     limit=round(limit * factor, 1))
                for offset, limit in periods])
        return call_result.GetCompositeSchedule(status="Accepted", schedule=schedule)

    # --- remote trigger ------------------------------------------------------------------------
    TRIGGERABLE = {"BootNotification", "Heartbeat", "StatusNotification", "MeterValues",
                   "TransactionEvent", "FirmwareStatusNotification"}

    @on("TriggerMessage")
    def on_trigger_message(self, requested_message: str, evse: dict | None = None,
                           **_: Any) -> Any:
        evse_id = (evse or {}).get("id")
        if evse_id is not None and evse_id not in self.connectors:
            return call_result.TriggerMessage(status="Rejected")
        if requested_message not in self.TRIGGERABLE:
            return call_result.TriggerMessage(status="NotImplemented")
        if requested_message == "BootNotification" and self.registration == "Accepted":
            return call_result.TriggerMessage(status="Rejected")
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def after_trigger_message(self, response: Any, requested_message: str,
                              evse: dict | None = None, **_: Any) -> None:
        if response.status != "Accepted":
            return
        evse_id = (evse or {}).get("id")
        targets = [self.connectors[evse_id]] if evse_id else list(self.connectors.values())
        if requested_message == "BootNotification":
            self.start(self._triggered_boot())
        elif requested_message == "Heartbeat":
            self.notify(self.heartbeat_request())
        elif requested_message == "StatusNotification":
            for conn in targets:
                self.notify(self.status_request(conn, self.connector_status(conn)))
        elif requested_message == "MeterValues":
            for conn in targets:
                self.notify(self.meter_values_request(conn, "Trigger"))
        elif requested_message == "TransactionEvent":
            for conn in targets:
                if conn.tx is not None:
                    self.transaction_meter_values(conn, conn.tx, conn.tx_data, "Trigger")
        elif requested_message == "FirmwareStatusNotification":
            self.notify(call.FirmwareStatusNotification(status="Idle"))

    def _triggered_boot(self) -> Generator:
        self.boot_reason = "Triggered"
        result = yield from self.request(self.boot_request(), boot=True)
        if result and result.get("status") == "Accepted":
            self._registered(result)

    # --- local list ----------------------------------------------------------------------------
    @on("SendLocalList")
    def on_send_local_list(self, version_number: int, update_type: str,
                           local_authorization_list: list[dict] | None = None,
                           **_: Any) -> Any:
        entries = {e["idToken"]["idToken"]: e.get("idTokenInfo")
                   for e in local_authorization_list or []}
        if len(entries) > int(self.settings["send_local_list_max"]):
            return call_result.SendLocalList(status="Failed")
        status = self.authorization.send_local_list(version_number, update_type == "Full", entries)
        return call_result.SendLocalList(status=status)

    @on("GetLocalListVersion")
    def on_get_local_list_version(self, **_: Any) -> Any:
        return call_result.GetLocalListVersion(
            version_number=self.authorization.local_list_version())

    # --- reservations --------------------------------------------------------------------------
    @on("ReserveNow")
    def on_reserve_now(self, id: int, expiry_date_time: str, id_token: dict,  # noqa: A002
                       evse_id: int | None = None, **_: Any) -> Generator:
        conn = self.connectors.get(evse_id)  # a reservation of any EVSE: not supported
        if conn is None:
            return call_result.ReserveNow(status="Rejected")
        try:
            expiry = parse_time(expiry_date_time)
        except ValueError:
            return call_result.ReserveNow(status="Rejected")
        token = id_token["idToken"]
        self.types201[token] = id_token["type"]
        status = yield from self.reservations.reserve(conn, id, token, expiry)
        return call_result.ReserveNow(status=status)

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Generator:
        cancelled = yield from self.reservations.cancel(reservation_id)
        return call_result.CancelReservation(status="Accepted" if cancelled else "Rejected")
