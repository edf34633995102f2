"""Delivery of the charge point's requests to its backend, one at a time, and the promise about
transaction messages, kept here and nowhere else.

Transaction messages (StartTransaction, MeterValues of a transaction, StopTransaction;
TransactionEvent) are written to the store with the next sequence number *before* they are sent
and deleted only when their CallResult has arrived (and been applied), so neither a lost
connection nor a crash of the process loses one. They go out strictly in sequence order, each
with a message id that never changes except after a CallError (the backend did not process it).
A message whose reply was lost is sent again with the same id: the backend sees every message
at least once and, deduplicating by message id, processes it exactly once. A connection loss or
a restart never counts as an attempt; a wrong or missing answer while connected does, up to
TransactionMessageAttempts, after which the message is given up and recorded as ``dropped``.

Other requests are volatile: not sent while offline, released when the connection drops.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy
from ocpp.messages import MessageType

from charger.ocpp.frames import action_of, check_payload, to_payload
from charger.ocpp.store import QueuedMessage

if TYPE_CHECKING:
    from charger.ocpp.base import OcppChargePoint


@dataclass
class Ticket:
    """One request waiting to be sent: a volatile one (payload here) or a transaction message
    (``seq`` in the store)."""

    action: str
    unique_id: str
    payload: dict | None = None
    seq: int | None = None
    done: simpy.Event | None = None


class Delivery:
    def __init__(self, cp: OcppChargePoint):
        self.cp = cp
        self.env = cp.env
        self.store = cp.store
        self.outbox: deque[Ticket] = deque()
        self._wakeup: simpy.Event = self.env.event()

    # --- what the charge point hands over ---------------------------------------------------
    def request(self, message: Any, boot: bool = False) -> Generator[Any, Any, dict | None]:
        """Send a request and wait for its CallResult payload (None: not sent, CallError,
        timeout, invalid reply). Only BootNotification goes out before registration."""
        if not self.cp.connected or (self.cp.registration != "Accepted" and not boot):
            return None
        payload = self._checked(message)
        if payload is None:
            return None
        ticket = Ticket(action_of(message), self.cp.new_id(), payload, done=self.env.event())
        if boot:
            self.outbox.appendleft(ticket)
        else:
            self.outbox.append(ticket)
        self.wake()
        result = yield ticket.done
        return result

    def notify(self, message: Any) -> None:
        """Send a request without waiting for its reply; dropped while offline."""
        if not self.cp.online:
            return
        payload = self._checked(message)
        if payload is not None:
            self.outbox.append(Ticket(action_of(message), self.cp.new_id(), payload))
            self.wake()

    def enqueue_transaction_message(self, message: Any, tx_ref: str | None,
                                    tx_update: tuple[str, dict] | None = None) -> None:
        """Persist a transaction message, then queue it for sending (in order, exactly once)."""
        payload = self._checked(message)
        if payload is None:
            return
        action = action_of(message)
        unique_id = self.cp.new_id()
        seq = self.store.enqueue(unique_id, action, payload, tx_ref, tx_update)
        self.outbox.append(Ticket(action, unique_id, seq=seq))
        self.cp.publish_status()
        self.wake()

    def recover(self) -> int:
        """After a restart: queue again what the store holds unacknowledged; how many."""
        pending = self.store.pending()
        for message in pending:
            self.outbox.append(Ticket(message.action, message.unique_id, seq=message.seq))
        return len(pending)

    def waiting(self, action: str) -> bool:
        return any(t.action == action for t in self.outbox)

    def connection_lost(self) -> None:
        """Volatile requests are released (their callers get None); queued ones stay."""
        for ticket in self.outbox:
            if ticket.seq is None and ticket.done is not None and not ticket.done.triggered:
                ticket.done.succeed(None)
        self.outbox = deque(t for t in self.outbox if t.seq is not None)

    def wake(self) -> None:
        if not self._wakeup.triggered:
            self._wakeup.succeed()

    def _checked(self, message: Any) -> dict | None:
        payload = to_payload(message)
        problem = check_payload(MessageType.Call, action_of(message), payload, self.cp.version)
        if problem is not None:
            self.cp.log("error", f"not sending an invalid {action_of(message)}: "
                        f"{problem.reason}")
            return None
        return payload

    # --- the sender --------------------------------------------------------------------------
    def run(self) -> Generator:
        while True:
            ticket = self._take()
            if ticket is None:
                self._wakeup = self.env.event()
                yield self._wakeup
                continue
            yield from self._exchange(ticket)

    def _take(self) -> Ticket | None:
        if not self.cp.connected:
            return None
        if self.cp.registration != "Accepted":
            for ticket in self.outbox:
                if ticket.action == "BootNotification":
                    self.outbox.remove(ticket)
                    return ticket
            return None
        return self.outbox.popleft() if self.outbox else None

    def _exchange(self, ticket: Ticket) -> Generator:
        message: QueuedMessage | None = None
        if ticket.seq is not None:
            message = self.store.message(ticket.seq)
            if message is None:
                return
            ticket.unique_id = message.unique_id
            payload = self.cp.materialize(message)
            if payload is None:
                self._drop(message, "it refers to a transaction the backend never confirmed")
                return
        else:
            payload = ticket.payload or {}
        outcome = yield from self.cp.endpoint.call(
            ticket.unique_id, ticket.action, payload,
            float(self.cp.config["response_timeout_s"]), down=self.cp.down,
            queued=ticket.seq is not None)
        if outcome.ok:
            self._succeeded(ticket, message, outcome.payload or {})
        elif outcome.status in ("unsent", "down"):
            self._undelivered(ticket)
        elif outcome.status == "invalid":
            self.cp.log("warning", f"{ticket.action}: {outcome.reason}")
            yield from self._failed(ticket, message, "invalid reply", new_id=False)
        else:  # a CallError means the backend did not process it: a retry is a new message
            yield from self._failed(ticket, message, outcome.reason,
                                    new_id=outcome.status == "error")

    def _succeeded(self, ticket: Ticket, message: QueuedMessage | None, payload: dict) -> None:
        if message is None:
            if ticket.done is not None and not ticket.done.triggered:
                ticket.done.succeed(payload)
            return
        try:
            self.cp.transaction_result(message, payload)
        finally:
            self.store.acknowledge(message.seq)
            self.store.forget_closed_transactions()
            self.cp.publish_status()

    def _failed(self, ticket: Ticket, message: QueuedMessage | None, reason: str,
                new_id: bool) -> Generator:
        if message is None:
            self.cp.log("warning", f"{ticket.action} failed: {reason}")
            if ticket.done is not None and not ticket.done.triggered:
                ticket.done.succeed(None)
            return
        attempts = self.store.count_attempt(message.seq)
        if attempts >= int(self.cp.settings["tx_attempts"]):
            self._drop(message, f"{reason} ({attempts} attempts)")
            return
        if new_id:
            self.store.renumber(message.seq, self.cp.new_id())
        wait = int(self.cp.settings["tx_retry_interval"]) * attempts
        self.cp.log("warning", f"{message.action} failed: {reason}; attempt {attempts + 1} "
                    f"in {wait} s")
        self.outbox.appendleft(ticket)
        yield self.env.timeout(wait)

    def _undelivered(self, ticket: Ticket) -> None:
        if ticket.seq is not None:
            self.outbox.appendleft(ticket)  # stays first: order is kept
        elif ticket.done is not None and not ticket.done.triggered:
            ticket.done.succeed(None)

    def _drop(self, message: QueuedMessage, reason: str) -> None:
        self.cp.log("error", f"gave up {message.action} {message.unique_id}: {reason}")
        self.cp.record_message("dropped", "Call", message.action, message.unique_id,
                               message.payload, queued=True)
        self.store.acknowledge(message.seq)
        self.cp.publish_status()
