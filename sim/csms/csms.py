"""SimCsms: a simulated OCPP backend (CSMS) in the simulated world, for 1.6J and 2.0.1.

It provides the charge point's ``ocpp_link`` in-process (frames travel as bus messages with a
configurable latency), answers the charge point's requests like a backend would (registration,
tokens, transaction ids), and sends the backend's requests when a scenario asks through its
``csms_simulator`` control interface. Every message is built from the ``ocpp`` package's
dataclasses and checked against its schemas, both ways.

Like a careful real backend it processes each request once: a request whose message id it has
seen before is answered again with the same reply and reported as a duplicate.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from datetime import timedelta
from typing import Any

from ocpp.messages import MessageType
from ocpp.v16 import call as call16
from ocpp.v16 import datatypes as types16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from charger.framework import Module, command
from charger.ocpp.endpoint import Endpoint, on
from charger.ocpp.frames import SUBPROTOCOLS, Frame, action_of, check_payload, to_payload
from charger.ocpp.smart_charging import iso, parse_time

PURPOSE_16 = {"ChargePointMax": "ChargePointMaxProfile", "TxDefault": "TxDefaultProfile",
              "Tx": "TxProfile"}
PURPOSE_201 = {"ChargePointMax": "ChargingStationMaxProfile", "TxDefault": "TxDefaultProfile",
               "Tx": "TxProfile"}
STATUS_16 = {"Unknown": "Invalid"}  # token statuses 1.6 does not know


class SimCsms(Module):
    def init(self) -> None:
        self.online = bool(self.config["online"])
        self.opened = False
        self.offered: list[str] = []
        self.connected = False
        self.version = ""
        self._generation = 0  # bumps on every disconnect: frames in flight are lost
        self._numbers = itertools.count(1)
        self._tx_numbers = itertools.count(1)
        self._remote_ids = itertools.count(1)
        self.seen: dict[str, str | None] = {}  # message id -> the reply sent (None: swallowed)
        self._down = self.env.event()  # triggered when the connection is lost
        self.endpoint = Endpoint(self, "1.6", self._transmit, intercept=self._intercept,
                                 deliver=self._deliver)
        self.transactions: dict[int, str] = {}  # connector -> transaction id the backend knows
        self.tokens: dict[str, str] = dict(self.config["tokens"])
        self.boot_status = self.config["boot_status"]
        self.boot_interval = 0
        self.swallow: dict[str, bool] = {}
        self.epoch = parse_time(self.config["start_time"])

    def ready(self) -> None:
        self._publish_connection("not opened")

    # --- the link --------------------------------------------------------------------------------
    @command("link", "open")
    def open(self, subprotocols: list[str], charge_point_id: str = "",
             retry_backoff: dict | None = None) -> None:
        # The simulated link comes back after reconnect_s; the identity and back-off are those
        # of a real link and have no meaning here.
        del charge_point_id, retry_backoff
        self.opened = True
        self.offered = list(subprotocols)
        self.start(self._connect(0.0))

    @command("link", "close")
    def close(self) -> None:
        self.opened = False
        self._disconnect("closed by the charge point")

    @command("link", "send")
    def send(self, frame: str) -> bool:
        if not self.connected:
            return False
        generation = self._generation

        def arrive() -> Generator:
            yield self.env.timeout(float(self.config["latency_s"]))
            if generation == self._generation and self.connected:
                self._from_charge_point(frame)

        self.start(arrive())
        return True

    def _connect(self, delay: float) -> Generator:
        yield self.env.timeout(delay + float(self.config["latency_s"]))
        if self.connected or not self.opened or not self.online:
            return
        supported = [SUBPROTOCOLS[v] for v in self.config["ocpp_versions"]]
        chosen = next((s for s in self.offered if s in supported), None)
        if chosen is None:
            self._publish_connection(f"no common subprotocol (offered {self.offered}, "
                                     f"backend speaks {supported})")
            return
        self.connected = True
        self.version = next(v for v, s in SUBPROTOCOLS.items() if s == chosen)
        self.endpoint.version = self.version
        self._down = self.env.event()
        self.publish("link", "connection", {"connected": True, "subprotocol": chosen,
                                            "reason": "", "endpoint": f"simulated:{self.id}"})

    def _disconnect(self, reason: str) -> None:
        self._generation += 1
        if not self._down.triggered:
            self._down.succeed()  # the call in flight, if any, gets no reply
        if self.connected:
            self.connected = False
            self._publish_connection(reason)

    def _publish_connection(self, reason: str) -> None:
        self.publish("link", "connection", {"connected": False, "subprotocol": None,
                                            "reason": reason})

    def _transmit(self, text: str) -> None:
        generation = self._generation

        def travel() -> Generator:
            yield self.env.timeout(float(self.config["latency_s"]))
            if generation == self._generation and self.connected:
                self.publish("link", "received", {"frame": text})

        self.start(travel())

    def now_iso(self) -> str:
        return iso(self.epoch + timedelta(seconds=float(self.env.now)))

    # --- what the charge point sends -------------------------------------------------------------
    def _from_charge_point(self, raw: str) -> None:
        self.endpoint.received(raw)

    def _intercept(self, frame: Frame) -> bool:
        """Every request is reported; one seen before is answered again, not processed again."""
        duplicate = frame.unique_id in self.seen
        self.publish("control", "call_received", {
            "action": frame.action, "unique_id": frame.unique_id, "duplicate": duplicate,
            "payload": frame.payload})
        if duplicate:
            cached = self.seen[frame.unique_id]
            self.log("info", f"{frame.action} {frame.unique_id} seen before: answered again, "
                     "not processed again")
            if cached is not None:
                self._transmit(cached)
        return duplicate

    def _deliver(self, frame: Frame, reply: str) -> None:
        if not frame.action:  # an answer to a frame that could not be read
            self._transmit(reply)
            return
        self.seen[frame.unique_id] = reply
        then_offline = self.swallow.pop(frame.action, None)
        if then_offline is not None:  # processed; the reply is lost on the way
            self.log("info", f"backend swallows the reply to {frame.action} {frame.unique_id}")
            if then_offline:
                self.start(self._go_offline_now())
            return
        self._transmit(reply)

    def _go_offline_now(self) -> Generator:
        yield self.env.timeout(0)
        self.online = False
        self._disconnect("backend unreachable")

    def token_status(self, token: str) -> str:
        status = self.tokens.get(token, self.tokens.get(token.upper(),
                                                        self.config["unknown_token_status"]))
        return STATUS_16.get(status, status) if self.version == "1.6" else status

    # OCPP 1.6 requests
    @on("BootNotification")
    def boot_notification(self, **_: Any) -> dict:
        accepted = self.boot_status == "Accepted"
        interval = self.boot_interval or (self.config["heartbeat_interval_s"] if accepted
                                          else self.config["boot_retry_interval_s"])
        return {"status": self.boot_status, "currentTime": self.now_iso(), "interval": interval}

    @on("Heartbeat")
    def heartbeat(self) -> dict:
        return {"currentTime": self.now_iso()}

    @on("StatusNotification")
    @on("MeterValues")
    @on("DiagnosticsStatusNotification")
    @on("FirmwareStatusNotification")
    @on("ReservationStatusUpdate")
    def acknowledge(self, **_: Any) -> dict:
        return {}

    @on("DataTransfer")
    def accept_data_transfer(self, **_: Any) -> dict:
        return {"status": "Accepted"}

    @on("Authorize", "1.6")
    def authorize_16(self, id_tag: str) -> dict:
        return {"idTagInfo": {"status": self.token_status(id_tag)}}

    @on("StartTransaction")
    def start_transaction(self, connector_id: int, id_tag: str, **_: Any) -> dict:
        number = next(self._tx_numbers)
        self.transactions[connector_id] = str(number)
        return {"transactionId": number, "idTagInfo": {"status": self.token_status(id_tag)}}

    @on("StopTransaction")
    def stop_transaction(self, transaction_id: int, id_tag: str | None = None,
                         **_: Any) -> dict:
        for connector, tx in list(self.transactions.items()):
            if tx == str(transaction_id):
                del self.transactions[connector]
        return {"idTagInfo": {"status": self.token_status(id_tag)}} if id_tag else {}

    # OCPP 2.0.1 requests
    @on("Authorize", "2.0.1")
    def authorize_201(self, id_token: dict, **_: Any) -> dict:
        return {"idTokenInfo": {"status": self.token_status(id_token["idToken"])}}

    @on("TransactionEvent")
    def transaction_event(self, event_type: str, transaction_info: dict,
                          evse: dict | None = None, id_token: dict | None = None,
                          **_: Any) -> dict:
        tx = transaction_info["transactionId"]
        if event_type == "Started" and evse is not None:
            self.transactions[evse["id"]] = tx
        elif event_type == "Ended":
            for connector, known in list(self.transactions.items()):
                if known == tx:
                    del self.transactions[connector]
        if id_token is not None:
            return {"idTokenInfo": {"status": self.token_status(id_token["idToken"])}}
        return {}

    # --- what the backend sends ------------------------------------------------------------------
    def _request(self, message: Any, validate: bool = True) -> Generator:
        action, payload = action_of(message), to_payload(message)
        return (yield from self._request_raw(action, payload, validate))

    def _request_raw(self, action: str, payload: dict, validate: bool = True) -> Generator:
        if not self.connected:
            return {"noReply": "the charge point is not connected"}
        if validate:
            problem = check_payload(MessageType.Call, action, payload, self.version)
            if problem is not None:
                return {"noReply": f"not sent, invalid request: {problem.reason}"}
        outcome = yield from self.endpoint.call(
            f"csms-{next(self._numbers)}", action, payload,
            float(self.config["response_timeout_s"]), down=self._down)
        if outcome.status == "error" and outcome.frame is not None:
            return {"callError": {"errorCode": outcome.frame.error_code,
                                  "errorDescription": outcome.frame.error_description}}
        if outcome.frame is not None:  # a result, or an invalid one (reported as it came)
            return outcome.frame.payload
        return {"noReply": "no reply" if outcome.status == "timeout" else "connection lost"}

    def _v16(self) -> bool:
        return self.version == "1.6"

    def _profile(self, spec: dict, connector: int) -> Any:
        purpose = spec.get("purpose", "TxDefault")
        periods = spec.get("periods") or [{"start_s": 0, "limit": spec.get("limit", 0)}]
        kind = spec.get("kind", "Absolute")
        start = None
        if kind == "Absolute":
            start = iso(self.epoch + timedelta(seconds=float(self.env.now)
                                               + float(spec.get("start_in_s", 0))))
        tx = self.transactions.get(connector) if purpose == "Tx" and spec.get(
            "transaction", True) else None
        unit = spec.get("unit", "A")
        if self._v16():
            schedule = types16.ChargingSchedule(
                charging_rate_unit=unit, duration=spec.get("duration_s"), start_schedule=start,
                charging_schedule_period=[types16.ChargingSchedulePeriod(
                    start_period=int(p["start_s"]), limit=round(float(p["limit"]), 1),
                    number_phases=p.get("phases")) for p in periods])
            return types16.ChargingProfile(
                charging_profile_id=spec.get("profile_id", 1),
                stack_level=spec.get("stack_level", 0),
                charging_profile_purpose=PURPOSE_16[purpose], charging_profile_kind=kind,
                charging_schedule=schedule, transaction_id=int(tx) if tx else None)
        schedule201 = types201.ChargingScheduleType(
            id=1, charging_rate_unit=unit, duration=spec.get("duration_s"),
            start_schedule=start, charging_schedule_period=[
                types201.ChargingSchedulePeriodType(
                    start_period=int(p["start_s"]), limit=round(float(p["limit"]), 1),
                    number_phases=p.get("phases")) for p in periods])
        return types201.ChargingProfileType(
            id=spec.get("profile_id", 1), stack_level=spec.get("stack_level", 0),
            charging_profile_purpose=PURPOSE_201[purpose], charging_profile_kind=kind,
            charging_schedule=[schedule201], transaction_id=tx)

    # --- the scenario's control ------------------------------------------------------------------
    @command("control", "go_offline")
    def go_offline(self) -> None:
        self.online = False
        self._disconnect("backend unreachable")

    @command("control", "go_online")
    def go_online(self) -> None:
        self.online = True
        if self.opened:
            self.start(self._connect(float(self.config["reconnect_s"])))

    @command("control", "set_boot_response")
    def set_boot_response(self, status: str, interval_s: int) -> None:
        self.boot_status, self.boot_interval = status, interval_s

    @command("control", "set_token")
    def set_token(self, id_token: str, status: str) -> None:
        self.tokens[id_token] = status

    @command("control", "remote_start")
    def remote_start(self, connector: int, id_token: str, profile: dict | None) -> Generator:
        spec = {**(profile or {}), "purpose": "Tx", "transaction": False}
        if self._v16():
            message = call16.RemoteStartTransaction(
                id_tag=id_token, connector_id=connector or None,
                charging_profile=self._profile(spec, connector) if profile else None)
        else:
            message = call201.RequestStartTransaction(
                id_token=types201.IdTokenType(id_token=id_token, type="ISO14443"),
                remote_start_id=next(self._remote_ids), evse_id=connector or None,
                charging_profile=self._profile(spec, connector) if profile else None)
        return (yield from self._request(message))

    @command("control", "remote_stop")
    def remote_stop(self, connector: int) -> Generator:
        tx = self.transactions.get(connector)
        if tx is None:
            return {"noReply": f"the backend knows no transaction on connector {connector}"}
        message = call16.RemoteStopTransaction(transaction_id=int(tx)) if self._v16() else \
            call201.RequestStopTransaction(transaction_id=tx)
        return (yield from self._request(message))

    @command("control", "set_charging_profile")
    def set_charging_profile(self, connector: int, purpose: str, profile_id: int,
                             stack_level: int, unit: str, limit: float, periods: list,
                             kind: str, start_in_s: float, duration_s: int | None,
                             transaction: bool) -> Generator:
        spec = {"purpose": purpose, "profile_id": profile_id, "stack_level": stack_level,
                "unit": unit, "limit": limit, "periods": periods, "kind": kind,
                "start_in_s": start_in_s, "duration_s": duration_s, "transaction": transaction}
        profile = self._profile(spec, connector)
        message = call16.SetChargingProfile(connector_id=connector,
                                            cs_charging_profiles=profile) if self._v16() \
            else call201.SetChargingProfile(evse_id=connector, charging_profile=profile)
        return (yield from self._request(message))

    @command("control", "clear_charging_profile")
    def clear_charging_profile(self, profile_id: int | None, connector: int | None,
                               purpose: str | None, stack_level: int | None) -> Generator:
        if self._v16():
            message = call16.ClearChargingProfile(
                id=profile_id, connector_id=connector,
                charging_profile_purpose=PURPOSE_16[purpose] if purpose else None,
                stack_level=stack_level)
        else:
            criteria = None
            if connector is not None or purpose or stack_level is not None:
                criteria = types201.ClearChargingProfileType(
                    evse_id=connector,
                    charging_profile_purpose=PURPOSE_201[purpose] if purpose else None,
                    stack_level=stack_level)
            message = call201.ClearChargingProfile(charging_profile_id=profile_id,
                                                   charging_profile_criteria=criteria)
        return (yield from self._request(message))

    @command("control", "get_composite_schedule")
    def get_composite_schedule(self, connector: int, duration_s: int, unit: str | None
                               ) -> Generator:
        message = call16.GetCompositeSchedule(connector_id=connector, duration=duration_s,
                                              charging_rate_unit=unit) if self._v16() \
            else call201.GetCompositeSchedule(duration=duration_s, evse_id=connector,
                                              charging_rate_unit=unit)
        return (yield from self._request(message))

    @command("control", "reset")
    def reset(self, type: str) -> Generator:
        if self._v16():
            kind = {"OnIdle": "Soft", "Immediate": "Hard"}.get(type, type)
            message = call16.Reset(type=kind)
        else:
            kind = {"Soft": "OnIdle", "Hard": "Immediate"}.get(type, type)
            message = call201.Reset(type=kind)
        return (yield from self._request(message))

    @command("control", "change_availability")
    def change_availability(self, connector: int, operative: bool) -> Generator:
        state = "Operative" if operative else "Inoperative"
        if self._v16():
            message = call16.ChangeAvailability(connector_id=connector, type=state)
        else:
            message = call201.ChangeAvailability(
                operational_status=state,
                evse=types201.EVSEType(id=connector) if connector else None)
        return (yield from self._request(message))

    @command("control", "trigger_message")
    def trigger_message(self, message: str, connector: int | None) -> Generator:
        if self._v16():
            request = call16.TriggerMessage(requested_message=message, connector_id=connector)
        else:
            request = call201.TriggerMessage(
                requested_message=message,
                evse=types201.EVSEType(id=connector) if connector else None)
        return (yield from self._request(request, validate=False))

    @command("control", "change_configuration")
    def change_configuration(self, key: str, value: str) -> Generator:
        if self._v16():
            return (yield from self._request(call16.ChangeConfiguration(key=key, value=value)))
        component, _, variable = key.partition(".")
        return (yield from self._request(call201.SetVariables(set_variable_data=[
            types201.SetVariableDataType(attribute_value=value,
                                         component=types201.ComponentType(name=component),
                                         variable=types201.VariableType(name=variable))])))

    @command("control", "get_configuration")
    def get_configuration(self, keys: list[str]) -> Generator:
        if self._v16():
            return (yield from self._request(call16.GetConfiguration(key=keys or None)))
        data = []
        for key in keys:
            component, _, variable = key.partition(".")
            data.append(types201.GetVariableDataType(
                component=types201.ComponentType(name=component),
                variable=types201.VariableType(name=variable)))
        return (yield from self._request(call201.GetVariables(get_variable_data=data)))

    @command("control", "send_local_list")
    def send_local_list(self, version: int, update_type: str, entries: list[dict]) -> Generator:
        if self._v16():
            data = [types16.AuthorizationData(
                id_tag=e["id_token"], id_tag_info=types16.IdTagInfo(status=e["status"])
                if e.get("status") else None) for e in entries]
            message = call16.SendLocalList(list_version=version, update_type=update_type,
                                           local_authorization_list=data)
        else:
            data201 = [types201.AuthorizationData(
                id_token=types201.IdTokenType(id_token=e["id_token"], type="ISO14443"),
                id_token_info=types201.IdTokenInfoType(status=e["status"])
                if e.get("status") else None) for e in entries]
            message = call201.SendLocalList(version_number=version, update_type=update_type,
                                            local_authorization_list=data201 or None)
        return (yield from self._request(message))

    @command("control", "get_local_list_version")
    def get_local_list_version(self) -> Generator:
        message = call16.GetLocalListVersion() if self._v16() else call201.GetLocalListVersion()
        return (yield from self._request(message))

    @command("control", "reserve_now")
    def reserve_now(self, connector: int, id_token: str, reservation_id: int,
                    expiry_s: float) -> Generator:
        expiry = iso(self.epoch + timedelta(seconds=float(self.env.now) + expiry_s))
        if self._v16():
            message = call16.ReserveNow(connector_id=connector, expiry_date=expiry,
                                        id_tag=id_token, reservation_id=reservation_id)
        else:
            message = call201.ReserveNow(
                id=reservation_id, expiry_date_time=expiry,
                id_token=types201.IdTokenType(id_token=id_token, type="ISO14443"),
                evse_id=connector or None)
        return (yield from self._request(message))

    @command("control", "cancel_reservation")
    def cancel_reservation(self, reservation_id: int) -> Generator:
        message = call16.CancelReservation(reservation_id=reservation_id) if self._v16() \
            else call201.CancelReservation(reservation_id=reservation_id)
        return (yield from self._request(message))

    @command("control", "unlock_connector")
    def unlock_connector(self, connector: int) -> Generator:
        message = call16.UnlockConnector(connector_id=connector) if self._v16() \
            else call201.UnlockConnector(evse_id=connector, connector_id=1)
        return (yield from self._request(message))

    @command("control", "clear_cache")
    def clear_cache(self) -> Generator:
        message = call16.ClearCache() if self._v16() else call201.ClearCache()
        return (yield from self._request(message))

    @command("control", "data_transfer")
    def data_transfer(self, vendor_id: str, message_id: str, data: str) -> Generator:
        cls = call16.DataTransfer if self._v16() else call201.DataTransfer
        return (yield from self._request(cls(vendor_id=vendor_id, message_id=message_id or None,
                                             data=data or None)))

    @command("control", "get_diagnostics")
    def get_diagnostics(self, location: str) -> Generator:
        if not self._v16():
            return {"noReply": "GetDiagnostics is OCPP 1.6"}
        return (yield from self._request(call16.GetDiagnostics(location=location)))

    @command("control", "update_firmware")
    def update_firmware(self, location: str, retrieve_in_s: float) -> Generator:
        if not self._v16():
            return {"noReply": "UpdateFirmware (1.6 form) is OCPP 1.6"}
        when = iso(self.epoch + timedelta(seconds=float(self.env.now) + retrieve_in_s))
        return (yield from self._request(call16.UpdateFirmware(location=location,
                                                               retrieve_date=when)))

    @command("control", "send_call")
    def send_call(self, action: str, payload: dict) -> Generator:
        return (yield from self._request_raw(action, payload, validate=False))

    @command("control", "send_raw")
    def send_raw(self, frame: str) -> None:
        if self.connected:
            self._transmit(frame)

    @command("control", "swallow_next")
    def swallow_next(self, action: str, go_offline: bool) -> None:
        self.swallow[action] = go_offline
