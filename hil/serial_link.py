"""A stream device on a serial port: anything pyserial's ``serial_for_url`` opens (a USB
adapter, a pty, ``socket://host:port``, ``rfc2217://``, ``loop://``). A backend adds how bytes
become frames (:meth:`SerialDevice._decode`) and frames bytes (:meth:`SerialDevice._encode`)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import serial

from hil.device import BadFrame, Device, DeviceLost, DeviceUnavailable

WRITE_TIMEOUT_S = 1.0


class SerialDevice(Device):
    streaming = True

    def __init__(self, env: Any, name: str, port: str, baudrate: int = 115200):
        super().__init__(env, name, port)
        self.baudrate = baudrate
        self._serial: serial.SerialBase | None = None
        self._write_lock = threading.Lock()

    def _open(self) -> None:
        try:
            self._serial = serial.serial_for_url(self.address, baudrate=self.baudrate,
                                                 timeout=0.05, write_timeout=WRITE_TIMEOUT_S)
        except (serial.SerialException, ValueError) as exc:
            raise DeviceUnavailable(f"cannot open {self.address}: {_short(exc)}") from None
        self._reset_decoder()

    def _close(self) -> None:
        link, self._serial = self._serial, None
        if link is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                link.close()

    def _read(self, timeout_s: float) -> list[Any]:
        link = self._serial
        if link is None:
            raise DeviceLost("port closed")
        try:
            data = link.read(max(1, link.in_waiting))
        except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
            # pyserial reports an unplugged adapter or a vanished pty as "returned no data",
            # and a port closed by stop() from another thread with a TypeError.
            raise DeviceLost(f"{self.address}: {_short(exc)}") from None
        return self._decode(data) if data else []

    def _write(self, frame: Any) -> None:
        link = self._serial
        if link is None:
            raise DeviceLost("port closed")
        try:
            with self._write_lock:
                link.write(self._encode(frame))
        except (serial.SerialException, OSError) as exc:
            raise DeviceLost(f"{self.address}: {_short(exc)}") from None

    # --- the backend's part -----------------------------------------------------------------
    def _reset_decoder(self) -> None:
        """A fresh link: forget any half-received frame."""

    def _decode(self, data: bytes) -> list[Any]:
        raise NotImplementedError

    def _encode(self, frame: Any) -> bytes:
        raise NotImplementedError


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


__all__ = ["BadFrame", "SerialDevice"]
