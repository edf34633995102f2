"""Ocpp16: an OCPP 1.6J charge point (Core, Smart Charging, Remote Trigger, Local Auth List,
Reservation, and simulated Firmware Management basics).

Messages are the ``ocpp.v16`` dataclasses; requests from the backend are served by the methods
marked ``@on(action)`` (arguments in snake_case, payloads already checked against the package's
schemas), with ``@after(action)`` for what follows the reply.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from ocpp.v16 import call, call_result, datatypes

from charger.ocpp.base import Connector, OcppChargePoint
from charger.ocpp.endpoint import after, on
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
        self.charging.update()
        status = (info or {}).get("status", "Accepted")
        conn = next((c for c in self.connectors.values() if c.tx == message.tx_ref), None)
        if status != "Accepted" and conn is not None:
            self.log("warning", f"the backend refused {token!r} for the transaction ({status})")
            if self.settings["stop_on_invalid"]:
                self.start(self.transactions.stop(conn, "DeAuthorized"))
            else:
                conn.evse.send("pause_charging")

    def backend_transaction_id(self, local_id: str | None) -> str | None:
        if local_id is None:
            return None
        tx = self.store.transaction(local_id)
        return tx.server_id if tx else None

    # --- requests from the backend: Core -------------------------------------------------------
    @on("RemoteStartTransaction")
    def on_remote_start_transaction(self, id_tag: str, connector_id: int | None = None,
                                    charging_profile: dict | None = None) -> Any:
        ok = connector_id != 0 and (connector_id is None or connector_id in self.connectors)
        if charging_profile is not None and \
                charging_profile.get("chargingProfilePurpose") != "TxProfile":
            ok = False
        if ok:
            ok, _ = self.transactions.remote_start(connector_id, id_tag, charging_profile)
        return call_result.RemoteStartTransaction(status="Accepted" if ok else "Rejected")

    @on("RemoteStopTransaction")
    def on_remote_stop_transaction(self, transaction_id: int) -> Any:
        conn = self.transactions.of_transaction(str(transaction_id))
        return call_result.RemoteStopTransaction(status="Rejected" if conn is None
                                                 else "Accepted")

    @after("RemoteStopTransaction")
    def after_remote_stop_transaction(self, response: Any, transaction_id: int) -> None:
        conn = self.transactions.of_transaction(str(transaction_id))
        if response.status == "Accepted" and conn is not None:
            self.start(self.transactions.stop(conn, "Remote"))

    @on("Reset")
    def on_reset(self, type: str) -> Any:  # noqa: A002 - the field's name
        return call_result.Reset(status="Accepted")

    @after("Reset")
    def after_reset(self, response: Any, type: str) -> None:  # noqa: A002
        self.start(self.availability.reboot("HardReset" if type == "Hard" else "SoftReset"))

    @on("ChangeAvailability")
    def on_change_availability(self, connector_id: int, type: str) -> Any:  # noqa: A002
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.ChangeAvailability(status="Rejected")
        targets = list(self.connectors.values()) if connector_id == 0 \
            else [self.connectors[connector_id]]
        status = self.availability.change(targets, type == "Operative")
        return call_result.ChangeAvailability(status=status)

    @after("ChangeAvailability")
    def after_change_availability(self, response: Any, connector_id: int, **_: Any) -> None:
        if connector_id == 0 and self.online and response.status != "Rejected":
            self.station_status()

    @on("ChangeConfiguration")
    def on_change_configuration(self, key: str, value: str) -> Any:
        return call_result.ChangeConfiguration(status=self.change_setting(key, value))

    @on("GetConfiguration")
    def on_get_configuration(self, key: list[str] | None = None) -> Any:
        keys = key or [s.key16 for s in SETTINGS if s.key16]
        known, unknown = [], []
        for name in keys:
            setting = next((s for s in SETTINGS if s.key16 == name), None)
            if setting is None:
                unknown.append(name)
            else:
                known.append(datatypes.KeyValue(key=name, readonly=setting.readonly,
                                                value=render(setting,
                                                             self.settings[setting.name])[:500]))
        return call_result.GetConfiguration(configuration_key=known or None,
                                            unknown_key=unknown or None)

    @on("UnlockConnector")
    def on_unlock_connector(self, connector_id: int) -> Generator:
        conn = self.connectors.get(connector_id)
        if conn is None or conn.lock is None:
            return call_result.UnlockConnector(status="NotSupported")
        if conn.tx is not None:
            yield from self.transactions.stop(conn, "UnlockCommand")
        try:
            yield conn.lock.call("unlock")
        except Exception as error:  # noqa: BLE001 - a CommandError of the lock
            self.log("warning", f"unlock failed: {error}")
            return call_result.UnlockConnector(status="UnlockFailed")
        return call_result.UnlockConnector(status="Unlocked")

    @on("ClearCache")
    def on_clear_cache(self) -> Any:
        self.store.clear_auth("cache")
        return call_result.ClearCache(status="Accepted")

    @on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, message_id: str | None = None,
                         data: str | None = None) -> Any:
        if vendor_id in self.config["data_transfer_vendors"]:
            return call_result.DataTransfer(status="Accepted", data=data)
        return call_result.DataTransfer(status="UnknownVendorId")

    # --- Smart Charging ------------------------------------------------------------------------
    @on("SetChargingProfile")
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict) -> Any:
        return call_result.SetChargingProfile(status=self.charging.set_profile(cs_charging_profiles,
                                                                      connector_id))

    @on("ClearChargingProfile")
    def on_clear_charging_profile(self, id: int | None = None,  # noqa: A002
                                  connector_id: int | None = None,
                                  charging_profile_purpose: str | None = None,
                                  stack_level: int | None = None) -> Any:
        purpose = PURPOSES.get(charging_profile_purpose or "")
        cleared = self.charging.clear_profiles(lambda prof: matches_clear(
            prof, id, connector_id, purpose, stack_level))
        return call_result.ClearChargingProfile(status="Accepted" if cleared else "Unknown")

    @on("GetCompositeSchedule")
    def on_get_composite_schedule(self, connector_id: int, duration: int,
                                  charging_rate_unit: str | None = None) -> Any:
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "A"
        conn = self.connectors.get(connector_id)
        tx = self.backend_transaction_id(conn.tx) if conn and conn.tx else None
        start = conn.tx_data.get("start_t") if conn and conn.tx else None
        volts, phases = float(self.config["nominal_voltage_v"]), int(self.config["phases"])
        periods = composite(self.charging.profiles, float(self.env.now), duration, connector_id, tx,
                            start, float(self.config["max_current_a"]), volts, phases)
        factor = volts * phases if unit == "W" else 1.0
        schedule = datatypes.ChargingSchedule(
            charging_rate_unit=unit, duration=duration, start_schedule=self.now_iso(),
            charging_schedule_period=[datatypes.ChargingSchedulePeriod(
                start_period=int(round(offset)), limit=round(limit * factor, 1))
                for offset, limit in periods])
        return call_result.GetCompositeSchedule(status="Accepted", connector_id=connector_id,
                                                schedule_start=self.now_iso(),
                                                charging_schedule=schedule)

    # --- Remote Trigger ------------------------------------------------------------------------
    TRIGGERABLE = {"BootNotification", "Heartbeat", "StatusNotification", "MeterValues",
                   "DiagnosticsStatusNotification", "FirmwareStatusNotification"}

    @on("TriggerMessage")
    def on_trigger_message(self, requested_message: str,
                           connector_id: int | None = None) -> Any:
        if connector_id is not None and connector_id != 0 and \
                connector_id not in self.connectors:
            return call_result.TriggerMessage(status="Rejected")
        if requested_message not in self.TRIGGERABLE:
            return call_result.TriggerMessage(status="NotImplemented")
        return call_result.TriggerMessage(status="Accepted")

    @after("TriggerMessage")
    def after_trigger_message(self, response: Any, requested_message: str,
                              connector_id: int | None = None) -> None:
        if response.status != "Accepted":
            return
        targets = [self.connectors[connector_id]] if connector_id \
            else list(self.connectors.values())
        if requested_message == "BootNotification":
            self.start(self._triggered_boot())
        elif requested_message == "Heartbeat":
            self.notify(self.heartbeat_request())
        elif requested_message == "StatusNotification":
            if not connector_id:
                self.station_status()
            for conn in targets:
                self.notify(self.status_request(conn, self.connector_status(conn)))
        elif requested_message == "MeterValues":
            for conn in targets:
                if conn.tx is not None:
                    self.transaction_meter_values(conn, conn.tx, conn.tx_data, "Trigger")
                else:
                    self.notify(self.meter_values_request(conn, "Trigger"))
        elif requested_message == "DiagnosticsStatusNotification":
            self.notify(call.DiagnosticsStatusNotification(status=self.diagnostics_status))
        elif requested_message == "FirmwareStatusNotification":
            self.notify(call.FirmwareStatusNotification(status=self.firmware_status))

    def _triggered_boot(self) -> Generator:
        result = yield from self.request(self.boot_request(), boot=True)
        if result and result.get("status") == "Accepted":
            self._registered(result)

    # --- Local Auth List -----------------------------------------------------------------------
    @on("SendLocalList")
    def on_send_local_list(self, list_version: int, update_type: str,
                           local_authorization_list: list[dict] | None = None) -> Any:
        entries = {e["idTag"]: e.get("idTagInfo") for e in local_authorization_list or []}
        if len(entries) > int(self.settings["send_local_list_max"]):
            return call_result.SendLocalList(status="Failed")
        status = self.authorization.send_local_list(list_version, update_type == "Full", entries)
        return call_result.SendLocalList(status=status)

    @on("GetLocalListVersion")
    def on_get_local_list_version(self) -> Any:
        enabled = self.settings["local_list_enabled"]
        version = self.authorization.local_list_version() if enabled else -1
        return call_result.GetLocalListVersion(list_version=version)

    # --- Reservation ---------------------------------------------------------------------------
    @on("ReserveNow")
    def on_reserve_now(self, connector_id: int, expiry_date: str, id_tag: str,
                       reservation_id: int, parent_id_tag: str | None = None) -> Generator:
        conn = self.connectors.get(connector_id)
        if conn is None:  # connector 0 (any connector) is not supported
            return call_result.ReserveNow(status="Rejected")
        try:
            expiry = parse_time(expiry_date)
        except ValueError:
            return call_result.ReserveNow(status="Rejected")
        status = yield from self.reservations.reserve(conn, reservation_id, id_tag, expiry)
        return call_result.ReserveNow(status=status)

    @on("CancelReservation")
    def on_cancel_reservation(self, reservation_id: int) -> Generator:
        cancelled = yield from self.reservations.cancel(reservation_id)
        return call_result.CancelReservation(status="Accepted" if cancelled else "Rejected")

    # --- Firmware Management (simulated: nothing is uploaded or installed) ---------------------
    @on("GetDiagnostics")
    def on_get_diagnostics(self, location: str, **_: Any) -> Any:
        name = f"diagnostics-{self.config['charge_point_id']}-{self.boot}.log"
        return call_result.GetDiagnostics(file_name=name)

    @after("GetDiagnostics")
    def after_get_diagnostics(self, response: Any, location: str, **_: Any) -> None:
        self.start(self._upload(location.startswith(UPLOAD_SCHEMES)))

    def _upload(self, ok: bool) -> Generator:
        for status, delay in (("Uploading", 0.0), ("Uploaded" if ok else "UploadFailed", 2.0)):
            yield self.env.timeout(delay)
            self.diagnostics_status = status
            self.notify(call.DiagnosticsStatusNotification(status=status))

    @on("UpdateFirmware")
    def on_update_firmware(self, location: str, retrieve_date: str, **_: Any) -> Any:
        return call_result.UpdateFirmware()

    @after("UpdateFirmware")
    def after_update_firmware(self, response: Any, retrieve_date: str, **_: Any) -> None:
        try:
            at = self.to_sim(parse_time(retrieve_date))
        except ValueError:
            at = float(self.env.now)
        self.start(self._update_firmware(at))

    def _update_firmware(self, at: float) -> Generator:
        yield self.env.timeout(max(0.0, at - float(self.env.now)))
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            self.firmware_status = status
            self.notify(call.FirmwareStatusNotification(status=status))
            yield self.env.timeout(2.0)
