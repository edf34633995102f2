"""The byte stream a V2G session runs over, and its in-process implementation.

A :class:`Link` is one end of a connection (what TCP is on a real interface): ``send`` bytes,
``close``, and two callbacks the engine sets, ``on_receive(chunk)`` and ``on_close(reason)``.
Everything happens on the simulation thread, at simulated instants, whichever link it is:

* :class:`InProcessLink` (here): both ends in one process, on the virtual clock, with a
  configurable one-way latency; chunks may be split to exercise reassembly.
* :class:`charger.iso15118.tcp.TcpLink`: IPv6 TCP on a real interface, on the wall clock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import simpy


class Link(ABC):
    """One end of a byte stream between the SECC and the EVCC."""

    def __init__(self, env: simpy.Environment):
        self.env = env
        self.on_receive: Callable[[bytes], None] = lambda _chunk: None
        self.on_close: Callable[[str], None] = lambda _reason: None
        self.is_open = True

    @abstractmethod
    def send(self, data: bytes) -> None:
        """Queue bytes for the peer (ignored once the link is closed)."""

    @abstractmethod
    def close(self, reason: str = "closed") -> None:
        """Close both directions; the peer's ``on_close`` is called."""

    def _closed(self, reason: str) -> None:
        if self.is_open:
            self.is_open = False
            self.on_close(reason)


class InProcessLink(Link):
    """An end of an in-process pair (:meth:`pair`): what one end sends reaches the other after
    ``latency_s`` simulated seconds, in order."""

    def __init__(self, env: simpy.Environment, latency_s: float, chunk: int | None):
        super().__init__(env)
        self.latency_s = latency_s
        self.chunk = chunk  # split sends into chunks of this many bytes (None: whole)
        self.peer: InProcessLink | None = None

    @classmethod
    def pair(cls, env: simpy.Environment, latency_s: float = 0.001,
             chunk: int | None = None) -> tuple[InProcessLink, InProcessLink]:
        """Two connected ends (the SECC's and the EVCC's)."""
        if latency_s < 0:
            raise ValueError(f"latency {latency_s} s must not be negative")
        a, b = cls(env, latency_s, chunk), cls(env, latency_s, chunk)
        a.peer, b.peer = b, a
        return a, b

    def send(self, data: bytes) -> None:
        if not self.is_open or self.peer is None:
            return
        peer = self.peer
        size = self.chunk or len(data) or 1
        pieces = [bytes(data[i:i + size]) for i in range(0, len(data), size)]
        self._later(lambda: [peer.is_open and peer.on_receive(p) for p in pieces])

    def close(self, reason: str = "closed") -> None:
        if not self.is_open:
            return
        self.is_open = False
        peer = self.peer
        if peer is not None:
            self._later(lambda: peer._closed(f"closed by the peer ({reason})"))

    def _later(self, action: Callable[[], object]) -> None:
        if self.latency_s == 0:
            event = self.env.event()
            event.callbacks.append(lambda _e: action())
            event.succeed()
        else:
            self.env.timeout(self.latency_s).callbacks.append(lambda _e: action())
