"""A CAN channel as a bench device: a python-can Bus (``slcan`` on a USB adapter or a pty,
``socketcan`` on a Linux bench, any interface python-can knows) carrying frames the codec
understands. Every power module on the channel is reached through this one device: the base's
I/O threads read and write the bus, and a reply is matched to its request by the codec.

Backends in one process that name the same channel (two connectors whose modules share a bus)
share one device (:meth:`CanChannel.shared`, the device layer's shared link): an slcan port opens
once. Each listens to every frame and keeps those of its own modules."""

from __future__ import annotations

import contextlib
import select
import time
from pathlib import Path
from typing import Any

import can

from hil.can.codec import CodecError, Decoded, ModuleCodec
from hil.device import BadFrame, Device, DeviceLost, DeviceTimeout, DeviceUnavailable

BITRATE = 125_000
MAX_FRAMES_PER_READ = 64  # hand a burst over in one post, but keep reads short


class CanChannel(Device):
    streaming = True
    silence_timeout_s = None  # modules are watched one by one by the backend

    def __init__(self, env: Any, name: str, codec: ModuleCodec, channel: str,
                 interface: str = "slcan", bitrate: int = BITRATE, **bus_options: Any):
        super().__init__(env, name, f"{interface}:{channel}")
        self.codec = codec
        self.channel = channel
        self.interface = interface
        self.bitrate = bitrate
        self.bus_options = bus_options
        self.bus_errors = 0  # error frames seen
        self.probe_addresses: list[int] = [0]  # the modules rig check asks
        self._bus: can.BusABC | None = None

    @classmethod
    def shared(cls, env: Any, name: str, codec: ModuleCodec, channel: str,
               interface: str = "slcan", bitrate: int = BITRATE,
               **bus_options: Any) -> CanChannel:
        """The device of this channel in this simulation, made by the first backend asking."""
        def same_protocol(device: CanChannel) -> None:
            if device.codec.mapping.path != codec.mapping.path or device.bitrate != bitrate:
                raise DeviceUnavailable(
                    f"{name}: {interface}:{channel} is already used by {device.name} with "
                    f"{Path(device.codec.mapping.path).name} at {device.bitrate} bit/s; backends "
                    "sharing a channel must speak the same protocol at the same bit rate")

        return super().shared(
            env, (interface, channel),
            lambda: cls(env, name, codec, channel, interface, bitrate, **bus_options),
            same_protocol)

    # --- the backend's part of Device -----------------------------------------------------------
    def _open(self) -> None:
        try:
            self._bus = can.Bus(interface=self.interface, channel=self.channel,
                                bitrate=self.bitrate, **self.bus_options)
        except (can.CanError, OSError, ValueError, ImportError) as exc:
            raise DeviceUnavailable(f"cannot open {self.address}: {_short(exc)}") from None

    def _close(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            with contextlib.suppress(can.CanError, OSError, ValueError, TypeError):
                bus.shutdown()  # may fail: the adapter is gone already

    def _read(self, timeout_s: float) -> list[Any]:
        bus = self._bus
        if bus is None:
            raise DeviceLost("channel closed")
        out: list[Any] = []
        wait = timeout_s
        while len(out) < MAX_FRAMES_PER_READ:
            try:
                frame = receive(bus, wait)
            except NoiseOnLine as exc:
                out.append(BadFrame(str(exc)))
                continue
            except can.CanOperationError as exc:
                raise DeviceLost(f"{self.address}: {_short(exc)}") from None
            if frame is None:
                break
            out.append(self._decode(frame))
            wait = 0.0
        return out

    def _decode(self, frame: can.Message) -> Any:
        try:
            return self.codec.decode(frame)
        except CodecError as exc:
            if frame.is_error_frame:
                self.bus_errors += 1
            return BadFrame(str(exc))

    def _write(self, frame: can.Message) -> None:
        bus = self._bus
        if bus is None:
            raise DeviceLost("channel closed")
        try:
            bus.send(frame, timeout=1.0)
        except (can.CanError, OSError, ValueError) as exc:
            raise DeviceLost(f"{self.address}: send failed: {_short(exc)}") from None

    def _answers(self, request: can.Message, frame: Decoded) -> bool:
        return self.codec.answers(request, frame)

    def describe(self, frame: Any) -> str:
        if isinstance(frame, can.Message):
            return f"frame {frame.arbitration_id:#010x} [{frame.data.hex(' ')}]"
        return repr(frame)

    def _identify(self, timeout_s: float) -> dict:
        """Ask every address the backend will use for its readings (rig check)."""
        addresses = self.probe_addresses
        answered: dict[int, dict] = {}
        for address in addresses:
            for frame in self.codec.read_frames(address, ["voltage_v", "current_a"]):
                self._write(frame)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(answered) < len(addresses):
            for item in self._read(0.05):
                if isinstance(item, Decoded) and item.kind == "reply" \
                        and item.address in addresses:
                    answered.setdefault(item.address, {}).update(self.codec.readings(item))
        missing = [a for a in addresses if a not in answered]
        if len(missing) == len(addresses):
            raise DeviceTimeout(f"no module answered within {timeout_s:g} s at "
                                f"{', '.join(map(str, addresses))}")
        identity: dict[str, Any] = {"modules": len(answered)}
        for address, values in sorted(answered.items()):
            identity[f"module{address}"] = f"{values.get('voltage_v', 0):g} V " \
                f"{values.get('current_a', 0):g} A"
        if missing:
            identity["silent"] = ", ".join(map(str, missing))
        return identity


class NoiseOnLine(ValueError):
    """A line from an slcan adapter that is no frame (noise on the serial link)."""


SLCAN_LINE_ENDS = b"\r\x07"  # a line (a frame, an acknowledgement) and an error


def _read_slcan_lines(bus: can.BusABC, timeout_s: float) -> bool:
    """For an slcan bus: read what the adapter has sent in one go and queue its complete lines
    for python-can to parse. False when ``bus`` is not such a bus (then python-can reads).

    python-can's slcan reads its serial port one byte per call, and each call is a turn of the
    GIL: beside a busy simulation thread that holds it for a switch interval (5 ms) at a time,
    a 27-byte frame waited 27 turns, replies piled up behind each other and requests timed out
    with their replies on the way. python-can parses the lines it finds in its ``_queue`` (where
    it keeps lines read while waiting for an answer of the adapter) before reading more."""
    port = getattr(bus, "serialPortOrig", None)
    lines = getattr(bus, "_queue", None)
    pending = getattr(bus, "_buffer", None)
    if port is None or lines is None or not isinstance(pending, bytearray):
        return False
    if lines.qsize() or _queue_lines(pending, lines):
        return True
    try:
        fd = port.fileno()
    except (AttributeError, OSError, ValueError):
        return False  # a port without a descriptor (Windows): python-can reads it itself
    try:
        if not port.in_waiting:
            ready, _, _ = select.select([fd], [], [], max(timeout_s, 0.0))
            if not ready:
                return True
        pending += port.read(max(1, port.in_waiting))
    except (OSError, ValueError) as exc:  # the port went away (closed, a vanished pty)
        raise can.CanOperationError(f"could not read from the adapter: {_short(exc)}") from None
    _queue_lines(pending, lines)
    return True


def _queue_lines(pending: bytearray, lines: Any) -> int:
    """Move the complete lines of ``pending`` to ``lines``; how many. A line that is not ASCII
    is dropped and reported (NoiseOnLine) once the good lines around it are queued."""
    queued = noise = start = 0
    for end, byte in enumerate(pending):
        if byte in SLCAN_LINE_ENDS:
            try:
                lines.put(bytes(pending[start:end + 1]).decode("ascii"))
                queued += 1
            except UnicodeDecodeError:
                noise += 1
            start = end + 1
    del pending[:start]
    if noise:
        raise NoiseOnLine(f"unreadable line from the adapter: {noise} not ASCII")
    return queued


def receive(bus: can.BusABC, timeout_s: float) -> can.Message | None:
    """``bus.recv`` that tells noise on an slcan adapter's serial line (NoiseOnLine) from a
    failed link (can.CanOperationError), and reads an slcan adapter's lines in bulk
    (:func:`_read_slcan_lines`).

    python-can's slcan raises for a line it cannot parse, as a CanOperationError when the line
    is not ASCII, and keeps that line's bytes: every later read would fail on them again. They
    are dropped here (no public call does only that), so one burst of noise costs one line."""
    bulk = False
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            bulk = _read_slcan_lines(bus, deadline - time.monotonic())
            if not bulk:
                return bus.recv(timeout_s)
            while bus._queue.qsize():  # type: ignore[attr-defined]
                message = bus.recv(0)  # None for a line that is no frame (an adapter's answer)
                if message is not None:
                    return message
            if time.monotonic() >= deadline:  # (a line half read, or none) the time is up
                return None
    except NoiseOnLine:
        raise
    except can.CanOperationError as exc:
        if not isinstance(exc.__cause__, ValueError):  # UnicodeDecodeError is one
            raise
        cause: BaseException = exc.__cause__
    except (ValueError, IndexError) as exc:  # a short or non-hex frame line
        cause = exc
    buffer = getattr(bus, "_buffer", None)
    if isinstance(buffer, bytearray) and not bulk:  # (read in bulk: the bad line is gone)
        buffer.clear()
    raise NoiseOnLine(f"unreadable line from the adapter: {_short(cause)}")


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
