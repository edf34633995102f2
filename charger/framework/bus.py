"""The bus interface every module talks through, and the messages it carries.

A bus moves three kinds of message between module implementations, addressed by
``(module_id, impl_id)``:

* **commands**: a call with JSON arguments that completes a simpy event with the result, or
  fails it with a :class:`CommandError` of a known :class:`CommandErrorType`;
* **variables**: a value published by an implementation to every subscriber;
* **errors**: an :class:`ErrorReport` raised or cleared by an implementation.

Implementations (in-process on virtual time, MQTT on the wall clock) only transport; schema
checks and handler plumbing live in :mod:`charger.framework.module`, so they happen once and the
same way on every bus. A *tap* sees every message, which is how the recorder builds the timeline.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import simpy

# handler(args, origin) -> result value, or a simpy event whose value is the result.
CommandHandler = Callable[[dict, str], Any]
Tap = Callable[[str, str, str, Any], None]  # (kind, source, name, value)


class CommandErrorType(StrEnum):
    """Why a command produced no result: EVerest's six reasons, and two of evbench's own."""

    PARSE_FAILURE = "MessageParsingError"  # the request or reply could not be decoded
    SCHEMA_VIOLATION = "SchemaValidationError"  # arguments or result do not match the interface
    HANDLER_EXCEPTION = "HandlerException"  # the handler raised
    TIMEOUT = "CmdTimeout"  # no reply in time
    SHUTDOWN = "Shutdown"  # the target is shutting down
    NOT_READY = "NotReady"  # the target module has not signalled ready (or is down)
    UNKNOWN_COMMAND = "UnknownCommand"  # nothing serves this command at that address
    UNKNOWN_MODULE = "UnknownModule"  # the station has no module of that id


# EVerest knows only its six reasons (a client throws on any other name): evbench's own go on
# the wire as HandlerException, with the precise reason beside it where EVerest does not look.
EVEREST_ERROR_TYPE = "__everest__error_type"
EVEREST_ERROR_MSG = "__everest__error_msg"
_EVEREST_STAND_IN = {CommandErrorType.UNKNOWN_COMMAND: CommandErrorType.HANDLER_EXCEPTION,
                     CommandErrorType.UNKNOWN_MODULE: CommandErrorType.HANDLER_EXCEPTION}


class CommandError(Exception):
    """A command that failed, with a typed reason that crosses the bus intact."""

    def __init__(self, type: CommandErrorType, message: str):
        # Both in args: simpy re-raises a failed event's exception as type(e)(*e.args).
        super().__init__(type, message)
        self.type = CommandErrorType(type)
        self.message = message

    def __str__(self) -> str:
        return f"{self.type.value}: {self.message}"

    def to_json(self) -> dict:
        return {"type": self.type.value, "message": self.message}

    @classmethod
    def from_json(cls, data: dict) -> CommandError:
        return cls(CommandErrorType(data["type"]), str(data.get("message", "")))

    def to_wire(self) -> dict:
        """The error object of an EVerest command result."""
        wire = {EVEREST_ERROR_TYPE: _EVEREST_STAND_IN.get(self.type, self.type).value,
                EVEREST_ERROR_MSG: self.message}
        if self.type in _EVEREST_STAND_IN:
            wire["type"] = self.type.value
        return wire

    @classmethod
    def from_wire(cls, data: Any) -> CommandError:
        """Read an EVerest error object; what is none (a peer's garbage) reads as a
        MessageParsingError saying so."""
        try:
            return cls(CommandErrorType(data.get("type") or data[EVEREST_ERROR_TYPE]),
                       str(data.get(EVEREST_ERROR_MSG, "")))
        except (AttributeError, KeyError, TypeError, ValueError):
            return cls(CommandErrorType.PARSE_FAILURE,
                       f"unreadable error object: {str(data)[:200]}")


@dataclass(frozen=True)
class ErrorReport:
    """An error raised (or cleared) by an implementation, e.g. ``evse_board_support/DiodeFault``."""

    type: str
    message: str = ""
    severity: str = "high"  # low | medium | high
    origin: str = ""  # "module_id.impl_id" that raised it
    active: bool = True  # False when cleared

    def to_json(self) -> dict:
        return asdict(self)


class Bus(ABC):
    """Transport of commands, variables and errors between module implementations."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self._taps: list[Tap] = []
        self._ready: set[str] = set()
        self._memory: dict[str, dict] = {}

    # --- observation -----------------------------------------------------------------------
    def add_tap(self, tap: Tap) -> None:
        """Call ``tap(kind, source, name, value)`` for every message on this bus."""
        self._taps.append(tap)

    def _tap(self, kind: str, source: str, name: str, value: Any) -> None:
        for tap in self._taps:
            tap(kind, source, name, value)

    def log(self, source: str, level: str, message: str) -> None:
        """A log line from a module; recorded like any message, printed by nobody."""
        self._tap("log", source, level, message)

    # --- lifecycle -------------------------------------------------------------------------
    def lifecycle(self, module_id: str, stage: str) -> None:
        """A module reached a lifecycle stage (init, shutdown)."""
        self._tap("lifecycle", module_id, stage, None)

    def set_ready(self, module_id: str) -> None:
        """Mark a module ready: from now on its commands are served."""
        self._ready.add(module_id)
        self._tap("lifecycle", module_id, "ready", None)

    def is_ready(self, module_id: str) -> bool:
        return module_id in self._ready

    # --- what a module keeps across a restart of its process ---------------------------------
    def remember(self, module_id: str, state: dict) -> None:
        """Keep ``state`` (JSON) for the module's next start (see :meth:`recall`)."""
        self._memory[module_id] = state

    def recall(self, module_id: str) -> dict | None:
        """What the module remembered before its process was restarted (None: a first start).
        In-process a module never restarts; on MQTT the manager keeps it."""
        return self._memory.get(module_id)

    # --- transport -------------------------------------------------------------------------
    @abstractmethod
    def serve(self, module_id: str, impl_id: str, cmd: str, handler: CommandHandler) -> None:
        """Serve calls of ``cmd`` on ``module_id.impl_id`` with ``handler``."""

    @abstractmethod
    def call(self, origin: str, module_id: str, impl_id: str, cmd: str, args: dict,
             timeout: float | None = None) -> simpy.Event:
        """Call a command; the event succeeds with the result or fails with CommandError."""

    def notify(self, origin: str, module_id: str, impl_id: str, cmd: str, args: dict,
               on_error: Callable[[CommandError], None]) -> None:
        """Call a command whose result nobody waits for (a frame handed to a modem, say);
        ``on_error`` hears a failure. By default a :meth:`call` whose result is dropped; a bus
        may carry it one way, without the result's message."""
        event = self.call(origin, module_id, impl_id, cmd, args)

        def check(done: simpy.Event) -> None:
            if not done.ok:
                done.defused = True
                on_error(done.value)

        event.callbacks.append(check)

    @abstractmethod
    def publish(self, module_id: str, impl_id: str, var: str, value: Any,
                telemetry: bool = False) -> None:
        """Publish a variable value to every subscriber (``telemetry``: see VariableSpec)."""

    @abstractmethod
    def subscribe(self, module_id: str, impl_id: str, var: str, callback: Callable[[Any], None],
                  check: Callable[[Any], str | None] | None = None) -> None:
        """Have ``callback(value)`` run for every value published on that variable.

        ``check`` returns a reason when a value violates the variable's schema. A bus whose
        publishers are all framework modules (in-process) may skip it: they checked on publish.
        A network bus checks what arrives, since anything can publish there.
        """

    @abstractmethod
    def report_error(self, module_id: str, impl_id: str, report: ErrorReport) -> None:
        """Raise or clear (``report.active``) an error of an implementation."""

    @abstractmethod
    def subscribe_errors(self, module_id: str, impl_id: str,
                         callback: Callable[[ErrorReport], None]) -> None:
        """Have ``callback(report)`` run for every error raised or cleared there."""

    def close(self) -> None:  # noqa: B027 - a no-op unless the transport holds resources
        """Release network resources, if any."""

    # --- shared by the implementations ---------------------------------------------------
    def _serve_call(self, module_id: str, impl_id: str, cmd: str, args: Any, origin: str,
                    handlers: dict[tuple[str, str, str], CommandHandler],
                    reply_ok: Callable[[Any], None],
                    reply_error: Callable[[CommandError], None]) -> None:
        """Answer one call arriving for a module hosted here: unknown command, not ready, the
        handler's result (at once, or when the process a generator handler became ends)."""
        handler = handlers.get((module_id, impl_id, cmd))
        if handler is None:
            reply_error(CommandError(CommandErrorType.UNKNOWN_COMMAND,
                                     f"nothing serves {module_id}.{impl_id}.{cmd}"))
            return
        if module_id not in self._ready:
            reply_error(CommandError(CommandErrorType.NOT_READY, f"{module_id} is not ready"))
            return
        try:
            outcome = handler(args, origin)
        except CommandError as error:
            reply_error(error)
            return
        if isinstance(outcome, simpy.Event):
            def finished(event: simpy.Event) -> None:
                if event.ok:
                    reply_ok(event.value)
                else:
                    event.defused = True
                    reply_error(event.value)
            outcome.callbacks.append(finished)
        else:
            reply_ok(outcome)
