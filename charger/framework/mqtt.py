"""The MQTT bus: the same messages as the in-process bus, through a broker, on the wall clock.

paho-mqtt's socket is driven from the simulation thread (paho's external loop: the wall-clock
environment waits on the socket, then reads and writes it), so a message crosses no thread and
module code only ever runs on the simulation thread, exactly as in-process. Before the
simulation runs (a manager waiting for its modules, a module for its configuration), the
waiting call drives the socket itself. The client reconnects with back-off and renews its
subscriptions on every connection.

The wire format is EVerest's (``{"msg_type": ..., "data": ...}``, see
:mod:`charger.framework.envelope`); the topic layout is in :mod:`charger.framework.topics`; both
are described for other languages in ``docs/mqtt.md``. Nothing a peer sends can raise on either
thread: payloads are decoded defensively and topics built from peer data are checked first.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as paho
import simpy

from charger.framework import envelope, topics
from charger.framework.bus import Bus, CommandError, CommandErrorType, ErrorReport
from charger.framework.envelope import Malformed
from charger.framework.errors import EvbenchError
from charger.framework.wallclock import WallClockEnvironment

RECONNECT_S = (0.05, 2.0)  # back-off between reconnection attempts, doubling
READS_PER_WAKE = 256  # packets read in one go when the socket has data
# A module's ready flag (QoS 2) reaches the manager a round trip after a call (QoS 1) sent just
# after it: the manager answers NotReady for a module only if it is still not ready this late.
NOT_READY_GRACE_S = 0.5

QOS = 1
QOS_READY = 2  # EVerest's ready flags: exactly once, never retained
INFLIGHT = 1000
HELD_TELEMETRY = 100_000  # telemetry readings kept while the broker is away
HEARTBEAT_S = 1.0  # wall seconds between heartbeats, as EVerest's modules send them
DEFAULT_PORT = 1883
RawWatcher = Callable[[topics.Topic, Any], None]
# (module_id) -> the reason to answer a call to it on its behalf, or None to let it answer.
AbsenceCheck = Callable[[str], CommandError | None]


def parse_bus_url(url: str) -> tuple[str, int]:
    """``mqtt://host:port`` (port 1883 when omitted) -> (host, port)."""
    parsed = urlparse(url)
    try:
        port = parsed.port  # urllib checks the port only when it is read
    except ValueError as exc:
        raise EvbenchError(f"bad bus address {url!r}: {exc}") from None
    if parsed.scheme != "mqtt" or not parsed.hostname or port == 0:
        raise EvbenchError(f"bad bus address {url!r}: expected mqtt://HOST[:PORT] with a port "
                           "from 1 to 65535")
    return parsed.hostname, port or DEFAULT_PORT


# --- what each kind of topic carries inside EVerest's envelope ----------------------------------
_EXPECTED_TYPE = {"var": envelope.VAR, "cmd": envelope.CMD, "response": envelope.CMD_RESULT,
                  "ready": envelope.MODULE_READY, "global_ready": envelope.GLOBAL_READY,
                  "heartbeat": envelope.HEARTBEAT, "config_request": envelope.GET_CONFIG,
                  "config_response": envelope.GET_CONFIG_RESPONSE}
_SEVERITY_TO_WIRE = {"low": "Low", "medium": "Medium", "high": "High"}


def content_of(kind: str, value: Any) -> Any:
    """A decoded payload's content for evbench (the variable's value, the call, the result...),
    or :class:`Malformed`. evbench's own topics (log, lifecycle, clock) carry plain JSON."""
    if isinstance(value, Malformed) or value is None:
        return value
    if kind in ("log", "lifecycle", "clock", "state"):
        return value
    msg_type, data = envelope.unwrap(value)
    if kind == "error":
        if msg_type not in (envelope.RAISE_ERROR, envelope.CLEAR_ERROR) \
                or not isinstance(data, dict):
            return Malformed("not an EVerest RaiseError/ClearError message", _head(value))
        return _error_from_wire(data, msg_type == envelope.RAISE_ERROR)
    expected = _EXPECTED_TYPE.get(kind)
    if expected is None:
        return value
    if msg_type != expected:
        return Malformed(f"not an EVerest {expected} message", _head(value))
    if kind == "var":
        if not isinstance(data, dict) or "data" not in data:
            return Malformed("a Var message without data.data", _head(value))
        return data["data"]
    if kind == "response":
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            return Malformed("a CmdResult message without data.data", _head(value))
        return data["data"]
    if kind == "global_ready":
        return value  # the epoch and factor sit beside msg_type and data
    return data


