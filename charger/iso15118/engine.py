"""What the SECC and the EVCC share: V2GTP framing over a link, EXI in and out, the message
hook, the route table, and ending a session exactly once.

Handlers are methods marked with :func:`on`, one per message type, as the ``ocpp`` package
routes its actions::

    @on("CableCheckReq")
    def cable_check(self, request) -> body: ...

The SECC routes requests and answers each with the body its handler returns; the EVCC routes
responses, and its handler returns the next request. Anything the peer sends that cannot be
framed or decoded ends the session with a stated reason; nothing a peer sends raises out of
the engine.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from charger.framework.values import FrozenValue
from charger.iso15118.link import Link
from charger.iso15118.protocols import BY_NAMESPACE, V2GProtocol
from charger.iso15118.timeouts import Timeouts
from charger.v2g import exi
from charger.v2g.errors import V2GError, V2GTPError
from charger.v2g.v2gtp import FrameReassembler, PayloadType, encode_frame

log = logging.getLogger(__name__)
_ON = "_v2g_on"


@dataclass(frozen=True)
class MessageRecord:
    """One V2G message as the timeline keeps it."""

    time: float  # simulated seconds
    direction: str  # "rx" or "tx", seen from the engine reporting it
    protocol: str  # "app", "din" or "iso2"
    name: str  # e.g. "SessionSetupReq", "supportedAppProtocolReq", or "Invalid"
    message: dict  # the decoded infoset dict (for "Invalid": the reason)
    hex: str  # the EXI payload, uppercase hex
    # The bus value of a message recorded before as it is (read-only, shared), else None.
    value: FrozenValue | None = field(default=None, compare=False, repr=False)

    def as_value(self) -> dict:
        """The ``v2g_message`` variable's value."""
        if self.value is not None:
            return self.value
        return {"direction": self.direction, "protocol": self.protocol, "name": self.name,
                "message": self.message, "hex": self.hex}


# What the record of a message is made of depends on its direction, protocol, name and bytes
# alone (the infoset of the bytes; the sender's message encodes to them and decodes back to the
# same infoset): the charging loop repeats the same few hundred messages, so each is made into
# its record once. Bounded: emptied when full.
_RECORDS: dict[tuple[str, str, str, bytes], FrozenValue] = {}
MAX_RECORDS = 4096

MessageHook = Callable[[MessageRecord], None]
Listener = Callable[[str, Any], None]


def on(*names: str) -> Callable[[Callable], Callable]:
    """Mark a method as the handler of the messages named (one name per protocol spelling)."""
    def mark(method: Callable) -> Callable:
        setattr(method, _ON, (*getattr(method, _ON, ()), *names))
        return method
    return mark


def route_table(cls: type) -> dict[str, str]:
    """Message name -> handler method name, for a class and its bases; one handler each."""
    cached = cls.__dict__.get("_v2g_routes")
    if cached is not None:
        return cached
    routes: dict[str, str] = {}
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        for message in getattr(member, _ON, ()):
            if message in routes:
                raise TypeError(f"{cls.__name__}: two handlers for {message}: "
                                f"{routes[message]} and {name}")
            routes[message] = name
    cls._v2g_routes = routes  # type: ignore[attr-defined]
    return routes


