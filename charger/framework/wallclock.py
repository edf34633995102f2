"""The wall clock: simpy's real-time environment, which other threads can safely post into.

Network libraries (paho-mqtt, websockets) deliver messages on their own threads. Those threads
never touch simulation state; they :meth:`WallClockEnvironment.post` a callable, which runs on
the simulation thread at the simulated instant matching the wall clock when it arrived. Unlike
``RealtimeEnvironment.step``, which sleeps until the next event, waiting here wakes as soon as
something is posted, so a message is handled promptly even when the next timer is far away.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from time import monotonic
from typing import Any

import simpy
import simpy.rt
from simpy.core import Environment, Infinity


class WallClockEnvironment(simpy.rt.RealtimeEnvironment):
    """A real-time simpy environment (``factor`` wall seconds per simulated second) with a
    thread-safe inbox. ``factor=0.1`` runs ten times faster than real time."""

    def __init__(self, factor: float = 1.0, initial_time: float = 0.0):
        super().__init__(initial_time=initial_time, factor=factor, strict=False)
        self._inbox: queue.SimpleQueue[Callable[[], Any]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._sleeping = False  # the simulation thread waits on _wake
        self.thread_id: int | None = None
        self.stopping = threading.Event()  # set by finish_on_signals' handler
        self.epoch: float | None = None  # wall-clock time of simulated t=0, once shared

    def post(self, action: Callable[[], Any]) -> None:
        """Run ``action()`` on the simulation thread as soon as possible (any thread may call)."""
        self._inbox.put(action)
        if self._sleeping:  # an awake simulation thread finds it anyway: spare the lock
            self._wake.set()

    def start_at(self, epoch: float, wall_time: float) -> None:
        """Let simulated t=0 be the wall-clock time ``epoch`` (``time.time()`` units), so that
        processes on one or several machines share one simulated time. Only before the first
        event is scheduled; ``wall_time`` is the caller's ``time.time()`` now."""
        if self.peek() is not Infinity:
            raise RuntimeError("start_at() after events were scheduled")
        self._now = self.env_start = max(0.0, (wall_time - epoch) / self.factor)
        self.real_start = monotonic()
        self.epoch = epoch

    def set_factor(self, factor: float) -> None:
        """Change the pace (wall seconds per simulated second); only before start_at()."""
        self._factor = factor

    def utc_time(self) -> str:
        """The wall-clock instant of simulated now (RFC 3339, UTC), for timestamps on the
        wire; before the epoch is shared, simulated time counts from the Unix epoch."""
        seconds = (self.epoch or 0.0) + self.now * self.factor
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")

    def finish_on_signals(self) -> simpy.Event:
        """An event that SIGTERM or SIGINT triggers (through :meth:`post`), for ``run(until=...)``.

        ``stopping`` tells whether a signal came, before the simulation runs to notice it."""
        finished = self.event()

        def stop(_signum: int, _frame: object) -> None:
            self.stopping.set()
            self.post(lambda: finished.triggered or finished.succeed())

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        return finished

    def wall_now(self) -> float:
        """The simulated time that corresponds to the wall clock right now."""
        return self.env_start + (monotonic() - self.real_start) / self.factor

    def run(self, until: Any = None) -> Any:
        self.thread_id = threading.get_ident()
        return super().run(until)

    def step(self) -> None:
        while True:
            self._admit_posted()
            next_time = self.peek()
            if next_time is Infinity:
                # Nothing scheduled: only a posted action can create work, so wait for one.
                self._sleep(None)
                continue
            delay = self.real_start + (next_time - self.env_start) * self.factor - monotonic()
            if delay <= 0:
                break
            self._sleep(delay)
        Environment.step(self)

    def _sleep(self, timeout: float | None) -> None:
        # Announce the sleep before the last look at the inbox; post() puts before it looks
        # at the announcement. Either this look finds the action, or post() wakes us.
        self._sleeping = True
        if self._inbox.empty() and self._wake.wait(timeout):
            self._wake.clear()
        self._sleeping = False

    def _admit_posted(self) -> None:
        if self._inbox.empty():
            return
        # Bring the clock up to the wall clock (never past the next scheduled event, and never
        # backwards), then run what was posted at that instant, in order. simpy keeps the
        # current time in ``_now``; advancing it between events is what its own ``step`` does
        # when it pops one. Running the actions here rather than as one event each spares a
        # heap push and pop per network message.
        self._now = min(max(self._now, self.wall_now()), self.peek())
        while True:
            try:
                action = self._inbox.get_nowait()
            except queue.Empty:
                return
            action()
