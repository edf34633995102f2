"""How the web server's threads reach the simulation: every request runs on the simulation
thread (posted into the wall-clock environment) and its answer comes back as a future; events
and telemetry go the other way, to every WebSocket client's queue on the server's loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import simpy

CLIENT_QUEUE = 1000  # items a slow WebSocket client may lag behind; older ones are dropped


class ApiError(Exception):
    """A request the station cannot serve: ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def on_simulation(env: Any, action: Callable[[], Any]) -> Future:
    """Run ``action()`` on the simulation thread; the future gets its result, or, when it
    returns a simpy event (a command's reply), that event's value or failure."""
    future: Future = Future()

    def run() -> None:
        try:
            result = action()
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request
            future.set_exception(exc)
            return
        if not isinstance(result, simpy.Event):
            future.set_result(result)
            return

        def settle(event: simpy.Event) -> None:
            if event.ok:
                future.set_result(event.value)
            else:
                event.defused = True
                future.set_exception(event.value)

        result.callbacks.append(settle)

    env.post(run)
    return future


class StreamHub:
    """Fans items out from the simulation thread to the WebSocket clients."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = {}
        self._next = 0

    def join(self) -> tuple[int, asyncio.Queue]:
        """A new client, on the calling (server) loop."""
        queue: asyncio.Queue = asyncio.Queue(CLIENT_QUEUE)
        with self._lock:
            self._next += 1
            self._clients[self._next] = (asyncio.get_running_loop(), queue)
            return self._next, queue

    def leave(self, client: int) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def publish(self, item: dict) -> None:
        with self._lock:
            clients = list(self._clients.values())
        for loop, queue in clients:
            with contextlib.suppress(RuntimeError):  # a closed loop: the client is leaving
                loop.call_soon_threadsafe(_offer, queue, item)


def _offer(queue: asyncio.Queue, item: dict) -> None:
    if queue.full():
        queue.get_nowait()  # the oldest goes; a client that lags sees the present
    queue.put_nowait(item)
