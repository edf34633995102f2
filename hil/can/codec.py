"""Power-module CAN frames to and from what they mean, through a mapping and its DBC (cantools).

Pure functions of a :class:`~hil.can.mapping.Mapping`: no I/O and no clock. The backends use
the controller's half (setpoints and read requests out, readings in); the emulators use the
module's half (requests in, replies out). Anything that is not a frame of the protocol raises
:class:`CodecError` and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import can
from cantools.database.can import Message

from hil.can.mapping import CAPABILITIES, FAULTS, FrameRef, Mapping


class CodecError(ValueError):
    """A frame that is not one of the protocol's, or one it cannot be."""


@dataclass(frozen=True)
class Decoded:
    kind: str  # "request" (controller to module) or "reply" (module to controller)
    address: int  # the module's
    message: str  # the DBC message
    signals: dict[str, Any]
    refused: bool = False  # a reply saying the module did not accept the request

    def matches(self, frame: FrameRef) -> bool:
        return self.message == frame.message and \
            all(self.signals.get(k) == v for k, v in frame.fixed)


class ModuleCodec:
    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        m = mapping
        request_names = {sp.frame.message for sp in m.setpoints.values()} \
            | {r.request.message for r in m.readings.values()} | set(m.replies)
        reply_names = {r.message for r in m.readings.values()} | set(m.replies.values())
        self._requests = {self._base(m.message(n).frame_id, "request"): m.message(n)
                          for n in request_names}
        self._replies = {self._base(m.message(n).frame_id, "reply"): m.message(n)
                         for n in reply_names}
        # Signals that pick a use of a message (a register): a reply repeats them.
        self._keys = {k for sp in m.setpoints.values() for k, _ in sp.frame.fixed} \
            | {k for r in m.readings.values() for k, _ in r.request.fixed}

    def _base(self, frame_id: int, kind: str) -> int:
        field = self.mapping.request_address if kind == "request" else self.mapping.reply_address
        base = frame_id & ~field.mask
        if self.mapping.error_code is not None:
            base &= ~self.mapping.error_code.mask
        return base

    # --- encoding -------------------------------------------------------------------------------
    def encode(self, message_name: str, kind: str, address: int, signals: dict[str, Any],
               error_code: int = 0) -> can.Message:
        message = self.mapping.message(message_name)
        if not 0 <= address <= self.mapping.max_address:
            raise CodecError(f"module address {address} out of range "
                             f"0..{self.mapping.max_address}")
        values = {s.name: 0 for s in message.signals} | dict(signals)
        try:
            data = message.encode(_within_range(message, values), strict=False)
        except Exception as exc:  # cantools and bitstruct raise several kinds
            raise CodecError(f"{message_name}: cannot encode {signals}: {exc}") from None
        field = self.mapping.request_address if kind == "request" else self.mapping.reply_address
        frame_id = field.put(message.frame_id, address)
        if error_code and self.mapping.error_code is not None:
            frame_id = self.mapping.error_code.put(frame_id, error_code)
        return can.Message(arbitration_id=frame_id, is_extended_id=message.is_extended_frame,
                           data=data.ljust(message.length, b"\0"), dlc=message.length)

    def setpoint_frames(self, address: int, *, voltage_v: float | None = None,
                        current_a: float | None = None, on: bool | None = None) -> list:
        """The frames that set what is given (a vendor may put two setpoints in one frame)."""
        wanted: dict[str, Any] = {}
        if voltage_v is not None:
            wanted["voltage_v"] = voltage_v
        if current_a is not None:
            wanted["current_a"] = current_a
        if on is not None:
            wanted["output"] = on
        frames: dict[FrameRef, dict[str, Any]] = {}
        for name, value in wanted.items():
            setpoint = self.mapping.setpoints[name]
            if name == "output":
                value = setpoint.on if value else setpoint.off
            frames.setdefault(setpoint.frame, dict(setpoint.frame.fixed))[setpoint.signal] = value
        return [self.encode(ref.message, "request", address, signals)
                for ref, signals in frames.items()]

    def read_frames(self, address: int, names: Iterable[str]) -> list[can.Message]:
        """The read requests that bring the named readings (each request once)."""
        refs = list(dict.fromkeys(self.mapping.readings[n].request for n in names
                                  if n in self.mapping.readings))
        return [self.encode(ref.message, "request", address, dict(ref.fixed)) for ref in refs]

    def poll_names(self) -> list[str]:
        """What a controller polls: readings and faults (the capabilities are read once)."""
        return [n for n in self.mapping.readings if n not in CAPABILITIES]

    # --- decoding -------------------------------------------------------------------------------
    def decode(self, frame: can.Message) -> Decoded:
        if frame.is_error_frame:
            raise CodecError("an error frame on the bus")
        if frame.is_remote_frame:
            raise CodecError(f"a remote frame (id {frame.arbitration_id:#x})")
        frame_id = frame.arbitration_id
        for kind, table, field in (("reply", self._replies, self.mapping.reply_address),
                                   ("request", self._requests, self.mapping.request_address)):
            message = table.get(self._base(frame_id, kind))
            if message is not None and message.is_extended_frame == frame.is_extended_id:
                address = field.get(frame_id)
                break
        else:
            raise CodecError(f"unknown frame id {frame_id:#x}")
        if len(frame.data) != message.length:
            raise CodecError(f"{message.name}: {len(frame.data)} data bytes, expected "
                             f"{message.length}")
        try:
            signals = message.decode(bytes(frame.data), decode_choices=False, scaling=True)
        except Exception as exc:  # an unknown multiplexer value, a short frame
            raise CodecError(f"{message.name}: {str(exc) or type(exc).__name__}") from None
        for name, value in signals.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise CodecError(f"{message.name}: {name} is {value}")
        refused = False
        if kind == "reply":
            if self.mapping.error_code is not None:
                refused = self.mapping.error_code.get(frame_id) != 0
            unless = self.mapping.refused_unless
            if unless is not None and unless[0] in signals:
                refused = refused or signals[unless[0]] != unless[1]
        return Decoded(kind, address, message.name, signals, refused)

    def readings(self, reply: Decoded) -> dict[str, Any]:
        """What a module's reply says, by reading name (READINGS, CAPABILITIES, FAULTS)."""
        found: dict[str, Any] = {}
        if reply.kind != "reply" or reply.refused:
            return found
        for name, reading in self.mapping.readings.items():
            if reading.message != reply.message or \
                    not all(s in reply.signals for s in reading.signals):
                continue
            values = [reply.signals[s] for s in reading.signals]
            if name in FAULTS or name == "output_off":
                found[name] = any(bool(v) for v in values)
            else:
                found[name] = float(values[0])
        return found

    def answers(self, request: can.Message, reply: Decoded) -> bool:
        """Whether ``reply`` is the module's answer to ``request``."""
        if reply.kind != "reply":
            return False
        try:
            asked = self.decode(request)
        except CodecError:
            return False
        if asked.address != reply.address or reply.message not in self._reply_messages(asked):
            return False
        return all(reply.signals[k] == v for k, v in asked.signals.items()
                   if k in self._keys and k in reply.signals)

    def _reply_messages(self, request: Decoded) -> set[str]:
        if request.message in self.mapping.replies:
            return {self.mapping.replies[request.message]}
        return {r.message for r in self.mapping.readings.values() if request.matches(r.request)}

    # --- the module's half (emulators) ----------------------------------------------------------
    def setpoints_in(self, request: Decoded) -> dict[str, Any]:
        """The setpoints a request carries (``output`` as True/False)."""
        found: dict[str, Any] = {}
        for name, setpoint in self.mapping.setpoints.items():
            if request.matches(setpoint.frame) and setpoint.signal in request.signals:
                value = request.signals[setpoint.signal]
                if name == "output":
                    if value not in (setpoint.on, setpoint.off):
                        raise CodecError(f"{request.message}: {setpoint.signal}={value} is "
                                         "neither on nor off")
                    value = value == setpoint.on
                found[name] = value
        return found

    def readings_asked(self, request: Decoded) -> list[str]:
        return [n for n, r in self.mapping.readings.items() if request.matches(r.request)]

    def reply_frames(self, request: Decoded, state: dict[str, Any],
                     refuse: bool = False) -> list[can.Message]:
        """A module's answer to ``request``: setpoints echoed, readings from ``state``
        (READINGS and CAPABILITIES values, a FAULTS name true while active)."""
        keys = {k: v for k, v in request.signals.items() if k in self._keys}
        replies: dict[str, dict[str, Any]] = {}
        if request.message in self.mapping.replies:
            name = self.mapping.replies[request.message]
            echoed = {s.name for s in self.mapping.message(name).signals}
            replies[name] = {k: v for k, v in request.signals.items() if k in echoed}
            for setpoint in self.mapping.setpoints.values():
                if request.matches(setpoint.frame):
                    replies[name].update(setpoint.reply_fixed)
        for name in self.readings_asked(request):
            reading = self.mapping.readings[name]
            signals = replies.setdefault(reading.message, dict(keys))
            signals.update(reading.reply_fixed)
            value = state.get(name, 0)
            if name in FAULTS:
                # The first of a fault's signals stands for it.
                signals[reading.signals[0]] = 1 if value else signals.get(reading.signals[0], 0)
            elif name == "output_off":
                signals[reading.signals[0]] = 1 if value else 0
            else:
                signals[reading.signals[0]] = value
        frames = []
        for name, signals in replies.items():
            unless = self.mapping.refused_unless
            if unless is not None:
                signals[unless[0]] = unless[1] + (1 if refuse else 0)
            frames.append(self.encode(name, "reply", request.address, signals,
                                      error_code=1 if refuse else 0))
        return frames


def _within_range(message: Message, values: dict[str, Any]) -> dict[str, Any]:
    """Clamp each physical value to what its signal can carry (a setpoint beyond it would
    otherwise wrap around or fail deep in the bit packing)."""
    out = {}
    for signal in message.signals:
        value = values.get(signal.name, 0)
        if signal.is_float:
            out[signal.name] = float(value)
            continue
        raw_max = (1 << signal.length) - 1
        raw_min = 0
        if signal.is_signed:
            raw_max >>= 1
            raw_min = -raw_max - 1
        limits = sorted((raw_min * signal.scale + signal.offset,
                         raw_max * signal.scale + signal.offset))
        out[signal.name] = min(max(value, limits[0]), limits[1])
    return out


__all__ = ["CodecError", "Decoded", "ModuleCodec"]
