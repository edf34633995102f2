"""The device layer's own promises (hil/device.py), on a real pyserial link (``socket://`` to a
loopback server that echoes lines back): the link-opened event and listeners, one link shared
by several users, and request events that fail while nobody waits for them."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from charger.framework.wallclock import WallClockEnvironment
from hil.device import Device, DeviceTimeout, DeviceUnavailable
from hil.serial_link import SerialDevice

FACTOR = 0.2


class Echo:
    """A TCP server on 127.0.0.1 that answers each line with ``ok <line>`` unless told to keep
    quiet, and counts its connections."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.quiet = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        pending = b""
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                try:
                    data = conn.recv(4096)
                except TimeoutError:
                    continue
                if not data:
                    return
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if not self.quiet:
                        conn.sendall(b"ok " + line + b"\n")

    def stop(self) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(timeout=2)


class LineDevice(SerialDevice):
    """Lines of text; the reply to ``x`` is ``ok x``."""

    def __init__(self, env: Any, name: str, port: str):
        super().__init__(env, name, port)
        self._text = b""

    def _decode(self, data: bytes) -> list[Any]:
        self._text += data
        *lines, self._text = self._text.split(b"\n")
        return [line.decode() for line in lines]

    def _encode(self, frame: Any) -> bytes:
        return f"{frame}\n".encode()

    def _answers(self, request: Any, frame: Any) -> bool:
        return frame == f"ok {request}"


@pytest.fixture
def echo() -> Iterator[Echo]:
    server = Echo()
    yield server
    server.stop()


def run_until(env: WallClockEnvironment, event: Any, timeout_s: float = 10.0) -> None:
    env.run(until=env.any_of([event, env.timeout(timeout_s)]))


def test_opened_fires_when_the_link_opens_and_listeners_hear_every_opening(echo):
    env = WallClockEnvironment(FACTOR)
    device = LineDevice(env, "echo", f"socket://127.0.0.1:{echo.port}")
    heard: list[float] = []
    device.on_open(lambda: heard.append(env.now))
    assert device.opened is not None and not device.opened.triggered
    device.start()
    try:
        run_until(env, device.opened)
        assert device.opened.triggered and heard
        reply = device.request("hello", 2.0)  # no "link not open" refusal after opened
        run_until(env, reply)
        assert reply.value == "ok hello"
    finally:
        device.stop()


def test_opened_waits_while_the_link_cannot_open():
    env = WallClockEnvironment(FACTOR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens there
    device = LineDevice(env, "nobody", f"socket://127.0.0.1:{port}")
    device.start()
    try:
        env.run(until=env.now + 1.0)
        assert device.opened is not None and not device.opened.triggered
        assert device.lost_reason is not None and "cannot open" in device.lost_reason
    finally:
        device.stop()


def test_a_request_that_fails_while_nobody_waits_does_not_stop_the_simulation(echo):
    env = WallClockEnvironment(FACTOR)
    device = LineDevice(env, "echo", f"socket://127.0.0.1:{echo.port}")
    device.start()
    try:
        run_until(env, device.opened)
        echo.quiet = True
        forgotten = device.request("first", 0.2)  # nobody ever yields it
        late = device.request("second", 0.2)  # yielded only after it has failed
        env.run(until=env.now + 1.0)  # both time out here, unwaited: no exception
        assert not forgotten.ok and isinstance(forgotten.value, DeviceTimeout)
        caught: list[BaseException] = []

        def waiter() -> Any:
            try:
                yield late
            except DeviceTimeout as exc:
                caught.append(exc)

        env.run(until=env.process(waiter()))
        assert caught and "no reply within 0.2 s to 'second'" in str(caught[0])
    finally:
        device.stop()


def test_users_of_one_shared_link_get_one_device_that_opens_once(echo):
    env = WallClockEnvironment(FACTOR)
    url = f"socket://127.0.0.1:{echo.port}"
    made: list[LineDevice] = []

    def make() -> LineDevice:
        made.append(LineDevice(env, "echo", url))
        return made[-1]

    first = LineDevice.shared(env, url, make)
    second = LineDevice.shared(env, url, make)
    assert first is second and len(made) == 1 and first.users == 2
    first.start()
    second.start()
    try:
        run_until(env, first.opened)
        env.run(until=env.now + 0.5)
        assert echo.connections == 1
        first.stop()  # one user leaves: the link stays for the other
        reply = second.request("still", 2.0)
        run_until(env, reply)
        assert reply.value == "ok still"
    finally:
        second.stop()
    assert second._stop.is_set()  # the last user closed it
    # A new simulation makes its own device.
    other_env = WallClockEnvironment(FACTOR)
    assert LineDevice.shared(other_env, url, lambda: LineDevice(other_env, "e", url)) is not first


def test_a_user_whose_settings_contradict_the_shared_device_is_refused(echo):
    env = WallClockEnvironment(FACTOR)
    url = f"socket://127.0.0.1:{echo.port}"
    device = Device.shared(env, url, lambda: LineDevice(env, "echo", url))

    def refuse(_device: Device) -> None:
        raise DeviceUnavailable("another protocol on this link")

    with pytest.raises(DeviceUnavailable, match="another protocol"):
        Device.shared(env, url, lambda: LineDevice(env, "echo", url), refuse)
    assert device.users == 1
    device.stop()
