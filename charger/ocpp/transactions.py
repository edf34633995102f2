"""Transactions of the charge point's connectors: they follow the EVSE managers' sessions (a
transaction starts and ends when the EVSE manager's does), with their meter values (periodic,
clock-aligned, and a fresh reading at the stop), remote starts and stops, and the transactions a
crash left open.

The messages themselves are the version's (``transaction_started``, ``transaction_finished``,
``transaction_meter_values`` of ``Ocpp16``/``Ocpp201``); their delivery is
:mod:`charger.ocpp.delivery`'s.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charger.ocpp.base import Connector, OcppChargePoint

EVSE_STOP_REASONS = {"Local", "Remote", "EVDisconnected", "PowerLoss", "EmergencyStop",
                     "DeAuthorized", "Other"}


class Transactions:
    def __init__(self, cp: OcppChargePoint):
        self.cp = cp
        self._tx_numbers = itertools.count(1)

    def end_stale(self) -> int:
        """After a restart: end the transactions a crash left open, with their last persisted
        meter reading as the stop value (reason PowerLoss); how many."""
        stale = self.cp.store.open_transactions()
        for tx in stale:
            conn = self.cp.connectors.get(tx.connector)
            if conn is not None:
                self.cp.transaction_finished(conn, tx.local_id, tx.data, "PowerLoss",
                                             recovered=True)
            self.cp.store.close_transaction(tx.local_id)
        return len(stale)

    def on_session_event(self, conn: Connector, event: dict) -> None:
        if conn.ending:  # keep the order: later events wait for the transaction's end
            conn.deferred.append(event)
            return
        self._handle(conn, event)

    def _handle(self, conn: Connector, event: dict) -> None:
        if event.get("connector") not in (None, conn.number):
            self.cp.log("warning", f"evse_manager connection {conn.number} reports connector "
                     f"{event.get('connector')}; OCPP numbers connectors by connection order")
        name = event["event"]
        if name == "SessionStarted":
            conn.session = True
        elif name == "SessionFinished":
            conn.session = False
        elif name == "TransactionStarted":
            self._begin(conn, event)
        elif name == "TransactionFinished":
            if conn.tx is not None and conn.meter is not None:
                conn.ending = True
                self.cp.start(self._end_with_fresh_reading(conn, event))
                return
            self._end(conn, event)
        self.cp.update_status(conn)

    def _end_with_fresh_reading(self, conn: Connector, event: dict) -> Generator:
        """The stop value is the meter's reading at the stop, not its last periodic one."""
        try:
            assert conn.meter is not None
            reading = yield from self.cp.call_logged(conn.meter, "read")
            if isinstance(reading, dict):
                conn.reading = reading
            self._end(conn, event)
            self.cp.update_status(conn)
        finally:
            conn.ending = False
            while conn.deferred and not conn.ending:
                self._handle(conn, conn.deferred.popleft())

    def _begin(self, conn: Connector, event: dict) -> None:
        if conn.tx is not None:
            return
        token = event.get("id_token", "")
        local_id = f"T{self.cp.boot}-{next(self._tx_numbers)}"
        remote = conn.remote if conn.remote and conn.remote["id_token"] == token else None
        energy = self.cp.energy_wh(conn)
        token_type = self.cp.authorization.token_types.get(token, "RFID")
        data = {"id_token": token, "token_type": token_type,
                "meter_start_wh": energy, "start_ts": self.cp.now_iso(),
                "start_t": float(self.cp.env.now), "last_wh": energy, "last_ts": self.cp.now_iso(),
                "remote_start_id": remote.get("remote_start_id") if remote else None,
                "reservation_id": event.get("reservation_id"), "seq_no": 0,
                "offline": not self.cp.online}
        self.cp.store.open_transaction(local_id, conn.number, data)
        conn.tx, conn.tx_data = local_id, data
        conn.remote = None
        self.cp.authorization.remote_tokens.pop(token, None)
        if conn.reservation and conn.reservation["id_token"] == token:
            conn.reservation = None
        if remote and remote.get("profile") is not None:
            raw = {k: v for k, v in remote["profile"].items() if k != "transactionId"}
            status = self.cp.charging.set_profile(raw, conn.number, for_new_transaction=True)
            if status != "Accepted":
                self.cp.log("warning", "the remote start's charging profile was not installed")
        self.cp.transaction_started(conn, local_id, data)
        conn.meter_generation += 1
        self.cp.start(self._meter_loop(conn, conn.meter_generation))
        self.cp.charging.update()

    def _end(self, conn: Connector, event: dict) -> None:
        local_id = conn.tx
        if local_id is None:
            return
        reason = conn.stop_reason or event.get("reason") or "Local"
        conn.stop_reason = None
        data = conn.tx_data
        data["last_wh"] = self.cp.energy_wh(conn)
        data["last_ts"] = self.cp.now_iso()
        self.cp.transaction_finished(conn, local_id, data, reason, recovered=False)
        self.cp.store.close_transaction(local_id)
        conn.tx, conn.tx_data = None, {}
        conn.meter_generation += 1
        self.cp.charging.end_of_transaction(conn)
        self.cp.availability.transaction_ended(conn)

    def _meter_loop(self, conn: Connector, generation: int) -> Generator:
        while True:
            interval = int(self.cp.settings["meter_interval"])
            yield self.cp.env.timeout(interval if interval > 0 else 60)
            if conn.meter_generation != generation or conn.tx is None:
                return
            if interval > 0:
                conn.tx_data["last_wh"] = self.cp.energy_wh(conn)
                conn.tx_data["last_ts"] = self.cp.now_iso()
                self.cp.transaction_meter_values(conn, conn.tx, conn.tx_data, "Sample.Periodic")

    def aligned_meter_values(self) -> Generator:
        while True:
            interval = int(self.cp.settings["aligned_interval"])
            if interval <= 0:
                yield self.cp.settings_changed()
                continue
            seconds = (self.cp.now_dt() - self.cp.now_dt().replace(hour=0, minute=0, second=0,
                                                             microsecond=0)).total_seconds()
            wait = interval - (seconds % interval)
            yield self.cp.env.timeout(wait if wait > 1e-6 else interval)
            for conn in self.cp.connectors.values():
                if conn.tx is not None:
                    self.cp.transaction_meter_values(conn, conn.tx, conn.tx_data, "Sample.Clock")
                elif self.cp.online:
                    self.cp.notify(self.cp.meter_values_request(conn, "Sample.Clock"))

    def of_transaction(self, transaction_id: str) -> Connector | None:
        for conn in self.cp.connectors.values():
            if conn.tx is not None and self.cp.backend_transaction_id(conn.tx) == transaction_id:
                return conn
        return None

    def stop(self, conn: Connector, ocpp_reason: str) -> Generator:
        """Ask the EVSE manager to stop; the OCPP reason goes into the stop message."""
        if conn.tx is None:
            return False
        conn.stop_reason = ocpp_reason
        reason = ocpp_reason if ocpp_reason in EVSE_STOP_REASONS else "Other"
        stopped = yield from self.cp.call_logged(conn.evse, "stop_transaction", reason=reason)
        if not stopped:
            conn.stop_reason = None
        return bool(stopped)

    def remote_start(self, connector: int | None, id_token: str, profile: dict | None,
                     remote_start_id: int | None = None) -> tuple[bool, Connector | None]:
        """Hand a Central token to the Auth module for one connector."""
        if not id_token:
            # OCPP's schemas allow an empty idTag; a token that identifies nobody starts nothing.
            return False, None
        if connector is None:
            free = [c for c in self.cp.connectors.values() if self._startable(c, id_token)]
            conn = free[0] if free else None
        else:
            conn = self.cp.connectors.get(connector)
            if conn is not None and not self._startable(conn, id_token):
                conn = None
        if conn is None:
            return False, None
        conn.remote = {"id_token": id_token, "profile": profile,
                       "remote_start_id": remote_start_id}
        self.cp.authorization.remote_tokens[id_token] = conn.number
        self.cp.authorization.token_types[id_token] = "Central"
        self.cp.publish("auth_provider", "provided_token", {
            "id_token": id_token, "type": "Central", "connectors": [conn.number]})
        return True, conn

    def _startable(self, conn: Connector, id_token: str) -> bool:
        if conn.tx is not None or not conn.operative or conn.faults:
            return False
        return not (conn.reservation and conn.reservation["id_token"] != id_token)
