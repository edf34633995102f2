"""The device layer every bench backend stands on.

A :class:`Device` is one bench device (a charger board, a meter) reached over a link (a serial
port, a TCP connection, an RS-485 line shared with other devices). Its backend subclasses it and
overrides a handful of blocking methods; the base class keeps everything else:

- an I/O thread opens the link, reconnects with back-off when it fails, reads frames (a stream
  device: :meth:`Device._read`) or runs request/reply exchanges (a polled device:
  :meth:`Device._exchange`), and hands what it got to the simulation through the wall-clock
  environment's ``post``: a blocking pyserial or pymodbus call never holds up the modules;
- :meth:`Device.request` returns a simpy event that a module yields, with a timeout; a request
  that fails while nobody waits for it is dropped quietly (whoever yields it later still gets
  the exception);
- :attr:`Device.opened` succeeds once the link is first open, and ``on_open`` listeners hear
  every (re)opening: a module waits for it before its first request, or sends its state again;
- :meth:`Device.shared` gives every backend in one simulation that names the same link (two
  connectors' power modules on one CAN channel) the same device: the link opens once, with the
  first user's start, and closes with the last user's stop;
- the device is *answering* while frames or replies come; it is *lost* after
  ``silence_timeout_s`` (simulated seconds) without one, or when its link fails. Listeners hear
  both, and the backend module raises its interface's declared communication error;
- :meth:`Device.probe` opens the device without a simulation, reads its identity and status and
  closes it again, for ``evbench rig check``.

Threads never touch simulation state: everything they learn reaches it through ``post``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import simpy

from charger.framework.errors import EvbenchError

READ_SLICE_S = 0.05  # a stream read returns at least this often, to notice a stop
OPEN_WAIT_S = 1.0  # a frame to send waits this long for the link to open, then is dropped


class DeviceError(EvbenchError):
    """Something went wrong talking to a bench device; the message says what and where."""


class DeviceUnavailable(DeviceError):
    """The device cannot be opened (no such port, connection refused, link not set up)."""


class DeviceLost(DeviceError):
    """The device stopped answering, or its link failed while in use."""


class DeviceTimeout(DeviceError):
    """A request got no reply in time."""


class BadFrame(DeviceError):
    """Data from the device that is not a valid frame (noise, CRC error, unknown message)."""


@dataclass(frozen=True)
class Backoff:
    """Waits between reconnection attempts: ``initial_s``, doubling, at most ``maximum_s``."""

    initial_s: float = 0.2
    factor: float = 2.0
    maximum_s: float = 5.0

    def delays(self) -> Iterator[float]:
        delay = self.initial_s
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum_s)


@dataclass
class ProbeResult:
    """What ``rig check`` learnt about one device."""

    name: str
    address: str
    answered: bool
    identity: dict = field(default_factory=dict)
    reason: str = ""

    def __str__(self) -> str:
        if self.answered:
            facts = ", ".join(f"{k}={v}" for k, v in self.identity.items())
            return f"ok       {self.name} at {self.address}: {facts}"
        return f"MISSING  {self.name} at {self.address}: {self.reason}"


D = TypeVar("D", bound="Device")


@dataclass
class _Pending:
    frame: Any
    event: simpy.Event


class Transport:
    """A link several devices share (meters on one RS-485 line): opened by the first device,
    closed by the last, one exchange at a time. Devices find it by ``key``."""

    _shared: ClassVar[dict[Any, Transport]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, key: Any, handle: Any, close: Callable[[Any], None]):
        self.key = key
        self.handle = handle
        self.lock = threading.Lock()  # held for one exchange on the line
        self._close = close
        self._users = 0

    @classmethod
    def acquire(cls, key: Any, opener: Callable[[], Any],
                closer: Callable[[Any], None]) -> Transport:
        with cls._registry_lock:
            transport = cls._shared.get(key)
            if transport is None:
                transport = cls(key, opener(), closer)
                cls._shared[key] = transport
            transport._users += 1
            return transport

    def release(self) -> None:
        with self._registry_lock:
            self._users -= 1
            if self._users > 0:
                return
            self._shared.pop(self.key, None)
        self._close(self.handle)


class Device:
    """Base class of bench devices. Stream devices (``streaming = True``) override
    :meth:`_read` and :meth:`_write`; polled devices override :meth:`_exchange`. Both override
    :meth:`_open`, :meth:`_close` and :meth:`_identify`."""

    streaming: ClassVar[bool] = True
    silence_timeout_s: ClassVar[float | None] = None  # stream devices: lost after this silence
    backoff: ClassVar[Backoff] = Backoff()
    _shared_devices: ClassVar[dict[tuple, Device]] = {}

    def __init__(self, env: Any, name: str, address: str):
        self.env = env  # a WallClockEnvironment (None for probe() alone)
        self.name = name
        self.address = address
        self.answering = False  # simulation thread's view
        self.lost_reason: str | None = None
        self.rejected = 0  # frames refused (bad CRC, noise, unknown message)
        self._last_heard: float | None = None
        self._listeners: list[Callable[[Any], None]] = []
        self._link_listeners: list[Callable[[bool, str], None]] = []
        self._garbage_listeners: list[Callable[[str], None]] = []
        self._pending: list[_Pending] = []
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._open_now = threading.Event()  # the I/O thread has the link open
        self._threads: list[threading.Thread] = []
        self._started_at = 0.0
        self._open_listeners: list[Callable[[], None]] = []
        # The link opened (the first time); None without a simulation (probe()).
        self.opened: simpy.Event | None = env.event() if env is not None else None
        self.users = 0  # shared(): the backends using this device
        self._share_key: tuple | None = None

    @classmethod
    def shared(cls: type[D], env: Any, key: Any, make: Callable[[], D],
               check: Callable[[D], None] | None = None) -> D:
        """The device of link ``key`` in this simulation: made by ``make()`` for the first
        user, the same one for the others (``check(device)`` may refuse a user whose settings
        contradict it, raising DeviceError). Each user calls :meth:`start` and :meth:`stop`; the
        link opens with the first start and closes with the last stop."""
        full_key = (id(env), cls.__name__, key)
        device = Device._shared_devices.get(full_key)
        if device is None or device.env is not env:  # (an ended simulation's id, reused)
            device = make()
            device._share_key = full_key
            Device._shared_devices[full_key] = device
        elif check is not None:
            check(device)  # type: ignore[arg-type]
        device.users += 1
        return device  # type: ignore[return-value]

    # --- what a backend overrides (blocking; called on I/O threads) ---------------------------
    def _open(self) -> None:
        """Open the link; raise :class:`DeviceUnavailable` with the reason when it cannot."""
        raise NotImplementedError

    def _close(self) -> None:
        """Close the link (also called to unblock a read when stopping)."""

    def _read(self, timeout_s: float) -> list[Any]:
        """Stream devices: frames received within ``timeout_s``; a :class:`BadFrame` in the
        list for each piece of data refused. Raise OSError or DeviceLost when the link fails."""
        raise NotImplementedError

    def _write(self, frame: Any) -> None:
        """Stream devices: send one frame."""
        raise NotImplementedError

    def _exchange(self, frame: Any) -> Any:
        """Polled devices: send a request, return the reply; raise DeviceError on failure."""
        raise NotImplementedError

    def _answers(self, request: Any, frame: Any) -> bool:
        """Stream devices: whether ``frame`` is the reply to ``request`` (default: none is)."""
        return False

    def _identify(self, timeout_s: float) -> dict:
        """With the link open: the device's identity and status, for ``rig check``."""
        return {}

    # --- listeners (called on the simulation thread) ------------------------------------------
    def add_listener(self, callback: Callable[[Any], None]) -> None:
        """Every frame the device sends unasked (and replies too)."""
        self._listeners.append(callback)

    def on_link(self, callback: Callable[[bool, str], None]) -> None:
        """``callback(answering, reason)`` when the device starts or stops answering."""
        self._link_listeners.append(callback)

    def on_garbage(self, callback: Callable[[str], None]) -> None:
        """``callback(reason)`` for every piece of data refused."""
        self._garbage_listeners.append(callback)

    def on_open(self, callback: Callable[[], None]) -> None:
        """``callback()`` each time the link has (re)opened."""
        self._open_listeners.append(callback)

    # --- running --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the I/O thread (it opens the link) and the silence watchdog; a shared device
        starts with its first user."""
        if self._threads:
            return
        self._started_at = self.env.now
        target = self._stream_loop if self.streaming else self._job_loop
        thread = threading.Thread(target=target, name=f"device-{self.name}", daemon=True)
        self._threads.append(thread)
        if self.streaming:
            writer = threading.Thread(target=self._job_loop, name=f"device-{self.name}-write",
                                      daemon=True)
            self._threads.append(writer)
        for t in self._threads:
            t.start()
        if self.silence_timeout_s is not None:
            self.env.process(self._watch_silence())

    def stop(self) -> None:
        """Stop the threads and close the link; a shared device with its last user."""
        if self._share_key is not None:
            self.users -= 1
            if self.users > 0:
                return
            Device._shared_devices.pop(self._share_key, None)
        self._stop.set()
        self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads.clear()

    def send(self, frame: Any) -> None:
        """Send a frame without waiting for a reply (stream devices)."""
        self._jobs.put(("write", frame, None))

    def request(self, frame: Any, timeout_s: float) -> simpy.Event:
        """An event that succeeds with the reply to ``frame``, or fails with DeviceTimeout
        after ``timeout_s`` simulated seconds (DeviceLost if the device is lost)."""
        event = self.env.event()
        pending = _Pending(frame, event)
        if self.streaming:
            self._pending.append(pending)
            self._jobs.put(("write", frame, pending))
        else:
            self._jobs.put(("exchange", frame, pending))

        def expire(_: simpy.Event) -> None:
            if not event.triggered:
                if pending in self._pending:
                    self._pending.remove(pending)
                _fail_quietly(event, DeviceTimeout(
                    f"{self.name} at {self.address}: no reply within {timeout_s:g} s to "
                    f"{self.describe(frame)}"))
        self.env.timeout(timeout_s).callbacks.append(expire)
        return event

    def describe(self, frame: Any) -> str:
        """A frame in words, for messages."""
        return repr(frame)

    # --- probe (no simulation) ------------------------------------------------------------------
    def probe(self, timeout_s: float = 3.0) -> ProbeResult:
        """Open the device, read its identity and status, close it. Blocking."""
        try:
            self._open()
        except (DeviceError, OSError) as exc:
            return ProbeResult(self.name, self.address, False, reason=_reason(exc))
        try:
            return ProbeResult(self.name, self.address, True, self._identify(timeout_s))
        except (DeviceError, OSError) as exc:
            return ProbeResult(self.name, self.address, False, reason=_reason(exc))
        finally:
            self._close()

    # --- I/O threads ----------------------------------------------------------------------------
    def _stream_loop(self) -> None:
        delays = self.backoff.delays()
        while not self._stop.is_set():
            try:
                self._open()
            except (DeviceError, OSError) as exc:
                self._post_link(False, f"cannot open: {_reason(exc)}")
                self._stop.wait(next(delays))
                continue
            delays = self.backoff.delays()
            self._open_now.set()
            self.env.post(self._link_opened)
            reason = "stopped"
            try:
                while not self._stop.is_set():
                    frames = self._read(READ_SLICE_S)
                    if frames:
                        self.env.post(lambda frames=frames: self._deliver(frames))
            except (DeviceError, OSError) as exc:
                reason = f"link failed: {_reason(exc)}"
            finally:
                self._open_now.clear()
                self._close()
            if not self._stop.is_set():
                self._post_link(False, reason)
                self._stop.wait(next(delays))

    def _job_loop(self) -> None:
        """Writes (stream devices) or exchanges (polled devices), one at a time, in order."""
        opened = self.streaming  # the stream loop opens a stream device's link
        delays = self.backoff.delays()
        while not self._stop.is_set():
            job = self._jobs.get()
            if job is None:
                break
            kind, frame, pending = job
            try:
                if kind == "write":
                    # A frame sent while the link is (re)opening waits for it a moment.
                    if not self._open_now.wait(OPEN_WAIT_S):
                        raise DeviceLost("link not open")
                    self._write(frame)
                    continue
                if not opened:
                    self._open()
                    opened = True
                    self.env.post(self._link_opened)
                reply = self._exchange(frame)
            except (DeviceError, OSError) as exc:
                reason = _reason(exc)
                if pending is not None:
                    self.env.post(lambda p=pending, r=reason: self._fail(p, r))
                if kind == "exchange":
                    if opened:
                        self._close()
                        opened = False
                    self._post_link(False, reason)
                    self._stop.wait(next(delays))
                continue
            delays = self.backoff.delays()
            self.env.post(lambda p=pending, r=reply: self._deliver([r], p))
        if opened and not self.streaming:
            self._close()

    def _post_link(self, answering: bool, reason: str) -> None:
        self.env.post(lambda: self._set_answering(answering, reason))

    # --- on the simulation thread ---------------------------------------------------------------
    def _link_opened(self) -> None:
        if self.opened is not None and not self.opened.triggered:
            self.opened.succeed()
        for callback in self._open_listeners:
            callback()

    def _deliver(self, frames: list[Any], reply_to: _Pending | None = None) -> None:
        for frame in frames:
            if isinstance(frame, BadFrame):
                self.rejected += 1
                for callback in self._garbage_listeners:
                    callback(str(frame))
                continue
            self._last_heard = self.env.now
            self._set_answering(True, "")
            if reply_to is not None:
                if not reply_to.event.triggered:
                    reply_to.event.succeed(frame)
            else:
                for pending in self._pending:
                    if self._answers(pending.frame, frame):
                        self._pending.remove(pending)
                        pending.event.succeed(frame)
                        break
            for callback in self._listeners:
                callback(frame)

    def _fail(self, pending: _Pending, reason: str) -> None:
        if pending in self._pending:
            self._pending.remove(pending)
        if not pending.event.triggered:
            _fail_quietly(pending.event, DeviceLost(f"{self.name} at {self.address}: {reason}"))

    def _set_answering(self, answering: bool, reason: str) -> None:
        if answering == self.answering and (answering or self.lost_reason is not None):
            return
        self.answering = answering
        self.lost_reason = None if answering else reason
        for callback in self._link_listeners:
            callback(answering, reason)

    def _watch_silence(self) -> Any:
        assert self.silence_timeout_s is not None
        period = self.silence_timeout_s / 10
        while not self._stop.is_set():
            yield self.env.timeout(period)
            heard = self._last_heard if self._last_heard is not None else self._started_at
            silent = self.env.now - heard
            if silent >= self.silence_timeout_s and (self.answering or self.lost_reason is None):
                self._set_answering(False, f"nothing heard for {silent:.1f} s "
                                    f"(keep-alive lost)")


def _fail_quietly(event: simpy.Event, exc: DeviceError) -> None:
    """Fail a request's event. A process waiting for it, or yielding it later, gets ``exc``;
    if none ever does (a request sent with others, its sender gone), simpy must not stop on an
    unhandled failure, so the event is defused."""
    event.fail(exc)
    event.defused = True


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, DeviceError) else f"{type(exc).__name__}: {text}"
