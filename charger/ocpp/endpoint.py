"""One side of an OCPP-J connection, shared by the charge points (``Ocpp16``, ``Ocpp201``) and the
simulated backend (``SimCsms``).

The endpoint turns received text into frames (:mod:`charger.ocpp.frames`: decoding, framing and
the schemas, both ways), routes each request to the handler its host declared for the action,
answers with the handler's typed result, and pairs the replies to its host's own calls, one call
in flight at a time (OCPP-J allows one outstanding request per side).

Handlers are methods of the host, marked like the ``ocpp`` package's ``@on``/``@after``::

    @on("Reset")
    def reset(self, type: str, **_: Any) -> call_result.Reset: ...

    @after("Reset")
    def reboot_after_reset(self, response: call_result.Reset, type: str, **_: Any) -> None: ...

Arguments are the payload's fields in snake_case. Only the top level is renamed: nested objects
stay as sent (camelCase), since they go on to parsers that read the wire format (charging
profiles, id tokens). An ``@on`` handler may be a generator (it runs on the simulation clock) and
returns an ``ocpp`` ``call_result`` dataclass (or a dict); the reply is checked against the
schema before it is sent. ``@after`` handlers run once the CallResult has been handed to the
link; unlike the package's, they also receive the ``response`` they followed.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy
from ocpp.messages import MessageType

from charger.ocpp.frames import (
    Frame,
    FrameError,
    check_payload,
    decode,
    encode_call,
    encode_error,
    encode_result,
    error_code,
    known_actions,
    to_payload,
)

RAW_CUT = 500  # characters of an undecodable frame kept in the records
_ON, _AFTER = "_ocpp_on", "_ocpp_after"


def on(action: str, version: str | None = None) -> Callable[[Callable], Callable]:
    """Mark a method as the handler of the requests of one action (of one protocol version,
    for a host that speaks both)."""
    def mark(method: Callable) -> Callable:
        setattr(method, _ON, (*getattr(method, _ON, ()), (version, action)))
        return method
    return mark


def after(action: str, version: str | None = None) -> Callable[[Callable], Callable]:
    """Mark a method to run after a request of ``action`` has been answered (CallResult)."""
    def mark(method: Callable) -> Callable:
        setattr(method, _AFTER, (*getattr(method, _AFTER, ()), (version, action)))
        return method
    return mark


Key = tuple[str | None, str]  # (version or None for any, action)


@dataclass(frozen=True)
class RouteTable:
    handlers: dict[Key, str]  # -> name of the @on method
    afters: dict[Key, tuple[str, ...]]  # -> names of the @after methods

    def handler(self, version: str, action: str) -> str | None:
        return self.handlers.get((version, action)) or self.handlers.get((None, action))

    def after(self, version: str, action: str) -> tuple[str, ...]:
        return self.afters.get((version, action), ()) + self.afters.get((None, action), ())


def route_table(cls: type) -> RouteTable:
    """The routes a class (and its bases) declare; one handler per action."""
    cached = cls.__dict__.get("_ocpp_route_table")
    if cached is not None:
        return cached
    handlers: dict[Key, str] = {}
    afters: dict[Key, list[str]] = {}
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        for key in getattr(member, _ON, ()):
            if key in handlers:
                raise TypeError(f"{cls.__name__}: two handlers for {key[1]}: "
                                f"{handlers[key]} and {name}")
            handlers[key] = name
        for key in getattr(member, _AFTER, ()):
            afters.setdefault(key, []).append(name)
    table = RouteTable(handlers, {a: tuple(n) for a, n in afters.items()})
    cls._ocpp_route_table = table  # type: ignore[attr-defined]
    return table


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def arguments(payload: dict) -> dict[str, Any]:
    """A request payload as handler arguments (top-level names in snake_case)."""
    return {snake_case(k): v for k, v in payload.items()}


@dataclass(frozen=True)
class InFlight:
    unique_id: str
    action: str


@dataclass
class Outcome:
    """What became of one of our calls."""

    status: str  # result | error | invalid | timeout | down | unsent
    payload: dict | None = None  # the CallResult's payload (status "result")
    frame: Frame | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "result"


class Endpoint:
    """The OCPP-J endpoint of one module (``host``) for one protocol version.

    ``transmit(text)`` hands a frame to the link: it returns whether it was sent, or a simpy
    event whose value says so. ``record(direction, message_type, action, unique_id, payload,
    queued=False)`` sees every message (decoded) in both directions. ``intercept(frame)`` may
    take a request before it is routed (return True: the host has dealt with it, e.g. a
    duplicate or a refusal); ``deliver(frame, text)`` sends a reply (default: ``transmit``).
    """

    def __init__(self, host: Any, version: str, transmit: Callable[[str], Any],
                 record: Callable[..., None] | None = None,
                 intercept: Callable[[Frame], bool] | None = None,
                 deliver: Callable[[Frame, str], None] | None = None,
                 log: Callable[[str, str], None] | None = None):
        self.host = host
        self.env: simpy.Environment = host.env
        self.version = version
        self.transmit = transmit
        self.record = record or (lambda *_, **__: None)
        self.intercept = intercept or (lambda _frame: False)
        self.deliver = deliver or (lambda _frame, text: self._transmit_now(text))
        self.log = log or host.log
        self.routes = route_table(type(host))
        self._waiting: tuple[str, str, simpy.Event] | None = None  # (id, action, reply event)
        self._idle: simpy.Event = self.env.event()

    # --- receiving -------------------------------------------------------------------------
    def received(self, raw: Any) -> None:
        """One frame from the peer: a request is routed, a reply paired, garbage answered as
        OCPP-J says (or ignored) and recorded."""
        try:
            frame = decode(raw, self.version)
        except FrameError as problem:
            self.record("rx", "Invalid", "", problem.unique_id or "",
                        {"raw": str(raw)[:RAW_CUT], "reason": problem.reason})
            if problem.reply is None:
                self.log("warning", f"ignored a frame: {problem.reason}")
            else:
                self.reply_error(Frame(MessageType.Call, problem.unique_id or "-1"),
                                 problem.reply, problem.reason)
            return
        if frame.message_type == MessageType.Call:
            self._route(frame)
        else:
            self._pair(frame)

    def _route(self, frame: Frame) -> None:
        self.record("rx", "Call", frame.action, frame.unique_id, frame.payload)
        if self.intercept(frame):
            return
        name = self.routes.handler(self.version, frame.action)
        if name is None:
            kind = "not_supported" if frame.action in known_actions(self.version) \
                else "not_implemented"
            self.reply_error(frame, kind, f"{frame.action} is not "
                             f"{'supported' if kind == 'not_supported' else 'known'}")
            return
        problem = check_payload(MessageType.Call, frame.action, frame.payload, self.version)
        if problem is not None:
            self.reply_error(frame, problem.reply or "format", problem.reason)
            return
        self.host.start(self._serve(frame, getattr(self.host, name)))

    def _serve(self, frame: Frame, handler: Callable) -> Generator:
        args = arguments(frame.payload)
        try:
            response = handler(**args)
            if inspect.isgenerator(response):
                response = yield from response
        except Exception as exc:  # noqa: BLE001 - reported, answered, never fatal
            self.host._record_exception(exc)
            self.reply_error(frame, "internal", f"{type(exc).__name__}: {exc}")
            return
        payload = to_payload(response)
        problem = check_payload(MessageType.CallResult, frame.action, payload, self.version)
        if problem is not None:
            self.log("error", f"our reply to {frame.action} violates its schema: "
                     f"{problem.reason}")
            self.reply_error(frame, "internal", "reply could not be built")
            return
        self.record("tx", "CallResult", frame.action, frame.unique_id, payload)
        self.deliver(frame, encode_result(frame.unique_id, payload))
        for name in self.routes.after(self.version, frame.action):
            try:
                getattr(self.host, name)(response=response, **args)
            except Exception as exc:  # noqa: BLE001
                self.host._record_exception(exc)

    def reply_error(self, frame: Frame, kind: str, description: str) -> None:
        code = error_code(kind, self.version)
        self.record("tx", "CallError", frame.action, frame.unique_id,
                    {"errorCode": code, "errorDescription": description[:255],
                     "errorDetails": {}})
        self.deliver(frame, encode_error(frame.unique_id, code, description))

    def _pair(self, frame: Frame) -> None:
        waiting = self._waiting
        matched = waiting is not None and waiting[0] == frame.unique_id \
            and not waiting[2].triggered
        action = waiting[1] if matched and waiting is not None else ""
        payload = frame.payload if frame.message_type == MessageType.CallResult else {
            "errorCode": frame.error_code, "errorDescription": frame.error_description,
            "errorDetails": frame.error_details}
        self.record("rx", frame.type_name, action, frame.unique_id, payload)
        if not matched or waiting is None:
            self.log("warning", f"ignored a {frame.type_name} for message id "
                     f"{frame.unique_id!r}: no request of ours is waiting for it")
            return
        waiting[2].succeed(frame)

    # --- calling ---------------------------------------------------------------------------
    @property
    def in_flight(self) -> InFlight | None:
        """Our call waiting for its reply, if any."""
        if self._waiting is None:
            return None
        return InFlight(self._waiting[0], self._waiting[1])

    def call(self, unique_id: str, action: str, payload: dict, timeout_s: float,
             down: simpy.Event | None = None, queued: bool = False
             ) -> Generator[Any, Any, Outcome]:
        """Send one request and wait for its reply (or the timeout, or ``down``). One call at a
        time: a second caller waits until the first call is over."""
        while self._waiting is not None:
            yield self._idle
        reply = self.env.event()
        self._waiting = (unique_id, action, reply)
        try:
            self.record("tx", "Call", action, unique_id, payload, queued=queued)
            sent = self.transmit(encode_call(unique_id, action, payload))
            if isinstance(sent, simpy.Event):
                try:
                    sent = yield sent
                except Exception as error:  # noqa: BLE001 - a link that refuses is "unsent"
                    self.log("warning", f"link refused a frame: {error}")
                    sent = False
            if not sent:
                return Outcome("unsent", reason="the link is down")
            waits: list[simpy.Event] = [reply, self.env.timeout(timeout_s)]
            if down is not None:
                waits.append(down)
            yield self.env.any_of(waits)
        finally:
            self._waiting = None
            idle, self._idle = self._idle, self.env.event()
            idle.succeed()
        if not reply.triggered:
            return Outcome("down" if down is not None and down.triggered else "timeout",
                           reason="connection lost" if down is not None and down.triggered
                           else "no reply in time")
        frame: Frame = reply.value
        if frame.message_type == MessageType.CallError:
            return Outcome("error", frame=frame,
                           reason=f"CallError {frame.error_code}: {frame.error_description}")
        problem = check_payload(MessageType.CallResult, action, frame.payload, self.version)
        if problem is not None:
            return Outcome("invalid", frame=frame, reason=f"invalid reply: {problem.reason}")
        return Outcome("result", payload=frame.payload, frame=frame)

    def _transmit_now(self, text: str) -> None:
        self.transmit(text)
