"""The in-process bus: every message is a simpy event on the shared virtual clock.

Delivery happens at the same simulated instant but through the event queue, never as a nested
call, so message order is the order of simpy's queue: deterministic for a given scenario and seed,
and the same interleaving a network bus would show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from itertools import count
from typing import Any

import simpy

from charger.framework.bus import Bus, CommandError, CommandErrorType, CommandHandler, ErrorReport


class InProcessBus(Bus):
    """A bus whose modules all live in this process and share one simpy environment."""

    def __init__(self, env: simpy.Environment):
        super().__init__(env)
        self._handlers: dict[tuple[str, str, str], CommandHandler] = {}
        self._var_subscribers: dict[tuple[str, str, str], list[Callable]] = defaultdict(list)
        self._error_subscribers: dict[tuple[str, str], list[Callable]] = defaultdict(list)
        self._call_ids = count(1)

    def _deliver(self, action: Callable[[Any], None]) -> None:
        """Run ``action`` at the current instant, after what is already queued for it."""
        event = self.env.event()
        event.callbacks.append(action)
        event.succeed()

    def serve(self, module_id: str, impl_id: str, cmd: str, handler: CommandHandler) -> None:
        self._handlers[(module_id, impl_id, cmd)] = handler

    def call(self, origin: str, module_id: str, impl_id: str, cmd: str, args: dict,
             timeout: float | None = None) -> simpy.Event:
        result = self.env.event()
        call_id = next(self._call_ids)
        name = f"{module_id}.{impl_id}.{cmd}"
        self._tap("cmd", origin, name, {"id": call_id, "args": args})

        def reply_ok(value: Any) -> None:
            if not result.triggered:
                self._tap("result", f"{module_id}.{impl_id}", name, {"id": call_id,
                                                                     "result": value})
                result.succeed(value)

        def reply_error(error: CommandError) -> None:
            if not result.triggered:
                self._tap("cmd_error", f"{module_id}.{impl_id}", name,
                          {"id": call_id, "error": error.to_json()})
                result.fail(error)

        def handle(_event: Any) -> None:
            self._serve_call(module_id, impl_id, cmd, args, origin, self._handlers, reply_ok,
                             reply_error)

        self._deliver(handle)
        if timeout is not None:
            def expire(_event: Any) -> None:
                reply_error(CommandError(CommandErrorType.TIMEOUT,
                                         f"no reply from {name} within {timeout} s"))
            self.env.timeout(timeout).callbacks.append(expire)
        return result

    def notify(self, origin: str, module_id: str, impl_id: str, cmd: str, args: dict,
               on_error: Callable[[CommandError], None]) -> None:
        """One way: the command's row (without a call id, since no result refers to it), the
        handler at this instant after what is queued, no result event or row."""
        self._tap("cmd", origin, f"{module_id}.{impl_id}.{cmd}", {"args": args})
        self._deliver(lambda _event: self._serve_call(module_id, impl_id, cmd, args, origin,
                                                      self._handlers, _ignore, on_error))

    def publish(self, module_id: str, impl_id: str, var: str, value: Any,
                telemetry: bool = False) -> None:
        self._tap("var", f"{module_id}.{impl_id}", var, value)
        subscribers = self._var_subscribers.get((module_id, impl_id, var))
        if subscribers:
            targets = tuple(subscribers)
            self._deliver(lambda _e: [callback(value) for callback in targets])

    def subscribe(self, module_id: str, impl_id: str, var: str, callback: Callable[[Any], None],
                  check: Callable[[Any], str | None] | None = None) -> None:
        self._var_subscribers[(module_id, impl_id, var)].append(callback)

    def report_error(self, module_id: str, impl_id: str, report: ErrorReport) -> None:
        kind = "error_raised" if report.active else "error_cleared"
        self._tap(kind, f"{module_id}.{impl_id}", report.type, report.to_json())
        subscribers = self._error_subscribers.get((module_id, impl_id))
        if subscribers:
            targets = tuple(subscribers)
            self._deliver(lambda _e: [callback(report) for callback in targets])

    def subscribe_errors(self, module_id: str, impl_id: str,
                         callback: Callable[[ErrorReport], None]) -> None:
        self._error_subscribers[(module_id, impl_id)].append(callback)


def _ignore(_result: Any) -> None:
    """The result of a one-way command."""
