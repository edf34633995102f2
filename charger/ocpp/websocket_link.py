"""OcppWebSocketLink: the OCPP link over a WebSocket to a real backend (CSMS), on the wall clock.

The network runs on a thread of its own (asyncio + ``websockets``). That thread never touches
the simulation: it posts what happened (connected, a frame, closed) into the environment with
``WallClockEnvironment.post``, and the module reacts on the simulation thread. Timing decisions,
such as the back-off before reconnecting, are simpy timeouts like everywhere else.

Security profiles (OCPP 1.6 security whitepaper, OCPP 2.0.1 part 2 A00):

* 0: no security (``ws://``), for tests and closed networks;
* 1: HTTP Basic authentication (``ws://``, identity = the charge point id, and a password);
* 2: TLS (``wss://``, the server's certificate verified against ``ca_file`` or the system's
  CAs, host name checked, TLS 1.2 or later) with HTTP Basic authentication;
* 3: TLS as in 2, and the charge point authenticates with a client certificate
  (``client_cert_file``, ``client_key_file``) instead of a password.

The identity (the last path segment of the URL, the Basic user) is the charge point's
``charge_point_id``, handed over with ``open``: one source of truth. Reconnection follows the
OCPP 2.0.1 retry back-off (RetryBackOffWaitMinimum, RetryBackOffRandomRange,
RetryBackOffRepeatTimes), whose values the charge point also hands over with ``open``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import ssl
import threading
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from charger.framework import Module, command
from charger.framework.errors import Problem
from charger.ocpp.backoff import RetryBackOff


class _Transport:
    """The network side: one thread with an asyncio loop, one connection at a time."""

    def __init__(self, post: Callable[[Callable[[], Any]], None], name: str):
        self._post = post
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name=f"ocpp-ws-{name}", daemon=True)
        self.ws: ClientConnection | None = None
        self.outgoing: asyncio.Queue[str] | None = None
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def connect(self, attempt: int, uri: str, options: dict,
                opened: Callable[[int, str | None], None], frame: Callable[[int, str], None],
                closed: Callable[[int, str], None]) -> None:
        asyncio.run_coroutine_threadsafe(
            self._session(attempt, uri, options, opened, frame, closed), self.loop)

    async def _session(self, attempt: int, uri: str, options: dict, opened, frame,
                       closed) -> None:
        reason = "closed"
        try:
            async with connect(uri, **options) as ws:
                self.ws = ws
                self.outgoing = asyncio.Queue()
                writer = asyncio.create_task(self._writer(ws, self.outgoing))
                self._post(lambda: opened(attempt, ws.subprotocol))
                try:
                    async for message in ws:
                        text = message if isinstance(message, str) else \
                            message.decode("utf-8", "replace")
                        self._post(lambda t=text: frame(attempt, t))
                finally:
                    writer.cancel()
                reason = f"closed by the backend ({ws.close_code}: {ws.close_reason})" \
                    if ws.close_code is not None else "closed"
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal
            reason = f"{type(exc).__name__}: {exc}"
            cause = exc.__cause__ or exc.__context__
            if cause is not None:  # e.g. the TLS alert behind "no valid HTTP response"
                reason += f" ({type(cause).__name__}: {cause})"
        finally:
            self.ws = None
            self.outgoing = None
            self._post(lambda: closed(attempt, reason))

    @staticmethod
    async def _writer(ws: ClientConnection, queue: asyncio.Queue[str]) -> None:
        while True:
            text = await queue.get()
            await ws.send(text)

    def send(self, text: str) -> bool:
        queue = self.outgoing
        if queue is None:
            return False
        self.loop.call_soon_threadsafe(queue.put_nowait, text)
        return True

    def close(self) -> None:
        ws = self.ws
        if ws is not None:
            asyncio.run_coroutine_threadsafe(ws.close(), self.loop)

    def stop(self) -> None:
        """Close the connection (with the closing handshake) and end the thread."""
        async def finish() -> None:
            ws = self.ws
            if ws is not None:
                await ws.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):  # stopping anyway
            asyncio.run_coroutine_threadsafe(finish(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


class OcppWebSocketLink(Module):
    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Problem]:
        """One identity: a link that names a charge point id other than its charge point's."""
        own = instance.config.get("charge_point_id", "")
        if not own:
            return []
        problems = []
        for other in station.modules.values():
            if (instance.id, "link") not in other.connections.get("link", []):
                continue
            theirs = other.config.get("charge_point_id")
            if theirs is not None and theirs != own:
                problems.append(Problem(
                    instance.path, instance.line("config", "charge_point_id") or instance.line(),
                    f"{instance.id}: charge_point_id {own!r} differs from {theirs!r} of "
                    f"{other.id}, which this link serves; the charge point's id is the one the "
                    f"backend sees, so remove charge_point_id from {instance.id}"))
        return problems

    def init(self) -> None:
        self.transport: _Transport | None = None
        self.wanted = False
        self.subprotocols: list[str] = []
        self.connected = False
        self.connecting = False
        self.attempt = 0
        self.charge_point_id = self.config["charge_point_id"]
        self.retry_backoff = RetryBackOff()
        self.retries = 0  # reconnection attempts since the last stable connection
        self.last_wait: float | None = None
        self.up_since: float | None = None
        self.problem = self._check_config()

    def ready(self) -> None:
        self._publish(False, None, self.problem or "not opened")
        if self.problem:
            self.log("error", f"cannot connect: {self.problem}")

    def shutdown(self) -> None:
        self.wanted = False
        if self.transport is not None:
            self.transport.stop()

    # --- the link interface ----------------------------------------------------------------------
    @command("link", "open")
    def open(self, subprotocols: list[str], charge_point_id: str = "",
             retry_backoff: dict | None = None) -> None:
        if charge_point_id:
            if self.config["charge_point_id"] and charge_point_id != self.config["charge_point_id"]:
                # The station check refuses this configuration; a link driven otherwise still
                # never presents two identities.
                self.problem = (f"the charge point is {charge_point_id!r} but this link is "
                                f"configured as {self.config['charge_point_id']!r}")
                self.log("error", f"cannot connect: {self.problem}")
            self.charge_point_id = charge_point_id
        if retry_backoff:
            self.retry_backoff = RetryBackOff.from_dict(retry_backoff)
        self.wanted = True
        self.subprotocols = list(subprotocols)
        if not self.connected and not self.connecting:
            self._attempt()

    @command("link", "close")
    def close(self) -> None:
        self.wanted = False
        self.attempt += 1  # whatever the network reports later belongs to no attempt
        self.connecting = False
        if self.transport is not None:
            self.transport.close()
        if self.connected:
            self.connected = False
            self._publish(False, None, "closed by the charge point")

    @command("link", "send")
    def send(self, frame: str) -> bool:
        if not self.connected or self.transport is None:
            return False
        return self.transport.send(frame)

    # --- connecting ------------------------------------------------------------------------------
    def uri(self) -> str:
        url = self.config["url"]
        if self.config["append_id"]:
            url = url.rstrip("/") + "/" + quote(self.charge_point_id, safe="")
        return url

    def _check_config(self) -> str | None:
        url, profile = self.config["url"], self.config["security_profile"]
        if not url.startswith(("ws://", "wss://")):
            return f"url {url!r} is not ws:// or wss://"
        if profile in (0, 1) and not url.startswith("ws://"):
            return f"security profile {profile} uses ws://; TLS (wss://) is profile 2"
        if profile == 2 and not url.startswith("wss://"):
            return "security profile 2 needs a wss:// url"
        if profile in (1, 2) and not self._password():
            return f"security profile {profile} needs a password (password or password_env)"
        if profile == 3 and not url.startswith("wss://"):
            return "security profile 3 needs a wss:// url"
        if profile in (2, 3) and self.config["ca_file"] and \
                not os.path.isfile(self.config["ca_file"]):
            return f"ca_file {self.config['ca_file']!r} not found"
        if profile == 3:
            for key in ("client_cert_file", "client_key_file"):
                if not self.config[key]:
                    return f"security profile 3 needs {key} (the charge point's certificate)"
                if not os.path.isfile(self.config[key]):
                    return f"{key} {self.config[key]!r} not found"
            try:
                self._tls_context()
            except (ssl.SSLError, OSError) as exc:
                return (f"client certificate {self.config['client_cert_file']!r} and key "
                        f"{self.config['client_key_file']!r} cannot be used: {exc}")
        return None

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                             cafile=self.config["ca_file"] or None)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.config["security_profile"] == 3:
            context.load_cert_chain(self.config["client_cert_file"],
                                    self.config["client_key_file"])
        return context

    def _password(self) -> str:
        if self.config["password_env"]:
            return os.environ.get(self.config["password_env"], "")
        return self.config["password"]

    def _options(self) -> dict:
        options: dict[str, Any] = {
            "subprotocols": [Subprotocol(s) for s in self.subprotocols],
            "open_timeout": float(self.config["open_timeout_s"]),
            "ping_interval": float(self.config["ping_interval_s"]) or None,
            "user_agent_header": "evbench",
            "close_timeout": 2,
        }
        if self.config["security_profile"] in (1, 2):
            secret = f"{self.charge_point_id}:{self._password()}".encode()
            options["additional_headers"] = {
                "Authorization": "Basic " + base64.b64encode(secret).decode("ascii")}
        if self.config["security_profile"] in (2, 3):
            options["ssl"] = self._tls_context()
        return options

    def _attempt(self) -> None:
        if self.problem:
            self._publish(False, None, self.problem)
            return
        post = getattr(self.env, "post", None)
        if post is None:
            self.problem = "a WebSocket link runs on the wall clock (WallClockEnvironment)"
            self.log("error", self.problem)
            self._publish(False, None, self.problem)
            return
        if self.transport is None:
            self.transport = _Transport(post, self.id)
        if not self.charge_point_id:
            self.problem = "no charge point id: the charge point hands it over with open"
            self.log("error", self.problem)
            self._publish(False, None, self.problem)
            return
        self.attempt += 1
        self.connecting = True
        self.log("info", f"connecting to {self.uri()} (attempt {self.attempt}, "
                 f"{self.retries} since the last stable connection)")
        self.transport.connect(self.attempt, self.uri(), self._options(),
                               self._guard_args(self._opened), self._guard_args(self._frame),
                               self._guard_args(self._closed))

    def _guard_args(self, method: Callable) -> Callable:
        """Run a network callback on the simulation thread; an exception is recorded."""
        def run(*args: Any) -> None:
            try:
                method(*args)
            except Exception as exc:  # noqa: BLE001
                self._record_exception(exc)
        return run

    def _opened(self, attempt: int, subprotocol: str | None) -> None:
        if attempt != self.attempt or not self.wanted:
            if self.transport is not None:
                self.transport.close()
            return
        if subprotocol not in self.subprotocols:
            self.log("error", f"the backend agreed to no subprotocol we offered "
                     f"({self.subprotocols}); closing")
            if self.transport is not None:
                self.transport.close()
            return
        self.connecting = False
        self.connected = True
        self.up_since = float(self.env.now)
        self.log("info", f"connected to {self.uri()} ({subprotocol})")
        self._publish(True, subprotocol, "")

    def _frame(self, attempt: int, text: str) -> None:
        if attempt == self.attempt and self.connected:
            self.publish("link", "received", {"frame": text})

    def _closed(self, attempt: int, reason: str) -> None:
        if attempt != self.attempt:
            return
        self.connecting = False
        if self.config["security_profile"] == 3 and not self.connected and \
                "InvalidStatus" not in reason and "CERTIFICATE_VERIFY_FAILED" not in reason:
            # With TLS 1.3 a refused client certificate reaches the client as a connection
            # closed during the handshake, without the alert: say what it most likely means.
            reason += (" (security profile 3: the backend ended the handshake; did it refuse "
                       f"the client certificate {self.config['client_cert_file']!r}? it must "
                       "be signed by a CA the backend trusts)")
        if self.connected:
            self.connected = False
            # Only a connection that stayed up starts the back-off afresh: a backend that
            # accepts and drops at once must not be hammered.
            if float(self.env.now) - (self.up_since or 0.0) >= \
                    float(self.config["stable_after_s"]):
                self.retries, self.last_wait = 0, None
        if not self.wanted:
            self._publish(False, None, reason)
            return
        delay = self.retry_backoff.next_wait(self.last_wait, self.retries, self.rng)
        self.retries += 1
        self.last_wait = delay
        self._publish(False, None, reason, retry_in_s=delay)
        self.log("info", f"backend link down ({reason}); reconnecting in {delay:.1f} s")
        self.start(self._retry(attempt, delay))

    def _retry(self, attempt: int, delay: float) -> Generator:
        yield self.env.timeout(delay)
        if self.wanted and attempt == self.attempt and not self.connected:
            self._attempt()

    def _publish(self, connected: bool, subprotocol: str | None, reason: str,
                 retry_in_s: float | None = None) -> None:
        value: dict[str, Any] = {"connected": connected, "subprotocol": subprotocol,
                                 "reason": reason[:500]}
        if retry_in_s is not None:
            value["retry_in_s"] = round(retry_in_s, 6)
        if connected:
            value["endpoint"] = self.config["url"]
        self.publish("link", "connection", value)
