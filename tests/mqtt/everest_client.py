"""A module and a client that speak EVerest's MQTT protocol, written from everest-framework's
own description of it (its MQTT communication and configuration-distribution documents, and
the message types its framework sends), not from evbench's code: what an unmodified EVerest
module would do when it joins a station.

Every message is ``{"msg_type": <type>, "data": <data>}``:

* ``Var`` on ``everest/modules/<m>/impl/<i>/var/<name>``: data ``{"data": <value>}``
* ``Cmd`` on ``.../cmd/<name>``: data ``{"id", "args", "origin"}``
* ``CmdResult`` on ``.../cmd/<name>/response/<caller>``: data ``{"type": "result", "data":
  {"id", "retval" | "error": {"__everest__error_type", "__everest__error_msg"}, "origin"}}``
* ``ModuleReady`` on ``everest/modules/<m>/ready``: data ``true``, QoS 2, not retained
* ``GlobalReady`` on ``everest/ready``: data ``true``, QoS 2
* ``GetConfig`` on ``everest/config/request``: data ``{"type": "Get", "origin": <m>,
  "request": {"type": "Module"}}``; the answer, ``GetConfigResponse`` on
  ``everest/modules/<m>/response``: data ``{"status": "Ok", "type": "Get", "response":
  {"type": "Module", "data": <configuration>}}``
* ``Heartbeat`` on ``everest/modules/<m>/heartbeat``: data a timestamp, QoS 0
* ``RaiseError``/``ClearError`` on ``.../error/<namespace>/<name>``: data ``{"type",
  "message", "severity", "origin": {"module_id", "implementation_id"}, "state", ...}``
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho

ERROR_TYPES = {"MessageParsingError", "SchemaValidationError", "HandlerException",
               "CmdTimeout", "Shutdown", "NotReady"}


class Received:
    """One message as it arrived: topic, QoS, retain flag and the parsed JSON."""

    def __init__(self, message: Any):
        self.topic: str = message.topic
        self.qos: int = message.qos
        self.retain: bool = bool(message.retain)
        try:
            self.json: Any = json.loads(message.payload) if message.payload else None
        except (ValueError, RecursionError):
            self.json = None


class EverestPeer:
    """A raw paho client on EVerest's topics; ``handlers`` answer commands as a module."""

    def __init__(self, url: str, module_id: str, subscriptions: list[str],
                 handlers: dict[str, Callable[[dict], Any]] | None = None):
        host, port = url.removeprefix("mqtt://").split(":")
        self.module_id = module_id
        self.handlers = handlers or {}
        self.subscriptions = subscriptions
        self.inbox: queue.Queue[Received] = queue.Queue()
        self.seen: list[Received] = []
        self.calls: queue.Queue[dict] = queue.Queue()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"everest-{module_id}-{uuid.uuid4().hex[:6]}")
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._connected = threading.Event()
        self.client.connect(host, int(port))
        self.client.loop_start()
        if not self._connected.wait(10):
            raise AssertionError("cannot connect")

    def _on_connect(self, client: Any, *_args: Any) -> None:
        client.subscribe([(topic, 2) for topic in self.subscriptions])
        self._connected.set()

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        received = Received(message)
        if received.topic.startswith(f"everest/modules/{self.module_id}/impl/") \
                and "/cmd/" in received.topic and "/response/" not in received.topic:
            self._answer(received)
        self.inbox.put(received)

    def _answer(self, request: Received) -> None:
        message = request.json
        if not isinstance(message, dict) or message.get("msg_type") != "Cmd":
            return
        call = message["data"]
        self.calls.put(call)
        name = request.topic.rsplit("/", 1)[1]
        result: dict[str, Any] = {"id": call["id"], "origin": self.module_id}
        try:
            result["retval"] = self.handlers[name](call["args"])
        except Exception as exc:  # noqa: BLE001 - what EVerest does: HandlerException
            result["error"] = {"__everest__error_type": "HandlerException",
                               "__everest__error_msg": repr(exc)}
        self.send(f"{request.topic}/response/{call['origin']}", "CmdResult",
                  {"type": "result", "data": result}, qos=2)

    def wait_call(self, timeout: float = 30) -> dict:
        """The next command call this module received."""
        try:
            return self.calls.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no call within {timeout} s") from None

    def send(self, topic: str, msg_type: str, data: Any, qos: int = 2) -> None:
        payload = json.dumps({"msg_type": msg_type, "data": data})
        self.client.publish(topic, payload, qos=qos).wait_for_publish(5)

    def announce_ready(self) -> None:
        self.send(f"everest/modules/{self.module_id}/ready", "ModuleReady", True)

    def get_config(self, timeout: float = 30) -> dict:
        """Ask the manager for this module's configuration, as an EVerest module does."""
        self.send("everest/config/request", "GetConfig",
                  {"type": "Get", "origin": self.module_id, "request": {"type": "Module"}})
        answer = self.wait_for(lambda m: m.topic == f"everest/modules/{self.module_id}/response",
                               timeout, "the configuration")
        return answer.json["data"]

    def call(self, module: str, impl: str, cmd: str, args: dict, timeout: float = 30) -> dict:
        """Call a command; returns the CmdResult's inner data (id, retval or error, origin)."""
        call_id = uuid.uuid4().hex
        topic = f"everest/modules/{module}/impl/{impl}/cmd/{cmd}"
        self.client.subscribe(f"{topic}/response/{self.module_id}", 2)  # before calling
        self.send(topic, "Cmd", {"id": call_id, "args": args, "origin": self.module_id})
        answer = self.wait_for(
            lambda m: m.topic == f"{topic}/response/{self.module_id}"
            and isinstance(m.json, dict) and m.json.get("msg_type") == "CmdResult"
            and m.json["data"]["data"]["id"] == call_id, timeout, f"the result of {cmd}")
        return answer.json["data"]["data"]

    def wait_for(self, match: Callable[[Received], bool], timeout: float = 30,
                 what: str = "a message", since: int = 0) -> Received:
        for received in self.seen[since:]:
            if match(received):
                return received
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {what} within {timeout} s")
            try:
                received = self.inbox.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(received)
            if match(received):
                return received

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