def _head(value: Any) -> bytes:
    return repr(value)[:80].encode()


def _error_to_wire(report: ErrorReport, timestamp: str) -> dict:
    module_id, _, impl_id = report.origin.partition(".")
    return {"type": report.type, "description": "", "message": report.message,
            "origin": {"module_id": module_id, "implementation_id": impl_id},
            "severity": _SEVERITY_TO_WIRE.get(report.severity, "High"), "timestamp": timestamp,
            "uuid": uuid.uuid4().hex, "state": "Active" if report.active else "ClearedByModule",
            "sub_type": "", "vendor_id": "evbench"}


def _error_from_wire(data: dict, active: bool) -> dict:
    """EVerest's error object as evbench's :class:`ErrorReport` fields."""
    origin = data.get("origin")
    if isinstance(origin, dict):
        origin = f"{origin.get('module_id', '')}.{origin.get('implementation_id', '')}"
    return {"type": str(data.get("type", "")), "message": str(data.get("message", "")),
            "severity": str(data.get("severity", "High")).lower(),
            "origin": str(origin or ""), "active": active}


class MqttBus(Bus):
    """A bus client for one OS process, which may host several modules (or none: a monitor,
    a manager)."""

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
        self.connected_since: float | None = None  # time.monotonic() of the last connection
        # Coordination between processes, tracked on the network thread.
        self._ready_changed = threading.Condition()
        self.remote_ready: set[str] = set()
        self.last_heartbeat: dict[str, float] = {}  # module -> time.monotonic() of its last
        self.epoch: float | None = None  # wall-clock time of simulated t=0, from everest/ready
        self.factor: float | None = None  # wall seconds per simulated second, likewise
        self._announced: tuple[float, float] | None = None  # (epoch, factor), as the manager
        self._config_provider: Callable[[str], dict | None] | None = None
        self._absence_check: AbsenceCheck | None = None
        self._absent_calls: list[tuple[float, topics.Topic, Any]] = []  # NotReady, pending
        self._configs: dict[str, Any] = {}  # configuration responses received, by module
        self._states: dict[str, Any] = {}  # what each module remembered (the manager keeps it)
        self._subscriptions.update({topics.GLOBAL_READY, topics.ALL_READY})
        self._last_sent: paho.MQTTMessageInfo | None = None
        self._held: deque[tuple[str, bytes]] = deque()
        self._logging = False  # a failed log line is not logged again
        self._received = 0  # messages handled (to tell a read that found a whole packet)
        self._closing = False
        self._reconnect_at = 0.0
        self._reconnect_delay = RECONNECT_S[0]

        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2,
                                  client_id=f"evbench-{name}-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv311, clean_session=True)
        self.client.on_socket_open = self._on_socket_open
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self._unacknowledged: set[int] = set()  # subscription requests awaiting their SUBACK
        # paho lets 20 QoS 1 messages await their acknowledgement by default, which throttles
        # a stream of variables to a few thousand per second; queued ones are kept either way.
        self.client.max_inflight_messages_set(INFLIGHT)

    # --- connection ----------------------------------------------------------------------------
    def connect(self, timeout_s: float = 10.0) -> None:
        """Connect (retrying) and wait for the first connection; from then on the simulation
        thread drives the socket."""
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.env.attach(self)
        # Subscriptions made before connecting are in place when this returns.
        if not self._pump_until(lambda: self.connected.is_set() and not self._unacknowledged,
                                timeout_s):
            self._closing = True
            raise EvbenchError(f"cannot reach the MQTT broker at {self.url} "
                               f"within {timeout_s:g} s")

    def close(self, flush_timeout_s: float = 10.0) -> None:
        # QoS 1 messages leave in order, each after the previous was acknowledged: once the
        # last one is out, nothing this process queued is lost by disconnecting.
        last = self._last_sent
        if last is not None and self.connected.is_set():
            self._pump_until(lambda: last.is_published() or not self.connected.is_set(),
                             flush_timeout_s)
        self._closing = True
        self.client.disconnect()
        self._pump_until(lambda: not self.client.want_write(), 1.0)

    # --- the socket, driven by the wall-clock environment (see wallclock.Pump) ----------------
    def io(self) -> tuple[Any, bool]:
        return self.client.socket(), self.client.want_write()

    def readable(self) -> None:
        for _ in range(READS_PER_WAKE):
            before = self._received
            if self.client.loop_read() != paho.MQTT_ERR_SUCCESS:
                return  # the connection is lost: paho said so in on_disconnect
            if self._received == before:
                return  # no further whole message waiting

    def writable(self) -> None:
        self.client.loop_write()

    def housekeeping(self) -> None:
        if self._closing:
            return
        if self._absent_calls:
            now = time.monotonic()
            due = [call for call in self._absent_calls if call[0] <= now]
            self._absent_calls = [call for call in self._absent_calls if call[0] > now]
            for _, topic, request in due:
                self._answer_for_absent(topic, request, late=True)
        if self.client.socket() is not None:
            self.client.loop_misc()  # keep-alive
            return
        now = time.monotonic()
        if now < self._reconnect_at:
            return
        try:
            self.client.reconnect()
            self._reconnect_delay = RECONNECT_S[0]
        except OSError:
            self._reconnect_delay = min(RECONNECT_S[1], self._reconnect_delay * 2)
        self._reconnect_at = now + self._reconnect_delay

    def _pump_until(self, done: Callable[[], bool], timeout_s: float | None) -> bool:
        """Drive the socket on this thread until ``done()`` or the timeout (before the
        simulation runs); what arrives meanwhile runs once it does."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not done():
            if self.client.socket() is None:
                self.housekeeping()
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                return done()
            self.env.poll_network(left)
        return True

    def _send(self, topic: str, payload: bytes, qos: int = QOS, retain: bool = False) -> None:
        """Publish; never raises (a topic paho refuses is logged and dropped)."""
        try:
            self._last_sent = self.client.publish(topic, payload, qos=qos, retain=retain)
        except ValueError as error:
            if not self._logging:
                self._local_log("warning", f"not published to {topic[:120]!r}: {error}")

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
            _, mid = client.subscribe([(topic, QOS_READY if "ready" in topic else QOS)
                                       for topic in wanted])
            if mid is not None:
                self._unacknowledged.add(mid)
        with self._lock:  # held telemetry goes out before anything newer
            while self._held:
                topic, payload = self._held.popleft()
                client.publish(topic, payload, qos=0)
            self.connected.set()
            self.connected_since = time.monotonic()
        # A restarted broker remembers nothing: say again who is ready, and (as the manager)
        # that the station runs, so processes and foreign modules starting now can run too.
        self.announce_ready()
        self._send_everest_ready()

    def _on_subscribe(self, _client: paho.Client, _userdata: Any, mid: int, *_args: Any) -> None:
        self._unacknowledged.discard(mid)

    def _on_disconnect(self, *_args: Any) -> None:
        self.connected.clear()
        self.connected_since = None
        self._reconnect_at = time.monotonic() + self._reconnect_delay

    def _subscribe(self, topic: str, qos: int = QOS) -> None:
        with self._lock:
            if topic in self._subscriptions:
                return
            self._subscriptions.add(topic)
        self.client.subscribe(topic, qos)

    # --- receiving (network thread) ------------------------------------------------------------
    def _on_message(self, _client: paho.Client, _userdata: Any, message: Any) -> None:
        # An exception here would end the read loop and leave the process deaf.
        self._received += 1
        try:
            parsed = topics.parse(message.topic)
            if parsed is None:
                return
            content = content_of(parsed.kind, envelope.decode(message.payload))
            if parsed.kind in ("ready", "global_ready", "heartbeat"):
                self._note_presence(parsed, content)
            elif parsed.kind == "config_request":
                self._answer_config_request(content)
            elif parsed.kind == "config_response":
                self._note_config(parsed.module, content)
            elif parsed.kind == "state" and isinstance(content, dict):
                self._states[parsed.module] = content
            elif parsed.kind == "cmd" and parsed.module not in self._hosted:
                self._answer_for_absent(parsed, content)
            self.env.deliver(partial(self._dispatch, parsed, message.topic, content))
        except Exception as exc:  # noqa: BLE001 - see above; what it was is logged
            problem = f"dropped a message on {message.topic[:120]!r}: {exc!r}"[:300]
            self.env.post(partial(self._local_log, "warning", problem))

    def _note_presence(self, topic: topics.Topic, content: Any) -> None:
        if topic.kind == "heartbeat":
            self.last_heartbeat[topic.module] = time.monotonic()
            return
        with self._ready_changed:
            if topic.kind == "ready":
                if content is True:
                    self.remote_ready.add(topic.module)
                    self.last_heartbeat[topic.module] = time.monotonic()
                else:
                    self.remote_ready.discard(topic.module)
            elif isinstance(content, dict) and isinstance(content.get("epoch"), int | float):
                self.epoch = float(content["epoch"])
                factor = content.get("factor")
                self.factor = float(factor) if isinstance(factor, int | float) else None
            self._ready_changed.notify_all()
        if topic.kind == "ready" and content is True:
            # A module (re)started after the station began, or one started by someone else:
            # it waits for everest/ready, which is not retained.
            self._send_everest_ready()

    def _dispatch(self, topic: topics.Topic, raw_topic: str, content: Any) -> None:
        try:
            for watcher in self._watchers:
                watcher(topic, content)
            if topic.kind == "var":
                self._deliver_var(raw_topic, content)
            elif topic.kind == "cmd" and topic.module in self._hosted:
                self._serve_request(topic, content)
            elif topic.kind == "response":
                self._complete(content)
            elif topic.kind == "error":
                self._deliver_error(topic, content)
        except Exception as exc:  # noqa: BLE001 - a peer's message must not stop the clock
            self._local_log("warning", f"dropped a message on {raw_topic[:120]!r}: {exc!r}")

    def _deliver_var(self, raw_topic: str, value: Any) -> None:
        callbacks = self._var_callbacks.get(raw_topic)
        if not callbacks:
            return
        if isinstance(value, Malformed):
            self._local_log("warning", f"dropped {raw_topic}: {value}")
            return
        for callback, check in callbacks:
            problem = check(value) if check else None
            if problem:
                self._local_log("warning", f"dropped {raw_topic}: violates its schema: "
                                f"{problem}")
                continue
            callback(value)

    def _deliver_error(self, topic: topics.Topic, content: Any) -> None:
        callbacks = self._error_callbacks.get((topic.module, topic.impl))
        if not callbacks:
            return
        if not isinstance(content, dict):
            self._local_log("warning", f"dropped an error report on {topic.name}: {content}")
            return
        report = ErrorReport(type=topic.name, message=content["message"],
                             severity=content["severity"], origin=content["origin"],
                             active=content["active"])
        for callback in callbacks:
            callback(report)

    def _reply_topic(self, topic: topics.Topic, request: Any) -> str | None:
        """Where to answer a request, or None (logged) when it cannot be answered."""
        where = f"{topic.module}.{topic.impl}.{topic.name}"
        if not isinstance(request, dict) or not isinstance(request.get("id"), str):
            # Without an id and an origin there is nobody to answer.
            self._local_log("warning", f"dropped a request to {where}: "
                            f"{request if isinstance(request, Malformed) else 'no id'}")
            return None
        problem = topics.segment_problem(request.get("origin"))
        if problem:
            self._local_log("warning", f"dropped a request to {where}: its origin {problem}")
            return None
        return topics.response(topic.module, topic.impl, topic.name, request["origin"])

    def _reply(self, reply_topic: str, call_id: str, responder: str, outcome: dict) -> None:
        self._send(reply_topic, envelope.wrap(envelope.CMD_RESULT, {
            "type": "result", "data": {"id": call_id, **outcome, "origin": responder}}))

    def _serve_request(self, topic: topics.Topic, request: Any) -> None:
        reply_topic = self._reply_topic(topic, request)
        if reply_topic is None:
            return
        call_id = request["id"]
        self._serve_call(
            topic.module, topic.impl, topic.name, request.get("args", {}), request["origin"],
            self._handlers,
            lambda value: self._reply(reply_topic, call_id, topic.module, {"retval": value}),
            lambda error: self._reply(reply_topic, call_id, topic.module,
                                      {"error": error.to_wire()}))

    def _complete(self, reply: Any) -> None:
        if not isinstance(reply, dict) or reply.get("id") not in self._pending:
            return  # a late reply to a call that timed out, or garbage
        event, name = self._pending.pop(reply["id"])
        if event.triggered:
            return
        if "error" in reply:
            event.fail(CommandError.from_wire(reply["error"]))
        elif "retval" in reply:
            event.succeed(reply["retval"])
        else:
            event.fail(CommandError(CommandErrorType.PARSE_FAILURE, f"reply from {name} has "
                                    "neither retval nor error"))

    # --- answering for others: absent modules, configuration (the manager's bus) --------------
    def answer_for_absent(self, check: AbsenceCheck) -> None:
        """Answer calls to modules that cannot answer themselves (``check`` says why)."""
        self._absence_check = check
        self._subscribe(topics.ALL_COMMANDS)

    def _answer_for_absent(self, topic: topics.Topic, request: Any, late: bool = False) -> None:
        error = self._absence_check(topic.module) if self._absence_check else None
        if error is None:
            return
        if error.type is CommandErrorType.NOT_READY and not late:
            self._absent_calls.append((time.monotonic() + NOT_READY_GRACE_S, topic, request))
            return
        reply_topic = self._reply_topic(topic, request)
        if reply_topic is not None:
            self._reply(reply_topic, request["id"], self.name, {"error": error.to_wire()})

    def serve_config(self, provider: Callable[[str], dict | None]) -> None:
        """Hand modules their configuration when they ask (EVerest's GetConfig), with what
        each remembered before a restart (see :meth:`remember`)."""
        self._config_provider = provider
        self._subscribe(topics.ALL_STATES)
        self._subscribe(topics.CONFIG_REQUEST, QOS_READY)

    def _answer_config_request(self, request: Any) -> None:
        if self._config_provider is None or not isinstance(request, dict):
            return
        module_id = request.get("origin")
        if topics.segment_problem(module_id):
            return
        config = self._config_provider(module_id)
        response: dict[str, Any] = {"status": "Ok" if config is not None else "Error",
                                    "status_info": "" if config is not None
                                    else f"this station has no module {module_id!r}",
                                    "type": "Get"}
        if config is not None:
            remembered = self._states.get(module_id)
            data = {**config, "state": remembered} if remembered is not None else config
            response["response"] = {"type": "Module", "data": data}
        self._send(topics.config_response(module_id),
                   envelope.wrap(envelope.GET_CONFIG_RESPONSE, response), qos=QOS_READY)

    def _note_config(self, module_id: str, response: Any) -> None:
        self._configs[module_id] = response

    def request_config(self, module_id: str, timeout_s: float) -> dict:
        """Ask the manager for ``module_id``'s configuration (EVerest's GetConfig)."""
        self._subscribe(topics.config_response(module_id), QOS_READY)
        request = {"type": "Get", "origin": module_id, "request": {"type": "Module"}}
        deadline = time.monotonic() + timeout_s
        while module_id not in self._configs:
            left = deadline - time.monotonic()
            if left <= 0:
                raise EvbenchError(f"no configuration for {module_id} from the manager "
                                   f"on {self.url} within {timeout_s:g} s")
            # Asked again now and then: the manager may not listen yet.
            self._send(topics.CONFIG_REQUEST, envelope.wrap(envelope.GET_CONFIG, request),
                       qos=QOS_READY)
            self._pump_until(lambda: module_id in self._configs, min(left, 1.0))
        response = self._configs[module_id]
        if not isinstance(response, dict) or response.get("status") != "Ok":
            info = response.get("status_info") if isinstance(response, dict) else response
            raise EvbenchError(f"the manager on {self.url} has no configuration for "
                               f"{module_id}: {info}")
        try:
            return dict(response["response"]["data"])
        except (KeyError, TypeError, ValueError):
            raise EvbenchError(f"unreadable configuration for {module_id} from the manager "
                               f"on {self.url}") from None

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
                   envelope.wrap(envelope.CMD, {"id": call_id, "args": args, "origin": origin}))
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
        topic = topics.var(module_id, impl_id, var)
        payload = envelope.wrap(envelope.VAR, {"data": value})
        if not telemetry:
            self._send(topic, payload)
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
        msg_type = envelope.RAISE_ERROR if report.active else envelope.CLEAR_ERROR
        self._send(topics.error(module_id, impl_id, report.type),
                   envelope.wrap(msg_type, _error_to_wire(report, self.env.utc_time())))

    def subscribe_errors(self, module_id: str, impl_id: str,
                         callback: Callable[[ErrorReport], None]) -> None:
        self._error_callbacks[(module_id, impl_id)].append(callback)
        self._subscribe(topics.errors_of(module_id, impl_id))

    def set_ready(self, module_id: str) -> None:
        super().set_ready(module_id)
        self._send_module_ready(module_id)

    def remember(self, module_id: str, state: dict) -> None:
        if self.recall(module_id) == state:
            return  # the manager holds it already
        super().remember(module_id, state)
        self._send(topics.state(module_id), envelope.encode(state))

    def restore(self, module_id: str, state: dict) -> None:
        """Give a hosted module back what it remembered (from the manager, before init)."""
        super().remember(module_id, state)

    def announce_ready(self) -> None:
        """Say again that the hosted ready modules are ready (a process waiting for
        everest/ready does so now and then, in case a message was lost)."""
        for module_id in sorted(self._hosted & self._ready):
            self._send_module_ready(module_id)

    def _send_module_ready(self, module_id: str) -> None:
        self._send(topics.ready(module_id), envelope.wrap(envelope.MODULE_READY, True),
                   qos=QOS_READY)

    def log(self, source: str, level: str, message: str) -> None:
        super().log(source, level, message)
        self._logging = True
        try:
            self._send(topics.log(source), envelope.encode({"level": level, "message": message}))
        finally:
            self._logging = False

    def _local_log(self, level: str, message: str) -> None:
        """What this process's bus itself noticed (dropped input), published like module logs."""
        self.log(self.name, level, message)

    def lifecycle(self, module_id: str, stage: str) -> None:
        super().lifecycle(module_id, stage)
        self._send(topics.lifecycle(module_id), envelope.encode(stage))

    def start_heartbeats(self) -> None:
        """Send each hosted module's heartbeat every wall second from the simulation thread,
        so that silence means this process no longer runs its modules (the manager's liveness
        check), whatever the reason."""
        period = HEARTBEAT_S / self.env.factor

        def beat() -> Any:
            while True:
                stamp = envelope.wrap(envelope.HEARTBEAT, self.env.utc_time())
                for module_id in sorted(self._hosted):
                    self._send(topics.heartbeat(module_id), stamp, qos=0)
                yield self.env.timeout(period)

        self.env.process(beat())

    # --- observing and coordinating ------------------------------------------------------------
    def watch_all(self, watcher: RawWatcher) -> None:
        """See every message under the layout's prefix (a monitor, the recorder of a run)."""
        self._watchers.append(watcher)
        self._subscribe(topics.EVERYTHING, QOS_READY)

    def watch_presence(self) -> None:
        """Track every module's heartbeat (for a manager's liveness check)."""
        self._subscribe(topics.ALL_HEARTBEATS, 0)

    def announce_everest_ready(self, epoch: float | None) -> None:
        """Tell every module to run, with the wall-clock time of simulated t=0, and keep
        telling late joiners (None: the station stopped)."""
        if epoch is None:
            self._announced = None
            self._send(topics.CLOCK, b"", retain=True)
            return
        self._announced = (epoch, self.env.factor)
        self._send_everest_ready()

    def _send_everest_ready(self) -> None:
        if self._announced is None:
            return
        epoch, factor = self._announced
        # The clock is retained (for monitors joining later); everest/ready, as in EVerest, is
        # not: it is sent again whenever a module announces itself ready.
        self._send(topics.CLOCK, envelope.encode({"epoch": epoch, "factor": factor}),
                   retain=True)
        self._send(topics.GLOBAL_READY,
                   envelope.wrap(envelope.GLOBAL_READY, True, epoch=epoch, factor=factor),
                   qos=QOS_READY)

    def forget_ready(self, module_ids: list[str]) -> None:
        """These modules' process ended: they are not ready until they say so again."""
        with self._ready_changed:
            self.remote_ready.difference_update(module_ids)

    def wait_modules_ready(self, module_ids: set[str], timeout_s: float) -> set[str]:
        """Wait until each module announced ready; returns those that did not."""
        self._pump_until(lambda: module_ids <= self.remote_ready, timeout_s)
        return module_ids - self.remote_ready

    def wait_everest_ready(self, timeout_s: float | None = None) -> float | None:
        """Wait for everest/ready; returns its epoch (None on timeout)."""
        self._pump_until(lambda: self.epoch is not None, timeout_s)
        return self.epoch
