"""Reservations of connectors: the OCPP side (ReserveNow, CancelReservation, expiry).

The EVSE manager holds the reservation itself (state Reserved, only the reserved token is
authorized); this keeps which reservation each connector has and ends it when it expires.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import TYPE_CHECKING

from charger.ocpp.smart_charging import iso

if TYPE_CHECKING:
    from charger.ocpp.base import Connector, OcppChargePoint


class Reservations:
    def __init__(self, cp: OcppChargePoint):
        self.cp = cp

    def reserve(self, conn: Connector, reservation_id: int, id_token: str, expiry: datetime
                ) -> Generator:
        """Accepted, Occupied, Faulted, Unavailable or Rejected."""
        if conn.faults:
            return "Faulted"
        if not conn.operative:
            return "Unavailable"
        if conn.tx is not None or conn.session or (
                conn.reservation and conn.reservation["id"] != reservation_id):
            return "Occupied"
        if conn.reservation:
            yield from self.cp.call_logged(conn.evse, "cancel_reservation",
                                           reservation_id=conn.reservation["id"])
        accepted = yield from self.cp.call_logged(conn.evse, "reserve",
                                                  reservation_id=reservation_id, id_token=id_token)
        if not accepted:
            return "Occupied"
        generation = (conn.reservation or {}).get("generation", 0) + 1
        conn.reservation = {"id": reservation_id, "id_token": id_token,
                            "expiry": iso(expiry), "generation": generation}
        self.cp.start(self._reservation_expiry(conn, reservation_id, generation,
                                            self.cp.to_sim(expiry)))
        self.cp.update_status(conn)
        return "Accepted"

    def _reservation_expiry(self, conn: Connector, reservation_id: int, generation: int,
                            at: float) -> Generator:
        yield self.cp.env.timeout(max(0.0, at - float(self.cp.env.now)))
        res = conn.reservation
        if res and res["id"] == reservation_id and res["generation"] == generation:
            self.cp.log("info", f"reservation {reservation_id} expired")
            yield from self.cancel(reservation_id, expired=True)

    def cancel(self, reservation_id: int, expired: bool = False) -> Generator:
        for conn in self.cp.connectors.values():
            if conn.reservation and conn.reservation["id"] == reservation_id:
                conn.reservation = None
                yield from self.cp.call_logged(conn.evse, "cancel_reservation",
                                      reservation_id=reservation_id)
                self.cp.update_status(conn)
                if expired:
                    self.cp.reservation_expired(conn, reservation_id)
                return True
        return False
