"""A pair of connected pseudo-terminals made by socat: what a USB serial adapter and the device
behind it are to each other. pyserial opens either end by its name."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from hil.device import DeviceUnavailable

READY_TIMEOUT_S = 5.0


class PtyPair:
    """``host`` and ``device`` become symbolic links to the two ends while it runs."""

    def __init__(self, host: str | Path, device: str | Path):
        self.host = str(host)
        self.device = str(device)
        self._process: subprocess.Popen | None = None

    def start(self) -> PtyPair:
        socat = shutil.which("socat")
        if socat is None:
            raise DeviceUnavailable("socat is not installed (apt-get install socat): it makes "
                                    "the pty pair an emulated serial device sits on")
        for link in (self.host, self.device):
            Path(link).parent.mkdir(parents=True, exist_ok=True)
            if os.path.islink(link):
                os.unlink(link)  # a stale link from a run that was killed
        self._process = subprocess.Popen(
            [socat, f"pty,raw,echo=0,link={self.host}", f"pty,raw,echo=0,link={self.device}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not (os.path.exists(self.host) and os.path.exists(self.device)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                error = self._process.stderr.read().decode(errors="replace").strip() \
                    if self._process.stderr and self._process.poll() is not None else "timeout"
                self.stop()
                raise DeviceUnavailable(f"socat could not make the pty pair {self.host}: "
                                        f"{error}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """End the pair: both ends vanish, as an unplugged adapter does."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> PtyPair:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
