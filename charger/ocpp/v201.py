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
                self.start(self.stop_transaction(conn, "DeAuthorized"))
            else:
                conn.evse.send("pause_charging")

    def reservation_expired(self, conn: Connector, reservation_id: int) -> None:
        self.notify(call.ReservationStatusUpdate(reservation_id=reservation_id,
                                                 reservation_update_status="Expired"))

    # --- requests from the backend -------------------------------------------------------------
    def on_RequestStartTransaction(self, p: dict) -> Any:
        evse = p.get("evseId")
        profile = p.get("chargingProfile")
        ok = evse is None or evse in self.connectors
        if profile is not None and profile.get("chargingProfilePurpose") != "TxProfile":
            ok = False
        token = p["idToken"]["idToken"]
        if ok:
            self.types201[token] = p["idToken"]["type"]
            ok, _ = self.remote_start(evse, token, profile, p["remoteStartId"])
        return call_result.RequestStartTransaction(status="Accepted" if ok else "Rejected")

    def on_RequestStopTransaction(self, p: dict) -> Any:
        conn = self.connector_of_transaction(p["transactionId"])
        if conn is None:
            return call_result.RequestStopTransaction(status="Rejected")
        return (call_result.RequestStopTransaction(status="Accepted"),
                lambda: self.start(self.stop_transaction(conn, "Remote")))

    def on_Reset(self, p: dict) -> Any:
        if p.get("evseId") is not None:
            return call_result.Reset(status="Rejected")  # resetting one EVSE is not supported
        busy = any(c.tx for c in self.connectors.values())
        if p["type"] == "OnIdle" and busy:
            self.scheduled_reset = "Reboot"
            return call_result.Reset(status="Scheduled")
        kind = "ImmediateReset" if p["type"] == "Immediate" else "Reboot"
        return call_result.Reset(status="Accepted"), lambda: self.start(self.reboot(kind))

    def on_ChangeAvailability(self, p: dict) -> Any:
        evse = (p.get("evse") or {}).get("id")
        if evse is not None and evse != 0 and evse not in self.connectors:
            return call_result.ChangeAvailability(status="Rejected")
        targets = [self.connectors[evse]] if evse else list(self.connectors.values())
        status = self.change_availability(targets, p["operationalStatus"] == "Operative")
        return call_result.ChangeAvailability(status=status)

    def _variable(self, data: dict) -> tuple[Any, str | None]:
        component, variable = data["component"]["name"], data["variable"]["name"]
        setting = BY_VAR201.get((component, variable))
        if setting is not None:
            return setting, None
        known = any(s.var201 and s.var201[0] == component for s in SETTINGS)
        return None, "UnknownVariable" if known else "UnknownComponent"

    def on_GetVariables(self, p: dict) -> Any:
        results = []
        for data in p["getVariableData"]:
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

    def on_SetVariables(self, p: dict) -> Any:
        results = []
        for data in p["setVariableData"]:
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

    def on_UnlockConnector(self, p: dict) -> Generator:
        conn = self.connectors.get(p["evseId"])
        if conn is None or p["connectorId"] != 1:
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

    def on_ClearCache(self, p: dict) -> Any:
        self.store.clear_auth("cache")
        return call_result.ClearCache(status="Accepted")

    def on_DataTransfer(self, p: dict) -> Any:
        if p["vendorId"] in self.config["data_transfer_vendors"]:
            return call_result.DataTransfer(status="Accepted", data=p.get("data"))
        return call_result.DataTransfer(status="UnknownVendorId")

    def on_GetTransactionStatus(self, p: dict) -> Any:
        tx = p.get("transactionId")
        pending = [m for m in self.store.pending() if tx is None or m.tx_ref == tx]
        ongoing = None
        if tx is not None:
            ongoing = any(c.tx == tx for c in self.connectors.values())
        return call_result.GetTransactionStatus(messages_in_queue=bool(pending),
                                                ongoing_indicator=ongoing)

    # --- smart charging ------------------------------------------------------------------------
    def on_SetChargingProfile(self, p: dict) -> Any:
        return call_result.SetChargingProfile(status=self.set_profile(p["chargingProfile"],
                                                                      p["evseId"]))

    def on_ClearChargingProfile(self, p: dict) -> Any:
        criteria = p.get("chargingProfileCriteria") or {}
        purpose = PURPOSES.get(criteria.get("chargingProfilePurpose", ""))
        cleared = self.clear_profiles(lambda prof: matches_clear(
            prof, p.get("chargingProfileId"), criteria.get("evseId"), purpose,
            criteria.get("stackLevel")))
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    def on_GetCompositeSchedule(self, p: dict) -> Any:
        evse = p["evseId"]
        if evse != 0 and evse not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = p.get("chargingRateUnit") or "A"
        conn = self.connectors.get(evse)
        tx = conn.tx if conn and conn.tx else None
        start = conn.tx_data.get("start_t") if conn and conn.tx else None
        volts, phases = float(self.config["nominal_voltage_v"]), int(self.config["phases"])
        periods = composite(self.profiles, float(self.env.now), p["duration"], evse, tx, start,
                            float(self.config["max_current_a"]), volts, phases)
        factor = volts * phases if unit == "W" else 1.0
        schedule = datatypes.CompositeScheduleType(
            evse_id=evse, duration=p["duration"], schedule_start=self.now_iso(),
            charging_rate_unit=unit, charging_schedule_period=[
                datatypes.ChargingSchedulePeriodType(start_period=int(round(offset)),
                                                     limit=round(limit * factor, 1))
                for offset, limit in periods])
        return call_result.GetCompositeSchedule(status="Accepted", schedule=schedule)

    # --- remote trigger ------------------------------------------------------------------------
    def on_TriggerMessage(self, p: dict) -> Any:
        requested = p["requestedMessage"]
        evse = (p.get("evse") or {}).get("id")
        if evse is not None and evse not in self.connectors:
            return call_result.TriggerMessage(status="Rejected")
        targets = [self.connectors[evse]] if evse else list(self.connectors.values())
        if requested == "BootNotification":
            if self.registration == "Accepted":
                return call_result.TriggerMessage(status="Rejected")
            after = lambda: self.start(self._triggered_boot())  # noqa: E731
        elif requested == "Heartbeat":
            after = lambda: self.notify(self.heartbeat_request())  # noqa: E731
        elif requested == "StatusNotification":
            def after() -> None:
                for conn in targets:
                    self.notify(self.status_request(conn, self.connector_status(conn)))
        elif requested == "MeterValues":
            def after() -> None:
                for conn in targets:
                    self.notify(self.meter_values_request(conn, "Trigger"))
        elif requested == "TransactionEvent":
            def after() -> None:
                for conn in targets:
                    if conn.tx is not None:
                        self.transaction_meter_values(conn, conn.tx, conn.tx_data, "Trigger")
        elif requested == "FirmwareStatusNotification":
            after = lambda: self.notify(call.FirmwareStatusNotification(  # noqa: E731
                status="Idle"))
        else:
            return call_result.TriggerMessage(status="NotImplemented")
        return call_result.TriggerMessage(status="Accepted"), after

    def _triggered_boot(self) -> Generator:
        self.boot_reason = "Triggered"
        result = yield from self.request(self.boot_request(), boot=True)
        if result and result.get("status") == "Accepted":
            self._registered(result)

    # --- local list ----------------------------------------------------------------------------
    def on_SendLocalList(self, p: dict) -> Any:
        entries = {e["idToken"]["idToken"]: e.get("idTokenInfo")
                   for e in p.get("localAuthorizationList", [])}
        if len(entries) > int(self.settings["send_local_list_max"]):
            return call_result.SendLocalList(status="Failed")
        status = self.send_local_list(p["versionNumber"], p["updateType"] == "Full", entries)
        return call_result.SendLocalList(status=status)

    def on_GetLocalListVersion(self, p: dict) -> Any:
        return call_result.GetLocalListVersion(version_number=self.local_list_version())

    # --- reservations --------------------------------------------------------------------------
    def on_ReserveNow(self, p: dict) -> Generator:
        conn = self.connectors.get(p.get("evseId"))  # a reservation of any EVSE: not supported
        if conn is None:
            return call_result.ReserveNow(status="Rejected")
        try:
            expiry = parse_time(p["expiryDateTime"])
        except ValueError:
            return call_result.ReserveNow(status="Rejected")
        token = p["idToken"]["idToken"]
        self.types201[token] = p["idToken"]["type"]
        status = yield from self.reserve(conn, p["id"], token, expiry)
        return call_result.ReserveNow(status=status)

    def on_CancelReservation(self, p: dict) -> Generator:
        cancelled = yield from self.cancel_reservation(p["reservationId"])
        return call_result.CancelReservation(status="Accepted" if cancelled else "Rejected")
