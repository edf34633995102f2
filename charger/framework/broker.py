"""A private Mosquitto broker for one run, when the user names none."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from charger.framework.errors import EvbenchError

CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
set_tcp_nodelay true
max_queued_messages 100000
max_inflight_messages 1000
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateBroker:
    """``mosquitto`` on a free loopback port, stopped with the run."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="evbench-broker-")
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> PrivateBroker:
        binary = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()),
            None)
        if binary is None:
            raise EvbenchError("no MQTT broker given and mosquitto is not installed: install it "
                               "(Debian: apt-get install mosquitto) or pass --bus mqtt://HOST:PORT")
        config = Path(self._dir.name) / "mosquitto.conf"
        config.write_text(CONFIG.format(port=self.port))
        self._process = subprocess.Popen([binary, "-c", str(config)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not _wait_for_port(self.port, timeout_s, self._process):
            self.stop()
            raise EvbenchError(f"mosquitto did not start listening on port {self.port}")
        return self

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()

    def __enter__(self) -> PrivateBroker:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _wait_for_port(port: int, timeout_s: float, process: subprocess.Popen) -> bool:
    import time  # start-up of an external process: wall time is the only clock there is

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.02)
    return False
