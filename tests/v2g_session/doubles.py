"""Test doubles of what surrounds the SECC and the EVCC: a DC power supply and an auth module
on the charger's side, a battery on the car's side, both reacting to the engines' events in
virtual time, and a session harness that records every message and event."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from charger.iso15118.engine import MessageRecord
from charger.iso15118.link import InProcessLink
from charger.iso15118.secc import Secc, SeccConfig, SeccSession
from charger.iso15118.timeouts import Timeouts
from sim.car.evcc import Evcc, EvccConfig, EvccSession


class ChargerStub:
    """Plays the EVSE manager, the power supply and the auth module around an SECC."""

    def __init__(self, env: simpy.Environment, secc: Secc, *, auth_delay_s: float = 1.0,
                 auth: str | None = "Accepted", cable_check_s: float = 3.0,
                 cable_check_ok: bool | None = True, pre_charge_s: float = 1.0,
                 reaches_target: bool = True):
        self.env, self.secc = env, secc
        self.auth_delay_s, self.auth = auth_delay_s, auth
        self.cable_check_s, self.cable_check_ok = cable_check_s, cable_check_ok
        self.pre_charge_s, self.reaches_target = pre_charge_s, reaches_target
        self.contactor_closed = False

    def on_event(self, event: str, payload: Any) -> None:
        handler = getattr(self, f"_{event}", None)
        if handler is not None:
            result = handler(payload)
            if isinstance(result, Generator):
                self.env.process(result)

    def _require_auth_eim(self, _payload: Any) -> Generator:
        yield self.env.timeout(self.auth_delay_s)
        if self.auth is not None:
            self.secc.authorization_response(self.auth)

    def _start_cable_check(self, payload: dict) -> Generator:
        self.secc.update_dc_present_values(payload["voltage_v"], 0.0)
        yield self.env.timeout(self.cable_check_s)
        if self.cable_check_ok is not None:
            self.secc.update_dc_present_values(0.0, 0.0)
            self.secc.cable_check_finished(self.cable_check_ok)

    def _dc_ev_target_voltage_current(self, payload: dict) -> Generator:
        if not self.reaches_target:
            return
        yield self.env.timeout(self.pre_charge_s if not self.contactor_closed else 0.01)
        current = payload["current_a"] if self.contactor_closed else 0.0
        self.secc.update_dc_present_values(payload["voltage_v"], current)

    def _v2g_setup_finished(self, _payload: Any) -> None:
        self.contactor_closed = True

    def _dc_open_contactor(self, _payload: Any) -> Generator:
        self.contactor_closed = False
        self.secc.update_dc_present_values(self.secc.status.present_voltage_v, 0.0)
        yield self.env.timeout(0.5)
        self.secc.update_dc_present_values(20.0, 0.0)


@dataclass
class Run:
    """One session between an SECC and an EVCC, and what it recorded."""

    env: simpy.Environment
    secc: Secc
    evcc: Evcc
    charger: ChargerStub
    records: list[MessageRecord] = field(default_factory=list)  # the SECC's view
    ev_records: list[MessageRecord] = field(default_factory=list)
    secc_events: list[tuple[float, str, Any]] = field(default_factory=list)
    evcc_events: list[tuple[float, str, Any]] = field(default_factory=list)
    sessions: list[tuple[SeccSession, EvccSession]] = field(default_factory=list)
    latency_s: float = 0.002

    def connect(self, chunk: int | None = None) -> tuple[SeccSession, EvccSession]:
        a, b = InProcessLink.pair(self.env, self.latency_s, chunk)
        pair = (self.secc.serve(a), self.evcc.connect(b))
        self.sessions.append(pair)
        return pair

    def run(self, until: float) -> Run:
        self.env.run(until=until)
        return self

    @property
    def secc_reason(self) -> str | None:
        finished = self.sessions[-1][0].finished
        return finished.value if finished.triggered else None

    @property
    def evcc_reason(self) -> str | None:
        finished = self.sessions[-1][1].finished
        return finished.value if finished.triggered else None

    def names(self, direction: str = "rx") -> list[str]:
        """The SECC's received (or sent) message names, consecutive repeats folded."""
        folded: list[str] = []
        for record in self.records:
            if record.direction == direction and (not folded or folded[-1] != record.name):
                folded.append(record.name)
        return folded

    def events(self, side: str = "secc") -> list[str]:
        return [e for _, e, _ in (self.secc_events if side == "secc" else self.evcc_events)]

    def time_of(self, event: str, side: str = "secc") -> float:
        for t, e, _ in (self.secc_events if side == "secc" else self.evcc_events):
            if e == event:
                return t
        raise AssertionError(f"no {side} event {event}")

    def last_record(self, name: str, direction: str = "rx") -> MessageRecord:
        return [r for r in self.records if r.name == name and r.direction == direction][-1]