class Engine:
    """One V2G connection of an SECC or EVCC (subclasses route the messages)."""

    EVENTS: dict[str, str] = {}  # the vocabulary of notifications, declared by each side

    def __init__(self, env: simpy.Environment, link: Link, *, timeouts: Timeouts | None = None,
                 hook: MessageHook | None = None, listener: Listener | None = None):
        self.env = env
        self.link = link
        self.timeouts = timeouts or Timeouts()
        self.hook = hook
        self.listener = listener or (lambda _event, _payload: None)
        self.routes = route_table(type(self))
        self.namespace = "app"  # until SupportedAppProtocol has chosen
        self.protocol: V2GProtocol | None = None
        self.session_id = bytes(8)
        self.finished = env.event()  # value: the reason the session ended
        self._reassembler = FrameReassembler(payload_types=(PayloadType.EXI,))
        link.on_receive = self._on_bytes
        link.on_close = self._on_link_closed

    @classmethod
    def routes_for(cls) -> dict[str, str]:
        """The message names this side handles, and their handlers."""
        return route_table(cls)

    # --- notifications ----------------------------------------------------------------------
    def notify(self, event: str, payload: Any = None) -> None:
        if event not in self.EVENTS:
            raise KeyError(f"{type(self).__name__}: undeclared event {event!r}")
        self.listener(event, payload)

    # --- receiving --------------------------------------------------------------------------
    def _on_bytes(self, chunk: bytes) -> None:
        if self.finished.triggered:
            return
        try:
            frames = self._reassembler.feed(chunk)
        except V2GTPError as problem:
            self._record_invalid(chunk, f"V2GTP: {problem}")
            self.finish(f"malformed V2GTP frame: {problem}")
            return
        for frame in frames:
            if self.finished.triggered:
                return
            self._on_payload(frame.payload)

    def _on_payload(self, payload: bytes) -> None:
        try:
            message = exi.decode(self.namespace, payload)
        except V2GError as problem:
            self._record_invalid(payload, str(problem))
            self.undecodable(payload, str(problem))
            return
        name = self.message_name(message)
        self._record("rx", name, message, payload)
        self.route(name, message)

    def message_name(self, message: Any) -> str:
        if self.protocol is None or self.namespace == "app" \
                or not isinstance(message, self.protocol.module.V2G_Message):
            # Any global element decodes as a root (a lone body element, a signature): its
            # type's name is no message name, so the sides refuse it.
            return type(message).__name__
        body = message.Body.BodyElement
        return "EmptyBody" if body is None else self.protocol.body_name(body)

    def route(self, name: str, message: Any) -> None:
        """Give a decoded message to its handler (subclasses add their checks)."""
        handler = self.routes.get(name)
        if handler is None:
            self.unexpected(name, message)
            return
        self.run_handler(name, getattr(self, handler), message)

    def run_handler(self, name: str, handler: Callable, message: Any) -> None:
        try:
            result = handler(message)
        except Exception as problem:  # noqa: BLE001 - a handler's bug ends the session only
            log.exception("%s handler failed", name)
            self.finish(f"internal error handling {name}: {type(problem).__name__}: {problem}")
            return
        if inspect.isgenerator(result):
            self.env.process(self._finish_handler(name, result))
        else:
            self.handled(name, result)

    def _finish_handler(self, name: str, process: Generator) -> Generator:
        try:
            result = yield from process
        except Exception as problem:  # noqa: BLE001
            log.exception("%s handler failed", name)
            self.finish(f"internal error handling {name}: {type(problem).__name__}: {problem}")
            return
        if not self.finished.triggered:
            self.handled(name, result)

    # --- hooks for the sides ----------------------------------------------------------------
    def handled(self, name: str, result: Any) -> None:
        """A handler returned ``result`` for the message ``name``."""

    def unexpected(self, name: str, message: Any) -> None:
        self.finish(f"unexpected message {name}")

    def undecodable(self, payload: bytes, reason: str) -> None:
        self.finish(f"undecodable message: {reason}")

    # --- sending ----------------------------------------------------------------------------
    def send_app(self, message: Any) -> None:
        self._send("app", message)

    def send_body(self, body: Any) -> None:
        assert self.protocol is not None
        self._send(self.protocol.key, self.protocol.message(self.session_id, body))

    def _send(self, namespace: str, message: Any) -> None:
        if self.finished.triggered:
            return
        try:
            data = exi.encode(namespace, message)
        except V2GError as problem:  # a value from our side the schema refuses
            log.error("cannot encode a %s message: %s", namespace, problem)
            self.finish(f"cannot encode our message: {problem}")
            return
        self._record("tx", self.message_name(message) if namespace != "app"
                     else type(message).__name__, message, data, namespace)
        self.link.send(encode_frame(PayloadType.EXI, data))

    def send_garbage(self, payload: bytes, reason: str) -> None:
        """Send bytes that are no message (an injected fault), recorded as ``Invalid``."""
        if self.hook is not None:
            self.hook(MessageRecord(self.env.now, "tx", self.namespace, "Invalid",
                                    {"reason": reason}, payload.hex().upper()))
        self.link.send(encode_frame(PayloadType.EXI, payload))

    def choose(self, namespace_urn: str) -> None:
        """From now on messages are of this protocol (after SupportedAppProtocol)."""
        self.protocol = BY_NAMESPACE[namespace_urn]
        self.namespace = self.protocol.key

    # --- the record -------------------------------------------------------------------------
    def _record(self, direction: str, name: str, message: Any, payload: bytes,
                namespace: str | None = None) -> None:
        if self.hook is None:
            return
        protocol = namespace or self.namespace
        key = (direction, protocol, name, bytes(payload))
        value = _RECORDS.get(key)
        if value is None:
            if len(_RECORDS) >= MAX_RECORDS:
                _RECORDS.clear()
            value = _RECORDS[key] = FrozenValue(
                direction=direction, protocol=protocol, name=name, message=exi.to_dict(message),
                hex=payload.hex().upper())
        self.hook(MessageRecord(self.env.now, direction, protocol, name, value["message"],
                                value["hex"], value))

    def _record_invalid(self, payload: bytes, reason: str) -> None:
        if self.hook is not None:
            self.hook(MessageRecord(self.env.now, "rx", self.namespace, "Invalid",
                                    {"reason": reason}, bytes(payload[:512]).hex().upper()))

    # --- the end ----------------------------------------------------------------------------
    def finish(self, reason: str) -> None:
        """End the session once: close the link, tell the listener."""
        if self.finished.triggered:
            return
        self.finished.succeed(reason)
        self.link.close(reason)
        self.ended(reason)

    def ended(self, reason: str) -> None:
        """The session has ended (subclasses notify their listener)."""

    def _on_link_closed(self, reason: str) -> None:
        self.finish(f"connection lost: {reason}")
