"""What OCPP 1.6J and 2.0.1 charge points share: the module itself (its wiring, lifecycle, the
link and the boot sequence, connectors and their status, settings), with the work done by
collaborators that own their state:

* :class:`~charger.ocpp.endpoint.Endpoint`: OCPP-J framing, validation both ways, the route
  table of the ``@on``/``@after`` handlers, call pairing with one call in flight;
* :class:`~charger.ocpp.delivery.Delivery`: requests to the backend, one at a time, and the
  persistent queue of transaction messages (the exactly-once promise, in one place);
* :class:`~charger.ocpp.transactions.Transactions`: transactions following the EVSE managers'
  sessions, meter values, remote starts and stops, transactions a crash left open;
* :class:`~charger.ocpp.authorization.Authorization`: tokens, the local list and cache;
* :class:`~charger.ocpp.reservations.Reservations`, :class:`~charger.ocpp.availability.
  Availability` (and reset), :class:`~charger.ocpp.charging_profiles.ChargingProfiles`.

The version modules (:mod:`charger.ocpp.v16`, :mod:`charger.ocpp.v201`) build the messages
(from the ``ocpp`` package's dataclasses) and serve the version's requests.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import simpy

from charger.framework import CommandError, ErrorReport, Module, command
from charger.framework.module import Requirement
from charger.ocpp import settings as settings_mod
from charger.ocpp.authorization import Authorization
from charger.ocpp.availability import Availability
from charger.ocpp.charging_profiles import ChargingProfiles
from charger.ocpp.delivery import Delivery
from charger.ocpp.endpoint import Endpoint
from charger.ocpp.frames import SUBPROTOCOLS, Frame
from charger.ocpp.reservations import Reservations
from charger.ocpp.smart_charging import iso, parse_time
from charger.ocpp.store import QueuedMessage, Store
from charger.ocpp.transactions import Transactions


@dataclass
class Connector:
    number: int
    evse: Requirement
    meter: Requirement | None = None
    lock: Requirement | None = None
    state: str = ""  # the EVSE manager's state
    faults: set[str] = field(default_factory=set)
    operative: bool = True
    scheduled_operative: bool | None = None  # to apply when the transaction ends
    reservation: dict | None = None  # {id, id_token, expiry, generation}
    tx: str | None = None  # local id of the running transaction
    tx_data: dict = field(default_factory=dict)
    reading: dict | None = None  # last powermeter value
    status: str | None = None  # last status sent
    stop_reason: str | None = None  # OCPP stop reason for the transaction ending next
    remote: dict | None = None  # pending remote start {id_token, profile, remote_start_id}
    meter_generation: int = 0
    session: bool = False  # a car is plugged in
    ending: bool = False  # a transaction end waits for its meter reading
    deferred: deque = field(default_factory=deque)  # session events arriving meanwhile


class OcppChargePoint(Module):
    VERSION: ClassVar[str] = ""

    # --- lifecycle -----------------------------------------------------------------------------
    def init(self) -> None:
        self.version = self.VERSION
        self.subprotocol = SUBPROTOCOLS[self.version]
        self.link = self.require("link")
        self.auth = self.optional("auth")
        meters = self.requirements("powermeter")
        locks = self.requirements("connector_lock")
        self.connectors: dict[int, Connector] = {}
        for index, evse in enumerate(self.requirements("evse_manager")):
            conn = Connector(index + 1, evse, meters[index] if index < len(meters) else None,
                             locks[index] if index < len(locks) else None)
            self.connectors[conn.number] = conn
            evse.subscribe("session_event",
                           lambda e, c=conn: self.transactions.on_session_event(c, e))
            evse.subscribe("state", lambda s, c=conn: self._on_evse_state(c, s))
            evse.on_error(lambda r, c=conn: self._on_evse_error(c, r))
            if conn.meter:
                conn.meter.subscribe("powermeter", lambda v, c=conn: self._on_meter(c, v))
        self.endpoint = Endpoint(self, self.version, self._transmit, record=self.record_message,
                                 intercept=self._screen, deliver=self._deliver)
        self.link.subscribe("received", self._on_received)
        self.link.subscribe("connection", self._on_connection)

        self.store = Store(self.state_file(self.config["database"]))
        self.delivery = Delivery(self)
        self.boot = self.store.next_boot()
        self._message_numbers = itertools.count(1)
        self.epoch = parse_time(self.config["start_time"])
        configured = dict(self.config["configuration"])
        self.settings = settings_mod.Settings(configured, self.store.get("settings", {}))
        self.settings.set("number_of_connectors", len(self.connectors))
        for problem in self.settings.problems:
            self.log("error", f"configuration: {problem}")

        self.connected = False
        self.state_problem: str | None = None  # set: the database is another's; nothing runs
        self.registration = "Unknown"  # Unknown | Pending | Accepted | Rejected
        self.boot_reason = "PowerUp"
        self.down: simpy.Event = self.env.event()
        self._connection_generation = 0
        self._boot_generation = -1  # the connection a boot sequence runs for
        self._settings_changed: simpy.Event = self.env.event()
        self.charging = ChargingProfiles(self)
        self.reservations = Reservations(self)
        self.authorization = Authorization(self)
        self.availability = Availability(self)
        self.transactions = Transactions(self)
        self._published_status: dict | None = None
        self.init_version()

    def init_version(self) -> None:
        """Version-specific set-up (handlers)."""

    def ready(self) -> None:
        self.state_problem = self._binding_problem(None)
        if self.state_problem:
            self._refuse()
            return
        self._recover()
        self.availability.restore()
        if self.auth:
            self.auth.send("set_connection_timeout",
                           timeout_s=float(self.settings["connection_timeout"]))
        self.start(self.delivery.run())
        self.start(self._heartbeat())
        self.start(self.transactions.aligned_meter_values())
        self.charging.update()
        self.publish_status()
        self.open_link()

    def shutdown(self) -> None:
        self.store.close()

    # --- whose state the database holds ------------------------------------------------------
    def _binding_problem(self, endpoint: str | None) -> str | None:
        """The database belongs to one charge point identity, version and backend: a queue or
        configuration meant for one backend must never reach another. None: it fits (the first
        use binds it)."""
        mine = {"charge_point_id": self.config["charge_point_id"], "version": self.version}
        bound = self.store.get("binding") or {}
        if endpoint is not None:
            mine["endpoint"] = endpoint
        clash = {k: (bound[k], v) for k, v in mine.items() if k in bound and bound[k] != v}
        if clash:
            what = ", ".join(f"{k} {old!r} (this run: {new!r})" for k, (old, new) in clash.items())
            return (f"database {self.store.path!r} holds the state of another charge "
                    f"point or backend: {what}; use another database file for this one, or "
                    f"delete the file to start afresh (its queued transaction messages are lost)")
        if any(k not in bound for k in mine):
            self.store.put("binding", {**bound, **mine})
        return None

    def _refuse(self) -> None:
        self.log("error", f"not running: {self.state_problem}")
        self._published_status = None
        self.publish_status()

    def open_link(self) -> None:
        """Open the link as this charge point: its identity and its reconnection back-off."""
        self.link.send("open", subprotocols=[self.subprotocol],
                       charge_point_id=self.config["charge_point_id"],
                       retry_backoff=self._retry_backoff())

    def _retry_backoff(self) -> dict:
        return {"wait_minimum_s": float(self.settings["retry_backoff_wait_minimum"]),
                "random_range_s": float(self.settings["retry_backoff_random_range"]),
                "repeat_times": int(self.settings["retry_backoff_repeat_times"])}

    # --- clock ---------------------------------------------------------------------------------
    def now_dt(self) -> datetime:
        return self.epoch + timedelta(seconds=float(self.env.now))

    def now_iso(self) -> str:
        return iso(self.now_dt())

    def to_sim(self, when: datetime) -> float:
        return (when - self.epoch).total_seconds()

    def new_id(self) -> str:
        return f"{self.boot}-{next(self._message_numbers)}"

    @property
    def online(self) -> bool:
        return self.connected and self.registration == "Accepted"

    # --- the link ----------------------------------------------------------------------------
    def _on_connection(self, value: dict) -> None:
        up = bool(value.get("connected"))
        if up and value.get("subprotocol") != self.subprotocol:
            self.log("error", f"link reports subprotocol {value.get('subprotocol')!r}, "
                     f"this charge point speaks {self.subprotocol}; treated as down")
            up = False
        if up == self.connected:
            return
        if up and self.state_problem is None:
            self.state_problem = self._binding_problem(str(value.get("endpoint", "")) or None)
        if self.state_problem:
            if up:
                self.link.send("close")
                self._refuse()
            return
        self.connected = up
        self._connection_generation += 1
        if up:
            self.down = self.env.event()
            self.log("info", f"connected to the backend ({self.subprotocol})")
            if self.registration == "Accepted":
                self._after_registration()
            else:
                self.start(self._boot_sequence(self._connection_generation))
        else:
            self.log("warning", f"backend connection lost: {value.get('reason', '')}".rstrip(": "))
            if not self.down.triggered:
                self.down.succeed()
            self.delivery.connection_lost()
            if self.registration != "Accepted":
                self.registration = "Unknown"
        self.publish_status()
        self.delivery.wake()

    def _on_received(self, value: dict) -> None:
        self.endpoint.received(value.get("frame"))

    def record_message(self, direction: str, message_type: str, action: str, unique_id: str,
                       payload: Any, queued: bool = False) -> None:
        """Put an OCPP message on the timeline (``ocpp_message``)."""
        value = {"direction": direction, "message_type": message_type, "action": action,
                 "unique_id": unique_id, "payload": payload}
        if queued:
            value["queued"] = True
        self.publish("main", "ocpp_message", value)

    def _transmit(self, text: str) -> simpy.Event:
        return self.link.call("send", frame=text)

    def _deliver(self, frame: Frame, text: str) -> None:
        """A reply goes out only on the connection its request came on."""
        if self.connected:
            self.link.send("send", frame=text)

    def _screen(self, frame: Frame) -> bool:
        """A backend that rejected our BootNotification gets no service (OCPP: SecurityError)."""
        if self.registration != "Rejected":
            return False
        self.endpoint.reply_error(frame, "security",
                                  "the backend rejected this charge point's BootNotification")
        return True

    # --- requests to the backend (see charger.ocpp.delivery) ---------------------------------
    def request(self, message: Any, boot: bool = False) -> Generator[Any, Any, dict | None]:
        return self.delivery.request(message, boot)

    def notify(self, message: Any) -> None:
        self.delivery.notify(message)

    def enqueue_transaction_message(self, message: Any, tx_ref: str | None,
                                    tx_update: tuple[str, dict] | None = None) -> None:
        self.delivery.enqueue_transaction_message(message, tx_ref, tx_update)

    def materialize(self, message: QueuedMessage) -> dict | None:
        """The payload to send for a stored message (1.6 fills in the backend's transaction
        id); None when it cannot be sent."""
        return message.payload

    def transaction_result(self, message: QueuedMessage, payload: dict) -> None:
        """The backend acknowledged a transaction message."""

    # --- boot, heartbeat -----------------------------------------------------------------------
    def boot_request(self) -> Any:
        raise NotImplementedError

    def _boot_sequence(self, generation: int) -> Generator:
        """Boot on this connection (one sequence per connection; a sequence of an earlier
        connection ends when it notices the connection changed)."""
        if self._boot_generation == generation:
            return
        self._boot_generation = generation
        try:
            while self.connected and generation == self._connection_generation \
                    and self.registration != "Accepted":
                sent = float(self.env.now)
                result = yield from self.request(self.boot_request(), boot=True)
                if result is None:
                    yield self.env.timeout(float(self.config["boot_retry_s"]))
                    continue
                status, interval = result.get("status"), int(result.get("interval", 0))
                if status == "Accepted":
                    self._registered(result, (sent + float(self.env.now)) / 2)
                    return
                self.registration = status if status in ("Pending", "Rejected") else "Unknown"
                self.publish_status()
                self.log("warning", f"BootNotification {status}; retry in "
                         f"{interval or self.config['boot_retry_s']} s")
                yield self.env.timeout(float(interval or self.config["boot_retry_s"]))
        finally:
            if self._boot_generation == generation:
                self._boot_generation = -1

    def _registered(self, result: dict, answered_at: float | None = None) -> None:
        """BootNotification accepted. The backend's currentTime is taken as the time halfway
        through the exchange (``answered_at``), which cancels a symmetric latency."""
        self.registration = "Accepted"
        self.boot_reason = "PowerUp"
        interval = int(result.get("interval", 0))
        if interval > 0:
            self.settings.set("heartbeat_interval", interval)
        if self.config["sync_clock"] and isinstance(result.get("currentTime"), str):
            at = float(self.env.now) if answered_at is None else answered_at
            try:
                self.epoch = parse_time(result["currentTime"]) - timedelta(seconds=at)
                self.charging.reload()
            except ValueError:
                self.log("warning", f"backend time {result['currentTime']!r} not understood")
        self.log("info", "registered with the backend")
        self.publish_status()
        self._after_registration()

    def _after_registration(self) -> None:
        """Tell the backend every connector's status (after boot and after a reconnect)."""
        self.station_status()
        for conn in self.connectors.values():
            conn.status = None
            self.update_status(conn)
        self.delivery.wake()

    def _heartbeat(self) -> Generator:
        while True:
            yield self.env.timeout(max(1, int(self.settings["heartbeat_interval"])))
            if self.online and not self.delivery.waiting("Heartbeat"):
                self.notify(self.heartbeat_request())

    def heartbeat_request(self) -> Any:
        raise NotImplementedError

    def station_status(self) -> None:
        """1.6 reports connector 0 after boot."""

    # --- connectors and status -----------------------------------------------------------------
    def _on_evse_state(self, conn: Connector, state: str) -> None:
        conn.state = state
        self.update_status(conn)
        self.charging_state_changed(conn)

    def _on_evse_error(self, conn: Connector, report: ErrorReport) -> None:
        name = report.type.rsplit("/", 1)[-1]
        if report.active:
            conn.faults.add(name)
        else:
            conn.faults.discard(name)
        self.update_status(conn)

    def _on_meter(self, conn: Connector, value: dict) -> None:
        conn.reading = value

    def update_status(self, conn: Connector) -> None:
        """Tell the backend the connector's status when it changed."""
        status = self.connector_status(conn)
        if status != conn.status:
            conn.status = status
            if self.online:
                self.notify(self.status_request(conn, status))

    def connector_status(self, conn: Connector) -> str:
        raise NotImplementedError

    def status_request(self, conn: Connector, status: str) -> Any:
        raise NotImplementedError

    def charging_state_changed(self, conn: Connector) -> None:
        """2.0.1 reports charging state changes of a transaction."""

    def energy_wh(self, conn: Connector) -> float:
        if conn.reading is None:
            return 0.0
        return float(conn.reading["energy_wh_import"]["total"])

    def measurements(self, conn: Connector, measurands: list[str]) -> list[tuple]:
        """(measurand, phase or None, value, unit) from the connector's last meter reading."""
        reading = conn.reading or {"energy_wh_import": {"total": 0.0}, "power_w": {"total": 0.0}}
        out: list[tuple] = []
        for measurand in measurands:
            if measurand == "Energy.Active.Import.Register":
                out.append((measurand, None, round(reading["energy_wh_import"]["total"], 1),
                            "Wh"))
            elif measurand == "Power.Active.Import":
                out.append((measurand, None, round(reading["power_w"]["total"], 1), "W"))
            elif measurand == "Current.Import":
                for phase in ("L1", "L2", "L3"):
                    value = reading.get("current_a", {}).get(phase)
                    if value is not None:
                        out.append((measurand, phase, round(value, 2), "A"))
            elif measurand == "Voltage":
                for phase in ("L1", "L2", "L3"):
                    value = reading.get("voltage_v", {}).get(phase)
                    if value is not None:
                        out.append((measurand, f"{phase}-N", round(value, 1), "V"))
            elif measurand == "Frequency" and "frequency_hz" in reading:
                out.append((measurand, None, round(reading["frequency_hz"], 2), None))
        return out

    # --- transactions --------------------------------------------------------------------------

    def _recover(self) -> None:
        """After a restart: queue again what was not acknowledged, end the transactions a crash
        left open, and take back the charging profiles that outlive a transaction."""
        pending = self.delivery.recover()
        stale = self.transactions.end_stale()
        if pending or stale:
            self.log("info", f"recovered {pending} unacknowledged transaction message(s); "
                     f"{stale} transaction(s) left open ended with PowerLoss")
        self.charging.reload()

    # version hooks for transactions
    def transaction_started(self, conn: Connector, local_id: str, data: dict) -> None:
        raise NotImplementedError

    def transaction_finished(self, conn: Connector, local_id: str, data: dict, reason: str,
                             recovered: bool) -> None:
        raise NotImplementedError

    def transaction_meter_values(self, conn: Connector, local_id: str, data: dict,
                                 context: str) -> None:
        raise NotImplementedError

    def meter_values_request(self, conn: Connector, context: str) -> Any:
        raise NotImplementedError

    def backend_transaction_id(self, local_id: str | None) -> str | None:
        """The id the backend knows a transaction by."""
        return local_id

    # --- commands to the EVSE managers ---------------------------------------------------------
    def settings_changed(self) -> simpy.Event:
        """An event for the next change of a configuration setting (by the backend)."""
        return self._settings_changed

    def call_logged(self, target: Requirement, cmd: str, **args: Any) -> Generator:
        """Call an EVSE manager or meter command; a failure is logged and gives None."""
        try:
            return (yield target.call(cmd, **args))
        except CommandError as error:
            self.log("warning", f"{target.module_id}.{cmd} failed: {error}")
            return None

    # --- authorization -------------------------------------------------------------------------
    @command("auth_validator", "validate_token")
    def validate_token(self, provided_token: dict) -> Generator:
        return (yield from self.authorization.validate(provided_token))

    def authorize_with_backend(self, provided_token: dict) -> Generator[Any, Any, dict | None]:
        """Send Authorize; the id tag info ({status, expiryDate?, ...}) or None."""
        raise NotImplementedError

    def reservation_expired(self, conn: Connector, reservation_id: int) -> None:
        """2.0.1 tells the backend."""

    # --- settings ------------------------------------------------------------------------------
    def change_setting(self, key: str, value: str, by_var: bool = False) -> str:
        """Accepted, Rejected, NotSupported (unknown key)."""
        setting = settings_mod.find(key)
        if setting is None or (by_var and setting.var201 is None) or \
                (not by_var and setting.key16 is None):
            return "NotSupported"
        if setting.readonly:
            return "Rejected"
        try:
            parsed = settings_mod.parse(setting, value)
        except settings_mod.SettingError as problem:
            self.log("warning", f"configuration {key}: {problem}")
            return "Rejected"
        if setting.kind == "csv" and len(parsed) > int(self.settings["sampled_data_max_length"]):
            return "Rejected"
        self.settings.set(setting.name, parsed)
        if not self._settings_changed.triggered:
            self._settings_changed.succeed()
            self._settings_changed = self.env.event()
        persisted = self.store.get("settings", {})
        persisted[setting.name] = parsed
        self.store.put("settings", persisted)
        if setting.name == "connection_timeout" and self.auth:
            self.auth.send("set_connection_timeout", timeout_s=float(parsed))
        if setting.name.startswith("retry_backoff") and not self.availability.resetting:
            self.open_link()  # the link takes the new back-off (it stays open)
        if setting.name in ("cache_enabled",) and not parsed:
            self.store.clear_auth("cache")
        return "Accepted"

    # --- the main implementation ---------------------------------------------------------------
    @command("main", "data_transfer")
    def data_transfer(self, vendor_id: str, message_id: str, data: str) -> Generator:
        if not self.online:
            return "Offline"
        result = yield from self.request(self.data_transfer_request(vendor_id, message_id, data))
        return str(result.get("status", "Failed")) if result else "Failed"

    def data_transfer_request(self, vendor_id: str, message_id: str, data: str) -> Any:
        raise NotImplementedError

    def publish_status(self) -> None:
        """Publish the link, registration and queue state (``status``) when it changed."""
        value: dict[str, Any] = {"connected": self.connected,
                                 "registration": self.registration,
                                 "queued": self.store.count_pending()}
        if self.state_problem:
            value["problem"] = self.state_problem
        if value != self._published_status:
            self._published_status = value
            self.publish("main", "status", value)
