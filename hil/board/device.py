"""The open charger board as a device: frames on a serial port (see docs/board-protocol.md)."""

from __future__ import annotations

import time
from typing import Any

from hil.board import messages
from hil.board.framing import Deframer, FrameError
from hil.board.messages import BoardToHost, HostToBoard
from hil.device import BadFrame, DeviceTimeout
from hil.serial_link import SerialDevice

BAUDRATE = 115200
SILENCE_TIMEOUT_S = 5.0  # the board is lost after this long without a keep-alive
STATUS_WAIT_S = 0.3  # a probe listens this long after the keep-alive for the board's status

# Host requests that the board answers, and the message that answers each.
REPLIES = {"rcd_reset": "error_flags", "connector_lock": "lock_state", "keep_alive": "keep_alive",
           "read_power_meter": "power_meter"}


class BoardDevice(SerialDevice):
    silence_timeout_s = SILENCE_TIMEOUT_S

    def __init__(self, env: Any, name: str, port: str, baudrate: int = BAUDRATE):
        super().__init__(env, name, port, baudrate)
        self._deframer = Deframer()

    def _reset_decoder(self) -> None:
        self._deframer = Deframer()

    def _decode(self, data: bytes) -> list[Any]:
        out: list[Any] = []
        for item in self._deframer.feed(data):
            if isinstance(item, FrameError):
                out.append(BadFrame(str(item)))
                continue
            try:
                out.append(messages.parse(item, BoardToHost))
            except FrameError as exc:
                out.append(BadFrame(str(exc)))
        return out

    def _encode(self, frame: HostToBoard) -> bytes:
        return messages.frame(frame)

    def _answers(self, request: HostToBoard, frame: BoardToHost) -> bool:
        kind = messages.kind_of(request)
        if REPLIES.get(kind) != messages.kind_of(frame):
            return False
        if kind == "read_power_meter":
            # Only the answer to this request: a reading the board pushed meanwhile (id 0) may
            # have been taken before the request arrived.
            return frame.power_meter.request_id == request.read_power_meter.request_id
        return True

    def describe(self, frame: Any) -> str:
        return messages.describe(frame)

    def _identify(self, timeout_s: float) -> dict:
        """Send a keep-alive and collect what the board says within ``timeout_s``: its
        identity (keep-alive) and status (pilot, relays, errors, plug, lock)."""
        self._write(HostToBoard(keep_alive=messages.pb.KeepAlive(sw_version_string="evbench")))
        seen: dict[str, Any] = {}
        deadline = time.monotonic() + timeout_s
        status_until: float | None = None
        while time.monotonic() < deadline:
            if "keep_alive" in seen and status_until is None:
                # The status a board sends a new host comes right after its keep-alive.
                status_until = time.monotonic() + STATUS_WAIT_S
                deadline = min(deadline, status_until)
            for frame in self._read(0.05):
                if isinstance(frame, BadFrame):
                    seen["refused_frames"] = seen.get("refused_frames", 0) + 1
                    continue
                seen[messages.kind_of(frame)] = getattr(frame, messages.kind_of(frame))
        if "keep_alive" not in seen:
            refused = seen.get("refused_frames")
            raise DeviceTimeout(f"no keep-alive within {timeout_s:g} s" + (
                f" ({refused} frames refused: wrong baud rate or not this protocol?)"
                if refused else " (nothing received)"))
        alive = seen["keep_alive"]
        identity = {"hw_type": alive.hw_type, "hw_revision": alive.hw_revision,
                    "sw_version": alive.sw_version_string or "?",
                    "max_current_a": round(alive.hwcap_max_current, 1),
                    "phases": alive.hwcap_max_phase_count}
        if "cp_state" in seen:
            identity["cp"] = messages.CP_STATES[seen["cp_state"]]
        if "relay_state" in seen:
            identity["relays"] = "closed" if seen["relay_state"] else "open"
        if "lock_state" in seen:
            identity["lock"] = messages.LOCK_STATES[seen["lock_state"]]
        return identity