def make_run(mode: str = "DC_extended", protocols: tuple[str, ...] = ("iso2", "din"), *,
             secc_protocols: tuple[str, ...] = ("iso2", "din"), profile: str = "strict",
             overrides: dict[str, float] | None = None, ev: dict | None = None,
             evcc: dict | None = None, charger: dict | None = None,
             latency_s: float = 0.002) -> Run:
    env = simpy.Environment()
    timeouts = Timeouts(profile, overrides=overrides)
    holder: dict[str, Run] = {}

    def secc_listener(event: str, payload: Any) -> None:
        holder["run"].secc_events.append((env.now, event, payload))
        holder["run"].charger.on_event(event, payload)

    def evcc_listener(event: str, payload: Any) -> None:
        holder["run"].evcc_events.append((env.now, event, payload))

    secc = Secc(env, SeccConfig(energy_modes=[mode], protocols=list(secc_protocols)),
                timeouts=timeouts, hook=lambda r: holder["run"].records.append(r),
                listener=secc_listener)
    car = Evcc(env, EvccConfig(**{"energy_mode": mode, "protocols": list(protocols),
                                  **(evcc or {})}),
               timeouts=timeouts, hook=lambda r: holder["run"].ev_records.append(r),
               listener=evcc_listener)
    for name, value in (ev or {}).items():
        setattr(car.status, name, value)
    stub = ChargerStub(env, secc, **(charger or {}))
    run = Run(env, secc, car, stub, latency_s=latency_s)
    holder["run"] = run
    return run


class DroppingLink(InProcessLink):
    """An in-process end that loses the frames it is told to (``drop`` names, matched
    through the sending engine's hook, which sees each message just before it is sent)."""

    def __init__(self, env: simpy.Environment, latency_s: float, chunk: int | None):
        super().__init__(env, latency_s, chunk)
        self.drop: set[str] = set()
        self._next_dropped = False

    def watch(self, record: MessageRecord) -> None:
        if record.direction == "tx":
            self._next_dropped = record.name in self.drop

    def send(self, data: bytes) -> None:
        if self._next_dropped:
            self._next_dropped = False
            return
        super().send(data)


def connect_dropping(run: Run, drop: set[str]) -> tuple[SeccSession, EvccSession]:
    """Connect with the SECC's end losing the responses named in ``drop``."""
    a, b = DroppingLink.pair(run.env, run.latency_s)
    assert isinstance(a, DroppingLink)
    a.drop = drop
    original = run.secc.hook

    def hook(record: MessageRecord) -> None:
        a.watch(record)
        if original is not None:
            original(record)

    run.secc.hook = hook
    pair = (run.secc.serve(a), run.evcc.connect(b))
    run.sessions.append(pair)
    return pair


class RawPeer:
    """A car that sends whatever a test gives it, over an in-process link to an SECC, and
    keeps what comes back (decoded), so that out-of-sequence and malformed requests can be
    played."""

    def __init__(self, run: Run, protocol: str = "iso2"):
        from charger.iso15118.engine import Engine
        from charger.iso15118.protocols import PROTOCOLS

        self.run = run
        self.protocol = PROTOCOLS[protocol]
        a, b = InProcessLink.pair(run.env, run.latency_s)
        self.secc_session = run.secc.serve(a)
        self.link = b
        self.responses: list[tuple[str, Any]] = []
        self.closed: str | None = None
        self._engine_cls = Engine
        self._buffer = bytearray()
        b.on_receive = self._receive
        b.on_close = lambda reason: setattr(self, "closed", reason)

    def _receive(self, chunk: bytes) -> None:
        from charger.v2g import exi
        from charger.v2g.v2gtp import FrameReassembler

        reassembler = getattr(self, "_reassembler", None) or FrameReassembler()
        self._reassembler = reassembler
        for frame in reassembler.feed(chunk):
            key = "app" if not self.responses else self.protocol.key
            message = exi.decode(key, frame.payload)
            name = type(message).__name__ if key == "app" else \
                self.protocol.body_name(message.Body.BodyElement)
            self.responses.append((name, message))

    def send_raw(self, data: bytes) -> None:
        self.link.send(data)

    def send_message(self, namespace: str, message: Any) -> None:
        from charger.v2g import exi
        from charger.v2g.v2gtp import PayloadType, encode_frame

        self.link.send(encode_frame(PayloadType.EXI, exi.encode(namespace, message)))

    def handshake(self) -> bytes:
        """SupportedAppProtocol and SessionSetup; returns the session id."""
        from charger.v2g import app_protocol

        p = self.protocol
        self.send_message("app", app_protocol.supportedAppProtocolReq(AppProtocol=[
            app_protocol.AppProtocolType(ProtocolNamespace=p.namespace, VersionNumberMajor=2,
                                         VersionNumberMinor=0, SchemaID=1, Priority=1)]))
        self.run.env.run(until=self.run.env.now + 0.1)
        self.request(bytes(8), p.body("SessionSetupReq", EVCCID=bytes(6)))
        return bytes(self.responses[-1][1].Header.SessionID)

    def request(self, session_id: bytes, body: Any) -> tuple[str, Any]:
        self.send_message(self.protocol.key, self.protocol.message(session_id, body))
        count = len(self.responses)
        self.run.env.run(until=self.run.env.now + 0.1)
        assert len(self.responses) == count + 1, "no response"
        return self.responses[-1]
