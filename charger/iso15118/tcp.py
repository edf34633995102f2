"""V2GTP over IPv6 TCP on a real interface, on the wall clock.

The sockets are non-blocking and driven from the simulation thread: each object here is a
:class:`~charger.framework.wallclock.Pump` attached to the
:class:`~charger.framework.wallclock.WallClockEnvironment`, which waits on their sockets while
it waits for its next event. What arrives is handed to the engine through ``env.post``, so it
runs at the simulated instant matching the wall clock; nothing sleeps or reads the time.
"""

from __future__ import annotations

import contextlib
import errno
import random
import socket
from collections.abc import Callable
from typing import Any

from charger.framework.wallclock import SocketReader, WallClockEnvironment
from charger.iso15118.link import Link

RECEIVE_SIZE = 65536
# ISO 15118-2 [V2G2-064]: the SECC's TCP port is one of the dynamic ports (IANA range).
DYNAMIC_PORTS = range(49152, 65536)


class TcpLink(Link):
    """One end of a V2G TCP connection (connected, or connecting)."""

    def __init__(self, env: WallClockEnvironment, sock: socket.socket, *,
                 connected: bool = True,
                 on_connected: Callable[[TcpLink, str | None], None] | None = None):
        super().__init__(env)
        self.env: WallClockEnvironment = env
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock: socket.socket | None = sock
        self.connected = connected
        self.on_connected = on_connected
        self._outgoing = bytearray()
        self._closing = False  # closed by us: the socket stays until what is queued is sent
        env.attach(self)

    # --- Link -------------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        if self.is_open and self.sock is not None:
            self._outgoing += data
            if self.connected:
                self.writable()

    def close(self, reason: str = "closed") -> None:
        if not self.is_open:
            return
        self.is_open = False
        self._closing = True
        if not self._outgoing or not self.connected:
            self._shut()

    # --- Pump -------------------------------------------------------------------------------
    def io(self) -> tuple[Any, bool]:
        return self.sock, bool(self._outgoing) or not self.connected

    def readable(self) -> None:
        if self.sock is None or not self.connected:
            return
        try:
            data = self.sock.recv(RECEIVE_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as problem:
            self._lost(f"{type(problem).__name__}: {problem}")
            return
        if not data:
            self._lost("closed by the peer")
            return
        self.env.post(lambda: self.is_open and self.on_receive(data))

    def writable(self) -> None:
        if self.sock is None:
            return
        if not self.connected:
            error = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                reason = f"connect failed: {errno.errorcode.get(error, error)}"
                self._drop_socket()
                self.is_open = False
                if self.on_connected is not None:
                    callback = self.on_connected
                    self.env.post(lambda: callback(self, reason))
                return
            self.connected = True
            if self.on_connected is not None:
                callback = self.on_connected
                self.env.post(lambda: callback(self, None))
        while self._outgoing:
            try:
                sent = self.sock.send(self._outgoing)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as problem:
                self._lost(f"{type(problem).__name__}: {problem}")
                return
            del self._outgoing[:sent]
        if self._closing:
            self._shut()

    def housekeeping(self) -> None:
        pass

    # --- ending -----------------------------------------------------------------------------
    def _shut(self) -> None:
        self._outgoing.clear()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)
        self._drop_socket()

    def _drop_socket(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None

    def _lost(self, reason: str) -> None:
        self._drop_socket()
        self.env.post(lambda: self._closed(reason))


def _sockaddr(address: str, port: int, scope: int) -> tuple[str, int, int, int]:
    return (address, port, 0, scope)


class TcpServer(SocketReader):
    """The SECC's listening socket on the interface's link-local address; each accepted
    connection is handed to ``on_connection(link)`` on the simulation thread. Without a
    ``port``, one of the dynamic ports is drawn (peers such as Josev refuse any other)."""

    def __init__(self, env: WallClockEnvironment, address: str, scope: int,
                 on_connection: Callable[[TcpLink], None], port: int | None = None,
                 rng: random.Random | None = None):
        self.env = env
        self.on_connection = on_connection
        self.sock: socket.socket | None = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        candidates = [port] if port is not None else \
            (rng or random.Random()).sample(DYNAMIC_PORTS, 32)
        for index, candidate in enumerate(candidates):
            try:
                self.sock.bind(_sockaddr(address, candidate, scope))
                break
            except OSError:
                if index == len(candidates) - 1:
                    self.sock.close()
                    raise
        self.sock.listen(4)
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]
        env.attach(self)

    def readable(self) -> None:
        if self.sock is None:
            return
        try:
            conn, _peer = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        link = TcpLink(self.env, conn)
        self.env.post(lambda: self.on_connection(link))


def connect(env: WallClockEnvironment, address: str, port: int, scope: int,
            on_connected: Callable[[TcpLink, str | None], None]) -> TcpLink:
    """Start connecting to the SECC; ``on_connected(link, error)`` follows on the simulation
    thread (error None when the connection is up)."""
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sock.setblocking(False)
    code = sock.connect_ex(_sockaddr(address, port, scope))
    if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
        sock.close()
        raise ConnectionError(f"cannot connect to [{address}%{scope}]:{port}: "
                              f"{errno.errorcode.get(code, code)}")
    return TcpLink(env, sock, connected=False, on_connected=on_connected)
