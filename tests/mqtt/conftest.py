"""A real Mosquitto per test, a raw MQTT client, and a distributed station run as a subprocess.

Wall-clock tests here wait for messages with generous timeouts and assert on what arrived; they
never sleep to let something happen.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from charger.framework.broker import PrivateBroker

HERE = Path(__file__).parent
STATION = HERE / "station_with_car.yaml"
WAIT_S = 30.0


@pytest.fixture
def broker() -> Iterator[PrivateBroker]:
    with PrivateBroker() as running:
        yield running


def unwrap(payload: Any) -> Any:
    """The content of an EVerest message as docs/mqtt.md describes it: a variable's value, a
    call, a result's id/retval/error, a ready flag; anything else as it came."""
    if not isinstance(payload, dict) or "msg_type" not in payload:
        return payload
    data = payload.get("data")
    if payload["msg_type"] in ("Var", "CmdResult") and isinstance(data, dict):
        return data.get("data")
    if payload["msg_type"] == "GlobalReady":
        return payload
    return data


class RawClient:
    """An MQTT client that knows nothing of evbench but the documented topic layout and
    payloads (docs/mqtt.md)."""

    def __init__(self, url: str):
        host, port = url.removeprefix("mqtt://").split(":")
        self.messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.seen: list[tuple[str, Any]] = []
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"raw-{uuid.uuid4().hex[:6]}")
        self.client.on_message = self._on_message
        self.connections = 0
        self._connected = threading.Condition()
        self.client.on_connect = self._on_connect
        self.client.reconnect_delay_set(0.05, 1.0)
        self.client.connect(host, int(port))
        self.client.loop_start()

    def _on_connect(self, client: Any, *_args: Any) -> None:
        client.subscribe("everest/#", qos=1)
        with self._connected:
            self.connections += 1
            self._connected.notify_all()

    def wait_connected(self, count: int, timeout: float = WAIT_S) -> None:
        """Wait until the client has connected ``count`` times in all."""
        with self._connected:
            if not self._connected.wait_for(lambda: self.connections >= count, timeout):
                raise AssertionError(f"not reconnected within {timeout} s")

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        try:
            payload = unwrap(json.loads(message.payload)) if message.payload else None
        except (ValueError, RecursionError):  # a test may send garbage: so can others
            payload = message.payload
        self.messages.put((message.topic, payload))

    def publish(self, topic: str, payload: Any, raw: bool = False,
                msg_type: str | None = None) -> None:
        """Publish ``payload`` as JSON (in EVerest's envelope when ``msg_type`` is given), or
        as the bytes given (``raw``)."""
        if msg_type is not None:
            payload = {"msg_type": msg_type, "data": payload}
        data = payload if raw else json.dumps(payload)
        self.client.publish(topic, data, qos=1).wait_for_publish(5)

    def wait_for(self, match: Callable[[str, Any], bool], timeout: float = WAIT_S,
                 what: str = "message", since: int = 0) -> tuple[str, Any]:
        """The first message (from index ``since`` of what was seen) that matches."""
        for topic, payload in self.seen[since:]:
            if match(topic, payload):
                return topic, payload
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout} s")
            try:
                topic, payload = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append((topic, payload))
            if match(topic, payload):
                return topic, payload

    def call(self, module: str, impl: str, cmd: str, args: dict,
             timeout: float = WAIT_S) -> dict:
        """A command as a foreign module sends it; returns the result's id/retval/error."""
        call_id = uuid.uuid4().hex
        base = f"everest/modules/{module}/impl/{impl}/cmd/{cmd}"
        self.publish(base, {"id": call_id, "args": args, "origin": "raw"}, msg_type="Cmd")
        _, reply = self.wait_for(
            lambda t, p: t == f"{base}/response/raw" and isinstance(p, dict)
            and p.get("id") == call_id, timeout, f"reply to {cmd}")
        return reply

    def session_event(self, name: str, since: int = 0, timeout: float = WAIT_S) -> None:
        """Wait for an EVSE session event seen at or after index ``since``."""
        self.wait_for(lambda topic, payload: (
            topic == "everest/modules/evse1/impl/evse/var/session_event"
            and isinstance(payload, dict) and payload.get("event") == name),
            timeout, f"session event {name}", since)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def raw(broker: PrivateBroker) -> Iterator[RawClient]:
    client = RawClient(broker.url)
    yield client
    client.close()


class StationProcess:
    """``evbench station ... --bus URL`` as a subprocess (the manager and its module processes)."""

    def __init__(self, url: str, config: Path = STATION, factor: float = 0.1,
                 logs: Path | None = None):
        command = [sys.executable, "-m", "evbench.cli", "station", str(config), "--bus", url,
                   "--factor", str(factor)]
        if logs:
            command += ["--logs", str(logs)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)

    def children(self) -> dict[str, int]:
        """Module process pid by the first module id it hosts."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
                status = (entry / "status").read_text()
            except OSError:
                continue
            ppid = next((int(line.split()[1]) for line in status.splitlines()
                         if line.startswith("PPid:")), None)
            if ppid == self.process.pid and b"module" in cmdline:
                index = cmdline.index(b"module")
                found[cmdline[index + 1].decode()] = int(entry.name)
        return found

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


def start_station(url: str, raw: RawClient, logs: Path) -> StationProcess:
    running = StationProcess(url, logs=logs)
    try:
        raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict), 90,
                     "everest/ready")
    except AssertionError:
        raise AssertionError(f"station did not start: {running.stop()[-2000:]}") from None
    return running


@pytest.fixture
def station(broker: PrivateBroker, raw: RawClient, tmp_path: Path) -> Iterator[StationProcess]:
    running = start_station(broker.url, raw, tmp_path / "logs")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[StationProcess, RawClient]]:
    """One distributed station for the tests of a file that only read or add to its state."""
    import tempfile

    with PrivateBroker() as running_broker, tempfile.TemporaryDirectory() as logs:
        client = RawClient(running_broker.url)
        running = start_station(running_broker.url, client, Path(logs))
        yield running, client
        running.stop()
        client.close()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
