"""The MQTT bus: the same messages as the in-process bus, through a broker, on the wall clock.

paho-mqtt runs its network loop on its own thread; every message it receives is decoded there
and handed to the simulation thread with :meth:`WallClockEnvironment.post`, so module code only
ever runs on the simulation thread, exactly as in-process. All messages use QoS 1 so nothing
queued during a broker outage is dropped; subscriptions are renewed on every (re)connection.
The topic layout is in :mod:`charger.framework.topics` and ``docs/mqtt.md``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as paho
import simpy

from charger.framework import topics
from charger.framework.bus import Bus, CommandError, CommandErrorType, ErrorReport
from charger.framework.errors import EvbenchError
from charger.framework.wallclock import WallClockEnvironment

QOS = 1
INFLIGHT = 1000
HELD_TELEMETRY = 100_000  # telemetry readings kept while the broker is away
SWITCH_INTERVAL_S = 0.0005  # see connect()
DEFAULT_PORT = 1883
RawWatcher = Callable[[topics.Topic, Any], None]


def parse_bus_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` (port 1883 when omitted) -> (host, port)."""
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise EvbenchError(f"bad bus address {url!r}: expected mqtt://HOST[:PORT]")
    return parsed.hostname, parsed.port or DEFAULT_PORT


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class MqttBus(Bus):
    """A bus client for one OS process, which may host several modules (or none: a monitor)."""

    def __init__(self, env: WallClockEnvironment, url: str, name: str,
                 default_timeout_s: float | None = 30.0):
        super().__init__(env)
        self.env: WallClockEnvironment = env
        self.url = url
        self.name = name
        self.default_timeout_s = default_timeout_s
        self.host, self.port = parse_bus_url(url)
        self._handlers: dict[tuple[str, str, str], Callable] = {}
        self._var_callbacks: dict[str, list[tuple[Callable, Callable | None]]] = defaultdict(list)
        self._error_callbacks: dict[tuple[str, str], list[Callable]] = defaultdict(list)
        self._watchers: list[RawWatcher] = []
        self._pending: dict[str, tuple[simpy.Event, str]] = {}
        self._subscriptions: set[str] = set()
        self._hosted: set[str] = set()
        # Guards _subscriptions and _held, used by the network and the simulation threads.
        self._lock = threading.Lock()
        self.connected = threading.Event()
        # Readiness is coordination between processes, tracked on the network thread.
        self._ready_changed = threading.Condition()
        self.remote_ready: set[str] = set()
        self.epoch: float | None = None  # wall-clock time of simulated t=0, from everest/ready
        self._subscriptions.update({topics.GLOBAL_READY, topics.ready("+")})
        self._last_sent: paho.MQTTMessageInfo | None = None
        self._held: deque[tuple[str, bytes]] = deque()

        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"evbench-{name}-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv311, clean_session=True)
        self.client.on_socket_open = self._on_socket_open
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=0.05, max_delay=2.0)
        # paho lets 20 QoS 1 messages await their acknowledgement by default, which throttles
        # a stream of variables to a few thousand per second; queued ones are kept either way.
        self.client.max_inflight_messages_set(INFLIGHT)

    # --- connection ----------------------------------------------------------------------------
    def connect(self, timeout_s: float = 10.0) -> None:
        """Connect (retrying in the background) and wait for the first connection."""
        # A message crosses two threads (paho's network loop, then the simulation). With the
        # default 5 ms GIL switch interval a runnable thread can wait that long for its turn,
        # which is what a round trip's tail latency is made of.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(timeout_s):
            self.client.loop_stop()
            raise EvbenchError(f"cannot reach the MQTT broker at {self.url} "
                               f"within {timeout_s:g} s")

    def close(self, flush_timeout_s: float = 10.0) -> None:
        for module_id in self._hosted:
            # Remove the retained ready flag so a later run does not mistake it for ours.
            self._send(topics.ready(module_id), b"", qos=QOS, retain=True)
        # QoS 1 messages leave in order, each after the previous was acknowledged: once the
        # last one is out, nothing this process queued is lost by disconnecting.
        if self._last_sent is not None and self.connected.is_set():
            with contextlib.suppress(RuntimeError, ValueError):
                self._last_sent.wait_for_publish(flush_timeout_s)
        self.client.disconnect()
        self.client.loop_stop()

    def _send(self, topic: str, payload: bytes, qos: int = QOS, retain: bool = False) -> None:
        self._last_sent = self.client.publish(topic, payload, qos=qos, retain=retain)

    @staticmethod
    def _on_socket_open(_client: paho.Client, _userdata: Any, sock: Any) -> None:
        # Without it, a QoS 1 round trip waits on Nagle's algorithm for tens of milliseconds.
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect(self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any,
                    _properties: Any) -> None:
        if getattr(reason, "is_failure", False):
            return
        with self._lock:
            wanted = sorted(self._subscriptions)
        if wanted:
            client.subscribe([(topic, QOS) for topic in wanted])
        with self._lock:  # held telemetry goes out before anything newer
            while self._held:
                topic, payload = self._held.popleft()
                client.publish(topic, payload, qos=0)
            self.connected.set()

    def _on_disconnect(self, *_args: Any) -> None:
        self.connected.clear()

    def _subscribe(self, topic: str) -> None:
        with self._lock:
            if topic in self._subscriptions:
                return
            self._subscriptions.add(topic)
        self.client.subscribe(topic, QOS)

    # --- receiving (network thread -> simulation thread) ---------------------------------------
    def _on_message(self, _client: paho.Client, _userdata: Any, message: Any) -> None:
        parsed = topics.parse(message.topic)
        if parsed is None:
            return
        try:
            payload = json.loads(message.payload) if message.payload else None
        except (ValueError, UnicodeDecodeError):
            payload = _Malformed(message.payload[:200])
        if parsed.kind in ("ready", "global_ready"):
            self._note_readiness(parsed, payload)
        topic = message.topic
        self.env.post(lambda: self._dispatch(parsed, topic, payload))

    def _note_readiness(self, topic: topics.Topic, payload: Any) -> None:
        with self._ready_changed:
            if topic.kind == "ready":
                if payload is True:
                    self.remote_ready.add(topic.module)
                else:
                    self.remote_ready.discard(topic.module)
            elif isinstance(payload, dict) and isinstance(payload.get("epoch"), int | float):
                self.epoch = float(payload["epoch"])
            else:
                self.epoch = None
            self._ready_changed.notify_all()

    def _dispatch(self, topic: topics.Topic, raw_topic: str, payload: Any) -> None:
        for watcher in self._watchers:
            watcher(topic, payload)
        if topic.kind == "var":
            self._deliver_var(topic, raw_topic, payload)
        elif topic.kind == "cmd" and topic.module in self._hosted:
            self._serve_request(topic, payload)
        elif topic.kind == "response":
            self._complete(payload)
        elif topic.kind == "error":
            self._deliver_error(topic, payload)

    def _deliver_var(self, topic: topics.Topic, raw_topic: str, value: Any) -> None:
        callbacks = self._var_callbacks.get(raw_topic)
        if not callbacks:
            return
        if isinstance(value, _Malformed):
            self._local_log("warning", f"dropped {raw_topic}: not JSON: {value.head!r}")
            return
        for callback, check in callbacks:
            problem = check(value) if check else None
            if problem:
                self._local_log("warning", f"dropped {raw_topic}: violates its schema: "
                                f"{problem}")
                continue
            callback(value)

    def _deliver_error(self, topic: topics.Topic, payload: Any) -> None:
        callbacks = self._error_callbacks.get((topic.module, topic.impl))
        if not callbacks:
            return
        try:
            report = ErrorReport(type=topic.name, message=str(payload.get("message", "")),
                                 severity=str(payload.get("severity", "high")),
                                 origin=str(payload.get("origin", "")),
                                 active=bool(payload.get("active", True)))
        except AttributeError:
            self._local_log("warning", f"dropped malformed error report on {topic.name}")
            return
        for callback in callbacks:
            callback(report)

    def _serve_request(self, topic: topics.Topic, request: Any) -> None:
        if not isinstance(request, dict) or not isinstance(request.get("id"), str) \
                or not isinstance(request.get("origin"), str):
            # Without an id and an origin there is nobody to answer.
            self._local_log("warning", f"dropped malformed request to {topic.module}."
                            f"{topic.impl}.{topic.name}")
            return
        call_id, origin = request["id"], request["origin"]
        reply_topic = topics.response(topic.module, topic.impl, topic.name, origin)

        def reply_error(error: CommandError) -> None:
            self._send(reply_topic, _encode({"id": call_id, "error": error.to_json()}),
                                qos=QOS)

        def reply_ok(value: Any) -> None:
            self._send(reply_topic, _encode({"id": call_id, "retval": value}), qos=QOS)

        self._serve_call(topic.module, topic.impl, topic.name, request.get("args", {}), origin,
                         self._handlers, reply_ok, reply_error)

    def _complete(self, reply: Any) -> None:
        if not isinstance(reply, dict) or reply.get("id") not in self._pending:
            return  # a late reply to a call that timed out, or garbage
        event, name = self._pending.pop(reply["id"])
        if event.triggered:
            return
        if "error" in reply:
            try:
                error = CommandError.from_json(reply["error"])
            except (KeyError, ValueError, TypeError):
                error = CommandError(CommandErrorType.PARSE_FAILURE,
                                     f"unreadable error reply from {name}")
            event.fail(error)
        elif "retval" in reply:
            event.succeed(reply["retval"])
        else:
            event.fail(CommandError(CommandErrorType.PARSE_FAILURE, f"reply from {name} has "
                                    "neither retval nor error"))

    # --- the Bus interface ---------------------------------------------------------------------
    def host_module(self, module_id: str) -> None:
        """This process runs ``module_id``: its commands arrive here."""
        self._hosted.add(module_id)
        self._subscribe(topics.commands_of(module_id))

    def serve(self, module_id: str, impl_id: str, cmd: str, handler: Callable) -> None:
        self.host_module(module_id)
        self._handlers[(module_id, impl_id, cmd)] = handler

    def call(self, origin: str, module_id: str, impl_id: str, cmd: str, args: dict,
             timeout: float | None = None) -> simpy.Event:
        event = self.env.event()
        call_id = uuid.uuid4().hex
        name = f"{module_id}.{impl_id}.{cmd}"
        self._subscribe(topics.responses_to(origin))
        self._pending[call_id] = (event, name)
        self._tap("cmd", origin, name, {"id": call_id, "args": args})
        self._send(topics.cmd(module_id, impl_id, cmd),
                            _encode({"id": call_id, "args": args, "origin": origin}), qos=QOS)
        limit = timeout if timeout is not None else self.default_timeout_s
        if limit is not None:
            def expire(_event: Any) -> None:
                if self._pending.pop(call_id, None) is not None and not event.triggered:
                    event.fail(CommandError(CommandErrorType.TIMEOUT,
                                            f"no reply from {name} within {limit:g} s"))
            self.env.timeout(limit).callbacks.append(expire)
        return event

    def publish(self, module_id: str, impl_id: str, var: str, value: Any,
                telemetry: bool = False) -> None:
        self._tap("var", f"{module_id}.{impl_id}", var, value)
        topic, payload = topics.var(module_id, impl_id, var), _encode(value)
        if not telemetry:
            self._send(topic, payload, qos=QOS)
            return
        with self._lock:
            if self.connected.is_set():
                # QoS 0: no acknowledgement per reading, which limits QoS 1 throughput.
                self.client.publish(topic, payload, qos=0)
            elif len(self._held) < HELD_TELEMETRY:
                self._held.append((topic, payload))  # paho drops QoS 0 while disconnected

    def subscribe(self, module_id: str, impl_id: str, var: str, callback: Callable[[Any], None],
                  check: Callable[[Any], str | None] | None = None) -> None:
        topic = topics.var(module_id, impl_id, var)
        self._var_callbacks[topic].append((callback, check))
        self._subscribe(topic)

    def report_error(self, module_id: str, impl_id: str, report: ErrorReport) -> None:
        kind = "error_raised" if report.active else "error_cleared"
        self._tap(kind, f"{module_id}.{impl_id}", report.type, report.to_json())
        self._send(topics.error(module_id, impl_id, report.type),
                            _encode(report.to_json()), qos=QOS)

    def subscribe_errors(self, module_id: str, impl_id: str,
                         callback: Callable[[ErrorReport], None]) -> None:
        self._error_callbacks[(module_id, impl_id)].append(callback)
        self._subscribe(topics.errors_of(module_id, impl_id))

    def set_ready(self, module_id: str) -> None:
        super().set_ready(module_id)
        self._send(topics.ready(module_id), _encode(True), qos=QOS, retain=True)

    def log(self, source: str, level: str, message: str) -> None:
        super().log(source, level, message)
        self._send(topics.log(source), _encode({"level": level, "message": message}),
                            qos=QOS)

    def _local_log(self, level: str, message: str) -> None:
        """What this process's bus itself noticed (dropped input), published like module logs."""
        self.log(self.name, level, message)

    def lifecycle(self, module_id: str, stage: str) -> None:
        super().lifecycle(module_id, stage)
        self._send(topics.lifecycle(module_id), _encode(stage), qos=QOS)

    # --- observing and coordinating ------------------------------------------------------------
    def watch_all(self, watcher: RawWatcher) -> None:
        """See every message under the layout's prefix (a monitor, the recorder of a run)."""
        self._watchers.append(watcher)
        self._subscribe(topics.EVERYTHING)

    def announce_everest_ready(self, epoch: float | None) -> None:
        """Tell every module to run, with the wall-clock time of simulated t=0 (None: stop)."""
        payload = _encode({"epoch": epoch}) if epoch is not None else b""
        self._send(topics.GLOBAL_READY, payload, qos=QOS, retain=True)

    def clear_ready_flags(self, module_ids: list[str]) -> None:
        """Forget retained ready flags left on the broker (by an earlier run)."""
        for module_id in module_ids:
            self._send(topics.ready(module_id), b"", qos=QOS, retain=True)
        self.announce_everest_ready(None)

    def wait_modules_ready(self, module_ids: set[str], timeout_s: float) -> set[str]:
        """Wait until each module announced ready; returns those that did not."""
        with self._ready_changed:
            self._ready_changed.wait_for(lambda: module_ids <= self.remote_ready, timeout_s)
            return module_ids - self.remote_ready

    def wait_everest_ready(self, timeout_s: float | None = None) -> float | None:
        """Wait for everest/ready; returns its epoch (None on timeout)."""
        with self._ready_changed:
            self._ready_changed.wait_for(lambda: self.epoch is not None, timeout_s)
            return self.epoch


class _Malformed:
    """A payload that was not JSON (kept to say so in the log; never handed to a module)."""

    def __init__(self, head: bytes):
        self.head = head
