"""The wall clock: simpy's real-time environment, which other threads can safely post into,
and which can drive network sockets itself.

Network libraries (websockets) deliver messages on their own threads. Those threads never touch
simulation state; they :meth:`WallClockEnvironment.post` a callable, which runs on the
simulation thread at the simulated instant matching the wall clock when it arrived. Unlike
``RealtimeEnvironment.step``, which sleeps until the next event, waiting here wakes as soon as
something is posted, so a message is handled promptly even when the next timer is far away.

A client whose library offers an external loop (paho-mqtt does) can instead :meth:`attach` a
:class:`Pump`: the simulation thread then waits on the client's socket itself and reads and
writes it when it is ready, so a message crosses no thread at all.
"""

from __future__ import annotations

import contextlib
import queue
import select
import signal
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from time import monotonic
from typing import Any, Protocol

import simpy
import simpy.rt
from simpy.core import Environment, Infinity

HOUSEKEEPING_S = 0.1  # a pump's housekeeping (keep-alive, reconnection) runs this often
POLL_WHEN_BUSY_S = 0.002  # a simulation with no time to sleep still looks at its sockets


class Pump(Protocol):
    """A network client driven from the simulation thread (see :meth:`attach`)."""

    def io(self) -> tuple[Any, bool]:
        """The socket to wait on (None while disconnected) and whether it has data to write."""

    def readable(self) -> None:
        """The socket has data: read it."""

    def writable(self) -> None:
        """The socket can take data: write what is pending."""

    def housekeeping(self) -> None:
        """Called at least every HOUSEKEEPING_S: keep-alive, reconnection."""


class SocketReader:
    """Base of a pump whose socket the simulation thread only reads (a listening, datagram or
    raw socket; what is sent goes to the socket directly): a subclass sets ``sock`` and
    implements ``readable()``."""

    sock: Any = None

    def io(self) -> tuple[Any, bool]:
        return self.sock, False

    def writable(self) -> None:
        pass

    def housekeeping(self) -> None:
        pass

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None


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
        self._pumps: list[Pump] = []
        self._wake_r, self._wake_w = socket.socketpair()  # wakes a wait on sockets
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._housekept = 0.0
        self._polled = 0.0
        self._stepping = False  # the simulation thread drives the pumps from step()

    def attach(self, pump: Pump) -> None:
        """Drive ``pump``'s socket from the simulation thread while it runs."""
        self._pumps.append(pump)

    def post(self, action: Callable[[], Any]) -> None:
        """Run ``action()`` on the simulation thread as soon as possible (any thread may call)."""
        self._inbox.put(action)
        if self._sleeping:  # an awake simulation thread finds it anyway: spare the lock
            if self._pumps:
                if threading.get_ident() != self.thread_id:
                    with contextlib.suppress(BlockingIOError):
                        self._wake_w.send(b"x")
            else:
                self._wake.set()

    def deliver(self, action: Callable[[], Any]) -> None:
        """For a pump's callbacks: run ``action()`` at once when the pump is being driven from
        :meth:`step` and nothing posted waits before it (order is kept), else :meth:`post` it.

        Run at once, a command's reply is queued while the client is still handling the request,
        and leaves in the same write as the acknowledgement, not after another wait."""
        if self._stepping and self._inbox.empty():
            self._advance_to_wall_clock()
            action()
        else:
            self.post(action)

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
        self._stepping = True
        try:
            self._wait_for_next_event()
        finally:
            self._stepping = False
        Environment.step(self)

    def _wait_for_next_event(self) -> None:
        if self._pumps and monotonic() - self._polled > POLL_WHEN_BUSY_S:
            self._wait_on_sockets(0.0)
        while True:
            self._admit_posted()
            next_time = self.peek()
            if next_time is Infinity:
                # Nothing scheduled: only a posted action can create work, so wait for one.
                self._sleep(None)
                continue
            delay = self.real_start + (next_time - self.env_start) * self.factor - monotonic()
            if delay <= 0:
                return
            self._sleep(delay)

    def _sleep(self, timeout: float | None) -> None:
        # Announce the sleep before the last look at the inbox; post() puts before it looks
        # at the announcement. Either this look finds the action, or post() wakes us.
        self._sleeping = True
        if self._pumps:
            if self._inbox.empty():
                self._wait_on_sockets(timeout)
        elif self._inbox.empty() and self._wake.wait(timeout):
            self._wake.clear()
        self._sleeping = False

    def poll_network(self, timeout: float) -> None:
        """Drive the attached pumps for up to ``timeout`` seconds, before the simulation runs
        (a process waiting for its peers); what arrives is posted and runs once it does."""
        self._wait_on_sockets(timeout)

    def _wait_on_sockets(self, timeout: float | None) -> None:
        """Wait until a pump's socket is ready, something is posted, or ``timeout``; then let
        the pumps read and write (what they receive is posted, and admitted by step())."""
        now = monotonic()
        until_housekeeping = max(0.0, self._housekept + HOUSEKEEPING_S - now)
        wait = until_housekeeping if timeout is None else min(timeout, until_housekeeping)
        watched = [(pump, *pump.io()) for pump in self._pumps]
        readers = [self._wake_r] + [sock for _, sock, _ in watched if sock is not None]
        writers = [sock for _, sock, want in watched if sock is not None and want]
        try:
            ready_r, ready_w, _ = select.select(readers, writers, [], wait)
        except (OSError, ValueError):  # a socket closed under us: the pump reconnects
            ready_r, ready_w = [], []
        self._polled = monotonic()
        if self._wake_r in ready_r:
            with contextlib.suppress(BlockingIOError):
                while self._wake_r.recv(4096):
                    pass
        for pump, sock, _ in watched:
            if sock is None:
                continue
            if sock in ready_w:
                pump.writable()
            if sock in ready_r:
                pump.readable()
        if self._polled - self._housekept >= HOUSEKEEPING_S:
            self._housekept = self._polled
            for pump in self._pumps:
                pump.housekeeping()

    def _advance_to_wall_clock(self) -> None:
        self._now = min(max(self._now, self.wall_now()), self.peek())

    def _admit_posted(self) -> None:
        if self._inbox.empty():
            return
        # Bring the clock up to the wall clock (never past the next scheduled event, and never
        # backwards), then run what was posted at that instant, in order. simpy keeps the
        # current time in ``_now``; advancing it between events is what its own ``step`` does
        # when it pops one. Running the actions here rather than as one event each spares a
        # heap push and pop per network message.
        self._advance_to_wall_clock()
        while True:
            try:
                action = self._inbox.get_nowait()
            except queue.Empty:
                return
            action()
