"""Ocpp16: an OCPP 1.6J charge point (Core, Smart Charging, Remote Trigger, Local Auth List,
Reservation, and simulated Firmware Management basics).

Messages are the ``ocpp.v16`` dataclasses; requests from the backend are served by the
``on_<Action>`` methods (their payloads already checked against the package's schemas).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ocpp.v16 import call, call_result, datatypes

from charger.ocpp.base import Connector, OcppChargePoint
from charger.ocpp.settings import SETTINGS, render
from charger.ocpp.smart_charging import PURPOSES, composite, matches_clear, parse_time
from charger.ocpp.store import QueuedMessage

STATUS_16 = {"Idle": "Available", "WaitingForAuthentication": "Preparing",
             "PrepareCharging": "SuspendedEV", "Charging": "Charging",
             "ChargingPausedEV": "SuspendedEV", "ChargingPausedEVSE": "SuspendedEVSE",
             "Finished": "Finishing", "Error": "Faulted", "Disabled": "Unavailable",
             "Reserved": "Reserved"}
ERROR_CODES = {"RCDTrip": "GroundFailure", "DiodeFault": "EVCommunicationError",
               "PilotFault": "EVCommunicationError", "ConnectorLockFailedLock":
               "ConnectorLockFailure", "ConnectorLockFailedUnlock": "ConnectorLockFailure"}
REASONS_16 = {"EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss",
              "Reboot", "Remote", "SoftReset", "UnlockCommand", "DeAuthorized"}
UPLOAD_SCHEMES = ("ftp://", "ftps://", "sftp://", "http://", "https://")
MAX_ID_TAG = 20


class Ocpp16(OcppChargePoint):
    VERSION = "1.6"

    def init_version(self) -> None:
        self.diagnostics_status = "Idle"
        self.firmware_status = "Idle"

    # --- messages to the backend ---------------------------------------------------------------
    def boot_request(self) -> Any:
        cfg = self.config
        return call.BootNotification(
            charge_point_model=cfg["model"], charge_point_vendor=cfg["vendor"],
            charge_point_serial_number=cfg["serial_number"] or None,
            firmware_version=cfg["firmware_version"] or None)

    def heartbeat_request(self) -> Any:
        return call.Heartbeat()

    def connector_status(self, conn: Connector) -> str:
        if conn.faults:
            return "Faulted"
        if not conn.operative:
            return "Unavailable"
        status = STATUS_16.get(conn.state, "Available")
        if status == "Available" and conn.reservation:
            return "Reserved"
        if status == "SuspendedEV" and conn.tx is None:
            return "Preparing"
        return status

    def status_request(self, conn: Connector, status: str) -> Any:
        code = "NoError"
        if conn.faults:
            code = ERROR_CODES.get(sorted(conn.faults)[0], "OtherError")
        info = ",".join(sorted(conn.faults)) or None
        return call.StatusNotification(connector_id=conn.number, error_code=code, status=status,
                                       timestamp=self.now_iso(), info=info)

    def station_status(self) -> None:
        operative = any(c.operative for c in self.connectors.values())
        self.notify(call.StatusNotification(
            connector_id=0, error_code="NoError",
            status="Available" if operative else "Unavailable", timestamp=self.now_iso()))

    def authorize_with_backend(self, provided_token: dict) -> Generator[Any, Any, dict | None]:
        token = provided_token["id_token"]
        if len(token) > MAX_ID_TAG:
            return {"status": "Invalid"}
        result = yield from self.request(call.Authorize(id_tag=token))
        return result.get("idTagInfo") if result else None

    def data_transfer_request(self, vendor_id: str, message_id: str, data: str) -> Any:
        return call.DataTransfer(vendor_id=vendor_id, message_id=message_id or None,
                                 data=data or None)

    def _sampled(self, conn: Connector | None, measurands: list[str], context: str,
                 values: list[tuple] | None = None) -> list[datatypes.SampledValue]:
        rows = values if values is not None else \
            (self.measurements(conn, measurands) if conn else [])
        return [datatypes.SampledValue(value=f"{value:g}", context=context, measurand=measurand,
                                       phase=phase, location="Outlet", unit=unit)
                for measurand, phase, value, unit in rows]

    def meter_values_request(self, conn: Connector, context: str) -> Any:
        measurands = list(self.settings["aligned_measurands" if context == "Sample.Clock"
                                        else "sampled_measurands"])
        return call.MeterValues(connector_id=conn.number, meter_value=[datatypes.MeterValue(
            timestamp=self.now_iso(), sampled_value=self._sampled(conn, measurands, context))])

    # --- transactions --------------------------------------------------------------------------
    def transaction_started(self, conn: Connector, local_id: str, data: dict) -> None:
        self.enqueue_transaction_message(call.StartTransaction(
            connector_id=conn.number, id_tag=data["id_token"][:MAX_ID_TAG] or "-",
            meter_start=int(round(data["meter_start_wh"])), timestamp=data["start_ts"],
            reservation_id=data.get("reservation_id")), local_id)

    def transaction_meter_values(self, conn: Connector, local_id: str, data: dict,
                                 context: str) -> None:
        measurands = list(self.settings["aligned_measurands" if context == "Sample.Clock"
                                        else "sampled_measurands"])
        message = call.MeterValues(
            connector_id=conn.number, transaction_id=0,  # the backend's id is filled in at send
            meter_value=[datatypes.MeterValue(timestamp=self.now_iso(), sampled_value=self._sampled(
                conn, measurands, context))])
        self.enqueue_transaction_message(message, local_id, tx_update=(local_id, data))

    def transaction_finished(self, conn: Connector, local_id: str, data: dict, reason: str,
                             recovered: bool) -> None:
        reason = {"ImmediateReset": "HardReset", "OnIdle": "SoftReset"}.get(reason, reason)
        if reason not in REASONS_16:
            reason = "Other"
        stop_data = None
        if self.settings["stop_measurands"]:
            begin = [("Energy.Active.Import.Register", None,
                      round(data["meter_start_wh"], 1), "Wh")]
            end = [("Energy.Active.Import.Register", None, round(data["last_wh"], 1), "Wh")]
            if not recovered:
                end = self.measurements(conn, list(self.settings["stop_measurands"]))
            stop_data = [
                datatypes.MeterValue(timestamp=data["start_ts"], sampled_value=self._sampled(
                    None, [], "Transaction.Begin", begin)),
                datatypes.MeterValue(timestamp=data["last_ts"], sampled_value=self._sampled(
                    None, [], "Transaction.End", end))]
        self.enqueue_transaction_message(call.StopTransaction(
            meter_stop=int(round(data["last_wh"])), timestamp=data["last_ts"], transaction_id=0,
            reason=reason, id_tag=(data["id_token"][:MAX_ID_TAG] or None)
            if reason == "Local" else None, transaction_data=stop_data), local_id)

    def materialize(self, message: QueuedMessage) -> dict | None:
        payload = dict(message.payload)
        if message.action in ("MeterValues", "StopTransaction") and message.tx_ref:
            tx = self.store.transaction(message.tx_ref)
            if tx is None or tx.server_id is None:
                return None
            payload["transactionId"] = int(tx.server_id)
        return payload

    def transaction_result(self, message: QueuedMessage, payload: dict) -> None:
        info = payload.get("idTagInfo")
        token = message.payload.get("idTag")
        if info and token and self.settings["cache_enabled"]:
            self.store.set_auth_entry("cache", token, info)
        if message.action != "StartTransaction" or not message.tx_ref:
            return
        self.store.set_server_id(message.tx_ref, str(payload["transactionId"]))
        self._update_limits()
        status = (info or {}).get("status", "Accepted")
        conn = next((c for c in self.connectors.values() if c.tx == message.tx_ref), None)
        if status != "Accepted" and conn is not None:
            self.log("warning", f"the backend refused {token!r} for the transaction ({status})")
            if self.settings["stop_on_invalid"]:
                self.start(self.stop_transaction(conn, "DeAuthorized"))
            else:
                conn.evse.send("pause_charging")

    def backend_transaction_id(self, local_id: str | None) -> str | None:
        if local_id is None:
            return None
        tx = self.store.transaction(local_id)
        return tx.server_id if tx else None

    # --- requests from the backend: Core -------------------------------------------------------
    def on_RemoteStartTransaction(self, p: dict) -> Any:
        connector = p.get("connectorId")
        profile = p.get("chargingProfile")
        ok = connector != 0 and (connector is None or connector in self.connectors)
        if profile is not None and profile.get("chargingProfilePurpose") != "TxProfile":
            ok = False
        if ok:
            ok, _ = self.remote_start(connector, p["idTag"], profile)
        return call_result.RemoteStartTransaction(status="Accepted" if ok else "Rejected")

    def on_RemoteStopTransaction(self, p: dict) -> Any:
        conn = self.connector_of_transaction(str(p["transactionId"]))
        if conn is None:
            return call_result.RemoteStopTransaction(status="Rejected")
        return (call_result.RemoteStopTransaction(status="Accepted"),
                lambda: self.start(self.stop_transaction(conn, "Remote")))

    def on_Reset(self, p: dict) -> Any:
        kind = "HardReset" if p["type"] == "Hard" else "SoftReset"
        return call_result.Reset(status="Accepted"), lambda: self.start(self.reboot(kind))

    def on_ChangeAvailability(self, p: dict) -> Any:
        connector = p["connectorId"]
        if connector != 0 and connector not in self.connectors:
            return call_result.ChangeAvailability(status="Rejected")
        targets = list(self.connectors.values()) if connector == 0 \
            else [self.connectors[connector]]
        status = self.change_availability(targets, p["type"] == "Operative")
        after = self.station_status if connector == 0 and self.online else None
        return call_result.ChangeAvailability(status=status), after

    def on_ChangeConfiguration(self, p: dict) -> Any:
        return call_result.ChangeConfiguration(status=self.change_setting(p["key"], p["value"]))

    def on_GetConfiguration(self, p: dict) -> Any:
        keys = p.get("key") or [s.key16 for s in SETTINGS if s.key16]
        known, unknown = [], []
        for key in keys:
            setting = next((s for s in SETTINGS if s.key16 == key), None)
            if setting is None:
                unknown.append(key)
            else:
                known.append(datatypes.KeyValue(key=key, readonly=setting.readonly,
                                                value=render(setting,
                                                             self.settings[setting.name])[:500]))
        return call_result.GetConfiguration(configuration_key=known or None,
                                            unknown_key=unknown or None)

    def on_UnlockConnector(self, p: dict) -> Generator:
        conn = self.connectors.get(p["connectorId"])
        if conn is None or conn.lock is None:
            return call_result.UnlockConnector(status="NotSupported")
        if conn.tx is not None:
            yield from self.stop_transaction(conn, "UnlockCommand")
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

    # --- Smart Charging ------------------------------------------------------------------------
    def on_SetChargingProfile(self, p: dict) -> Any:
        connector = p["connectorId"]
        return call_result.SetChargingProfile(status=self.set_profile(p["csChargingProfiles"],
                                                                      connector))

    def on_ClearChargingProfile(self, p: dict) -> Any:
        purpose = PURPOSES.get(p.get("chargingProfilePurpose", ""))
        cleared = self.clear_profiles(lambda prof: matches_clear(
            prof, p.get("id"), p.get("connectorId"), purpose, p.get("stackLevel")))
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    def on_GetCompositeSchedule(self, p: dict) -> Any:
        connector = p["connectorId"]
        if connector != 0 and connector not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = p.get("chargingRateUnit") or "A"
        conn = self.connectors.get(connector)
        tx = self.backend_transaction_id(conn.tx) if conn and conn.tx else None
        start = conn.tx_data.get("start_t") if conn and conn.tx else None
        volts, phases = float(self.config["nominal_voltage_v"]), int(self.config["phases"])
        periods = composite(self.profiles, float(self.env.now), p["duration"], connector, tx,
                            start, float(self.config["max_current_a"]), volts, phases)
        factor = volts * phases if unit == "W" else 1.0
        schedule = datatypes.ChargingSchedule(
            charging_rate_unit=unit, duration=p["duration"], start_schedule=self.now_iso(),
            charging_schedule_period=[datatypes.ChargingSchedulePeriod(
                start_period=int(round(offset)), limit=round(limit * factor, 1))
                for offset, limit in periods])
        return call_result.GetCompositeSchedule(status="Accepted", connector_id=connector,
                                                schedule_start=self.now_iso(),
                                                charging_schedule=schedule)

    # --- Remote Trigger ------------------------------------------------------------------------
    def on_TriggerMessage(self, p: dict) -> Any:
        requested, connector = p["requestedMessage"], p.get("connectorId")
        if connector is not None and connector != 0 and connector not in self.connectors:
            return call_result.TriggerMessage(status="Rejected")
        targets = [self.connectors[connector]] if connector else list(self.connectors.values())
        if requested == "BootNotification":
            after = lambda: self.start(self._triggered_boot())  # noqa: E731
        elif requested == "Heartbeat":
            after = lambda: self.notify(self.heartbeat_request())  # noqa: E731
        elif requested == "StatusNotification":
            def after() -> None:
                if not connector:
                    self.station_status()
                for conn in targets:
                    self.notify(self.status_request(conn, self.connector_status(conn)))
        elif requested == "MeterValues":
            def after() -> None:
                for conn in targets:
                    if conn.tx is not None:
                        self.transaction_meter_values(conn, conn.tx, conn.tx_data, "Trigger")
                    else:
                        self.notify(self.meter_values_request(conn, "Trigger"))
        elif requested == "DiagnosticsStatusNotification":
            after = lambda: self.notify(call.DiagnosticsStatusNotification(  # noqa: E731
                status=self.diagnostics_status))
        elif requested == "FirmwareStatusNotification":
            after = lambda: self.notify(call.FirmwareStatusNotification(  # noqa: E731
                status=self.firmware_status))
        else:
            return call_result.TriggerMessage(status="NotImplemented")
        return call_result.TriggerMessage(status="Accepted"), after

    def _triggered_boot(self) -> Generator:
        result = yield from self.request(self.boot_request(), boot=True)
        if result and result.get("status") == "Accepted":
            self._registered(result)

    # --- Local Auth List -----------------------------------------------------------------------
    def on_SendLocalList(self, p: dict) -> Any:
        entries = {e["idTag"]: e.get("idTagInfo") for e in p.get("localAuthorizationList", [])}
        if len(entries) > int(self.settings["send_local_list_max"]):
            return call_result.SendLocalList(status="Failed")
        status = self.send_local_list(p["listVersion"], p["updateType"] == "Full", entries)
        return call_result.SendLocalList(status=status)

    def on_GetLocalListVersion(self, p: dict) -> Any:
        version = self.local_list_version() if self.settings["local_list_enabled"] else -1
        return call_result.GetLocalListVersion(list_version=version)

    # --- Reservation ---------------------------------------------------------------------------
    def on_ReserveNow(self, p: dict) -> Generator:
        conn = self.connectors.get(p["connectorId"])
        if conn is None:  # connector 0 (any connector) is not supported
            return call_result.ReserveNow(status="Rejected")
        try:
            expiry = parse_time(p["expiryDate"])
        except ValueError:
            return call_result.ReserveNow(status="Rejected")
        status = yield from self.reserve(conn, p["reservationId"], p["idTag"], expiry)
        return call_result.ReserveNow(status=status)

    def on_CancelReservation(self, p: dict) -> Generator:
        cancelled = yield from self.cancel_reservation(p["reservationId"])
        return call_result.CancelReservation(status="Accepted" if cancelled else "Rejected")

    # --- Firmware Management (simulated: nothing is uploaded or installed) ---------------------
    def on_GetDiagnostics(self, p: dict) -> Any:
        name = f"diagnostics-{self.config['charge_point_id']}-{self.boot}.log"
        ok = p["location"].startswith(UPLOAD_SCHEMES)
        return call_result.GetDiagnostics(file_name=name), \
            lambda: self.start(self._upload(ok))

    def _upload(self, ok: bool) -> Generator:
        for status, delay in (("Uploading", 0.0), ("Uploaded" if ok else "UploadFailed", 2.0)):
            yield self.env.timeout(delay)
            self.diagnostics_status = status
            self.notify(call.DiagnosticsStatusNotification(status=status))

    def on_UpdateFirmware(self, p: dict) -> Any:
        try:
            at = self.to_sim(parse_time(p["retrieveDate"]))
        except ValueError:
            at = float(self.env.now)
        return call_result.UpdateFirmware(), lambda: self.start(self._update_firmware(at))

    def _update_firmware(self, at: float) -> Generator:
        yield self.env.timeout(max(0.0, at - float(self.env.now)))
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            self.firmware_status = status
            self.notify(call.FirmwareStatusNotification(status=status))
            yield self.env.timeout(2.0)
