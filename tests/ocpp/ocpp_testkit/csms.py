"""A real OCPP backend for tests: the ``ocpp`` package's central-system side (``ocpp.v16`` and
``ocpp.v201`` ``ChargePoint`` classes with ``@on`` handlers) behind a ``websockets`` server on a
free loopback port, on a thread of its own.

Tests talk to it synchronously: ``call`` sends a backend request and returns the reply,
``wait_for`` blocks (with a timeout) until a received request matches. Every received request
is recorded with whether its message id was seen before; a repeated id is answered with the
reply sent the first time and not processed again, as a backend that guarantees exactly-once
processing does.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from websockets.asyncio.server import ServerConnection, serve


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Chaos:
    """A hostile network between the charge point and this backend, from a seeded generator:
    requests lost before they are processed, replies lost after, replies sent twice, and
    processing delayed (sometimes past the charge point's response timeout)."""

    seed: int = 1
    drop_request: float = 0.1
    lose_reply: float = 0.1
    duplicate_reply: float = 0.1
    max_delay_s: float = 0.5
    events: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def roll(self, chance: float, what: str) -> bool:
        hit = self.rng.random() < chance
        if hit:
            self.events.append(what)
        return hit


@dataclass
class Received:
    cp_id: str
    version: str
    action: str
    unique_id: str
    payload: dict
    duplicate: bool
    wall: float = field(default_factory=time.monotonic)


class _Backend:
    """Shared behaviour of both central-system classes: dedup, records, swallowing replies."""

    csms: TestCsms

    def _setup(self, csms: TestCsms, version: str) -> None:
        self.csms = csms
        self.version = version
        self.replies: dict[str, str] = csms.replies.setdefault(self.id, {})
        self._current: str | None = None
        self._current_action = ""

    async def route_message(self, raw_msg: str) -> None:  # type: ignore[override]
        try:
            message = json.loads(raw_msg)
        except ValueError:
            message = None
        chaos = self.csms.chaos
        if isinstance(message, list) and len(message) == 4 and message[0] == 2 and chaos:
            if chaos.roll(chaos.drop_request, f"dropped request {message[1]}"):
                return
            await asyncio.sleep(chaos.rng.uniform(0, chaos.max_delay_s))
        if isinstance(message, list) and len(message) == 4 and message[0] == 2:
            unique_id, action = str(message[1]), str(message[2])
            duplicate = unique_id in self.replies
            payload = message[3] if isinstance(message[3], dict) else {}
            self.csms._record(Received(self.id, self.version, action, unique_id, payload,
                                       duplicate))
            if duplicate:
                await self._connection.send(self.replies[unique_id])
                return
            self._current, self._current_action = unique_id, action
        await super().route_message(raw_msg)  # type: ignore[misc]

    async def _send(self, message: str) -> None:  # type: ignore[override]
        data = json.loads(message)
        if data[0] in (3, 4) and data[1] == self._current:
            self.replies[data[1]] = message
            self._current = None
            chaos = self.csms.chaos
            if chaos and chaos.roll(chaos.lose_reply, f"lost reply {data[1]}"):
                return
            if chaos and chaos.roll(chaos.duplicate_reply, f"duplicated reply {data[1]}"):
                await self._connection.send(message)
            if self.csms.swallow.get(self.id) == self._current_action:
                del self.csms.swallow[self.id]
                # Processed, but the reply is lost and the backend becomes unreachable.
                self.csms.online = False
                self.csms._notify()
                await self._connection.close()
                return
        await self._connection.send(message)


class CentralSystem16(_Backend, ChargePoint16):
    @on(Action16.boot_notification)
    def on_boot(self, charge_point_vendor: str, charge_point_model: str, **_: Any):
        return result16.BootNotification(current_time=now_iso(),
                                         interval=self.csms.heartbeat_s,
                                         status=self.csms.boot_status)

    @on(Action16.heartbeat)
    def on_heartbeat(self, **_: Any):
        return result16.Heartbeat(current_time=now_iso())

    @on(Action16.status_notification)
    def on_status(self, **_: Any):
        return result16.StatusNotification()

    @on(Action16.authorize)
    def on_authorize(self, id_tag: str, **_: Any):
        return result16.Authorize(id_tag_info={"status": self.csms.token_status(id_tag)})

    @on(Action16.start_transaction)
    def on_start(self, connector_id: int, id_tag: str, **_: Any):
        number = next(self.csms.tx_numbers)
        self.csms.transactions[(self.id, connector_id)] = number
        return result16.StartTransaction(transaction_id=number, id_tag_info={
            "status": self.csms.token_status(id_tag)})

    @on(Action16.stop_transaction)
    def on_stop(self, transaction_id: int, **_: Any):
        for key, number in list(self.csms.transactions.items()):
            if number == transaction_id:
                del self.csms.transactions[key]
        return result16.StopTransaction()

    @on(Action16.meter_values)
    def on_meter_values(self, **_: Any):
        return result16.MeterValues()

    @on(Action16.data_transfer)
    def on_data_transfer(self, **_: Any):
        return result16.DataTransfer(status="Accepted")


class CentralSystem201(_Backend, ChargePoint201):
    @on(Action201.boot_notification)
    def on_boot(self, charging_station: dict, reason: str, **_: Any):
        return result201.BootNotification(current_time=now_iso(),
                                          interval=self.csms.heartbeat_s,
                                          status=self.csms.boot_status)

    @on(Action201.heartbeat)
    def on_heartbeat(self, **_: Any):
        return result201.Heartbeat(current_time=now_iso())

    @on(Action201.status_notification)
    def on_status(self, **_: Any):
        return result201.StatusNotification()

    @on(Action201.authorize)
    def on_authorize(self, id_token: dict, **_: Any):
        return result201.Authorize(id_token_info={
            "status": self.csms.token_status(id_token["id_token"])})

    @on(Action201.transaction_event)
    def on_transaction_event(self, event_type: str, transaction_info: dict,
                             evse: dict | None = None, id_token: dict | None = None, **_: Any):
        if event_type == "Started" and evse:
            self.csms.transactions[(self.id, evse["id"])] = transaction_info["transaction_id"]
        elif event_type == "Ended":
            for key, tx in list(self.csms.transactions.items()):
                if tx == transaction_info["transaction_id"]:
                    del self.csms.transactions[key]
        if id_token:
            return result201.TransactionEvent(id_token_info={
                "status": self.csms.token_status(id_token["id_token"])})
        return result201.TransactionEvent()

    @on(Action201.meter_values)
    def on_meter_values(self, **_: Any):
        return result201.MeterValues()

    @on(Action201.data_transfer)
    def on_data_transfer(self, **_: Any):
        return result201.DataTransfer(status="Accepted")


class TestCsms:
    """A backend for OCPP 1.6 and 2.0.1 on 127.0.0.1 (a free port), on its own thread."""

    __test__ = False  # not a pytest test class

    def __init__(self, versions: tuple[str, ...] = ("ocpp1.6", "ocpp2.0.1"),
                 password: str | None = None, ssl_context: ssl.SSLContext | None = None,
                 tokens: dict[str, str] | None = None):
        self.versions = versions
        self.password = password
        self.ssl_context = ssl_context
        self.tokens = dict(tokens or {})
        self.boot_status = "Accepted"
        self.heartbeat_s = 300
        self.online = True
        self.swallow: dict[str, str] = {}  # cp id -> action whose next reply is lost (then offline)
        self.replies: dict[str, dict[str, str]] = {}
        self.received: list[Received] = []
        self.transactions: dict[tuple[str, int], Any] = {}
        self.tx_numbers = itertools.count(1)
        self.charge_points: dict[str, _Backend] = {}
        self.rejected_handshakes: list[str] = []
        self.drop_at_once = False  # accept the WebSocket and close it at once
        self.chaos: Chaos | None = None
        self.accepted_connections = 0
        self._cond = threading.Condition()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="test-csms")
        self._server: Any = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> TestCsms:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self) -> Any:
        return await serve(self._handler, "127.0.0.1", 0,
                           subprotocols=list(self.versions) or None,
                           process_request=self._process_request, ssl=self.ssl_context,
                           close_timeout=1)

    def stop(self) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)

    @property
    def url(self) -> str:
        scheme = "wss" if self.ssl_context else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/ocpp"

    # --- the server --------------------------------------------------------------------------
    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        if not self.online:
            self.rejected_handshakes.append("offline")
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "backend offline\n")
        if self.password is not None:
            cp_id = request.path.rstrip("/").rsplit("/", 1)[-1]
            expected = "Basic " + base64.b64encode(f"{cp_id}:{self.password}".encode()).decode()
            if request.headers.get("Authorization") != expected:
                self.rejected_handshakes.append("unauthorized")
                return connection.respond(HTTPStatus.UNAUTHORIZED, "wrong credentials\n")
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        cp_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
        self.accepted_connections += 1
        if self.drop_at_once:
            await connection.close(1011, "going away at once")
            return
        if connection.subprotocol == "ocpp1.6":
            cp: _Backend = CentralSystem16(cp_id, connection)
            cp._setup(self, "1.6")
        elif connection.subprotocol == "ocpp2.0.1":
            cp = CentralSystem201(cp_id, connection)
            cp._setup(self, "2.0.1")
        else:
            self.rejected_handshakes.append(f"subprotocol {connection.subprotocol!r}")
            await connection.close(1002, "no OCPP subprotocol agreed")
            return
        self.charge_points[cp_id] = cp
        with self._cond:
            self._cond.notify_all()
        try:
            await cp.start()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - the connection closed
            pass
        finally:
            if self.charge_points.get(cp_id) is cp:
                del self.charge_points[cp_id]

    # --- records and waiting -------------------------------------------------------------------
    def _record(self, item: Received) -> None:
        with self._cond:
            self.received.append(item)
            self._cond.notify_all()

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def token_status(self, token: str) -> str:
        return self.tokens.get(token, "Accepted")

    def calls(self, action: str | None = None, cp_id: str | None = None,
              include_duplicates: bool = True) -> list[Received]:
        with self._cond:
            return [r for r in self.received if (action is None or r.action == action)
                    and (cp_id is None or r.cp_id == cp_id)
                    and (include_duplicates or not r.duplicate)]

    def wait_for(self, predicate: Callable[[list[Received]], Any], timeout: float = 20.0,
                 what: str = "condition") -> Any:
        """Block until ``predicate(received)`` is truthy; return its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate(list(self.received))
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    actions = [f"{r.action}{'(dup)' if r.duplicate else ''}"
                               for r in self.received]
                    raise TimeoutError(f"test CSMS: no {what} within {timeout} s; received "
                                       f"{actions}")
                self._cond.wait(min(left, 0.2))  # state may change without a new record

    def wait_call(self, action: str, count: int = 1, timeout: float = 20.0,
                  where: Callable[[Received], bool] | None = None) -> Received:
        def found(items: list[Received]) -> Received | None:
            hits = [r for r in items if r.action == action and not r.duplicate
                    and (where is None or where(r))]
            return hits[count - 1] if len(hits) >= count else None
        return self.wait_for(found, timeout, f"{count} x {action}")

    def wait_connected(self, cp_id: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while cp_id not in self.charge_points:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{cp_id} did not connect within {timeout} s")
                self._cond.wait(left)

    # --- the backend's requests --------------------------------------------------------------
    def call(self, cp_id: str, payload: Any, timeout: float = 20.0) -> Any:
        """Send a request (an ``ocpp`` call dataclass) to a connected charge point."""
        self.wait_connected(cp_id, timeout)
        cp = self.charge_points[cp_id]
        future = asyncio.run_coroutine_threadsafe(
            cp.call(payload, suppress=False), self.loop)  # type: ignore[attr-defined]
        return future.result(timeout)

    def send_raw(self, cp_id: str, text: str, timeout: float = 10.0) -> None:
        self.wait_connected(cp_id, timeout)
        cp = self.charge_points[cp_id]
        asyncio.run_coroutine_threadsafe(cp._connection.send(text), self.loop).result(timeout)

    def disconnect(self, cp_id: str | None = None) -> None:
        """Close connections (all, or one charge point's)."""
        async def close() -> None:
            for key, cp in list(self.charge_points.items()):
                if cp_id is None or key == cp_id:
                    await cp._connection.close()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
