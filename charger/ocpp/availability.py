"""Availability of the connectors (ChangeAvailability, kept across restarts) and the simulated
reset of the charge point (Reset), including what waits for a running transaction to end."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charger.ocpp.base import Connector, OcppChargePoint


class Availability:
    def __init__(self, cp: OcppChargePoint):
        self.cp = cp
        self.resetting = False
        self.scheduled_reset: str | None = None  # a reset waiting for the transactions to end

    def restore(self) -> None:
        """At start: connectors the backend made inoperative stay so."""
        inoperative = set(self.cp.store.get("inoperative", []))
        for conn in self.cp.connectors.values():
            if conn.number in inoperative:
                conn.operative = False
                conn.evse.send("enable_disable", enable=False)

    def transaction_ended(self, conn: Connector) -> None:
        """What waited for the end of a transaction: an availability change, a reset."""
        if conn.scheduled_operative is not None:
            operative, conn.scheduled_operative = conn.scheduled_operative, None
            self.cp.start(self.set_operative(conn, operative))
        if self.scheduled_reset and not any(c.tx for c in self.cp.connectors.values()):
            kind, self.scheduled_reset = self.scheduled_reset, None
            self.cp.start(self.reboot(kind))

    def set_operative(self, conn: Connector, operative: bool) -> Generator:
        """Record the availability at once (it survives a restart), then apply it."""
        conn.operative = operative
        inoperative = {c.number for c in self.cp.connectors.values() if not c.operative}
        self.cp.store.put("inoperative", sorted(inoperative))
        return self._apply(conn, operative)

    def _apply(self, conn: Connector, operative: bool) -> Generator:
        yield from self.cp.call_logged(conn.evse, "enable_disable", enable=operative)
        self.cp.update_status(conn)

    def change(self, targets: list[Connector], operative: bool) -> str:
        """Accepted, or Scheduled when a transaction runs on a connector going inoperative."""
        scheduled = False
        for conn in targets:
            if not operative and conn.tx is not None:
                conn.scheduled_operative = False
                scheduled = True
            else:
                conn.scheduled_operative = None
                self.cp.start(self.set_operative(conn, operative))
        return "Scheduled" if scheduled else "Accepted"

    def reboot(self, kind: str) -> Generator:
        """A simulated restart: stop transactions (reason ``kind``), leave the backend, come
        back and boot again. The world (cars, board) stays as it is."""
        if self.resetting:
            return
        self.resetting = True
        try:
            self.cp.log("info", f"reset ({kind})")
            for conn in self.cp.connectors.values():
                if conn.tx is not None:
                    yield from self.cp.transactions.stop(conn, kind)
            env = self.cp.env
            deadline = float(env.now) + float(self.cp.config["reset_flush_s"])
            while float(env.now) < deadline and self.cp.connected and (
                    self.cp.store.count_pending()
                    or any(c.tx for c in self.cp.connectors.values())):
                yield env.timeout(0.5)
            self.cp.link.send("close")
            self.cp.registration = "Unknown"
            self.cp.boot_reason = "RemoteReset"
            self.cp.publish_status()
            yield self.cp.env.timeout(float(self.cp.config["reboot_s"]))
            self.cp.open_link()
        finally:
            self.resetting = False
