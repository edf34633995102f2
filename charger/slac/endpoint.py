"""What both sides of SLAC do alike: talk to their PLC modem through a ``plc_link`` port, decode
what arrives (refusing malformed frames without stopping), keep frames addressed to someone else
out, and let a matching run wait for the next frame it expects, with a deadline.

``EvseSlac`` (the charger) and ``SimEvSlac`` (the car) subclass :class:`SlacEndpoint`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator
from typing import Any

import simpy

from charger.framework import Module
from charger.framework.errors import Problem
from charger.slac import frames
from charger.slac.frames import SlacFrame, SlacFrameError
from charger.slac.timing import slac_count, slac_value


def local_mac(seed: str) -> str:
    """A stable, locally administered unicast address for a module without a configured one."""
    digest = hashlib.sha256(seed.encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


class Inbox:
    """Frames one matching run has received and not yet taken, in arrival order."""

    def __init__(self, env: simpy.Environment, run_id: bytes):
        self.env = env
        self.run_id = run_id
        self.store = simpy.FilterStore(env)

    def put(self, frame: SlacFrame) -> None:
        self.store.put(frame)

    def expect(self, names: set[str], within_s: float) -> Generator:
        """The next frame of one of ``names`` (of this run, where the frame names a run),
        or None after ``within_s``; other frames stay for a later ``expect``."""
        def wanted(frame: SlacFrame) -> bool:
            run = frame.fields.get("RunID")
            return frame.name in names and (run is None or run == self.run_id.hex())

        get = self.store.get(wanted)
        timeout = self.env.timeout(max(0.0, within_s))
        outcome = yield get | timeout
        if get in outcome:
            return outcome[get]
        get.cancel()
        return None


# The ports each built-in PLC link module offers, read from its configuration.
LINK_PORTS: dict[str, Callable[[dict], list[int]]] = {
    "PlcLink": lambda config: list(range(1, config.get("connectors", 1) + 1)),
    "RawEthernetPlc": lambda config: [entry.get("port") for entry in config.get("ports", [])],
}


def link_ports(station: Any, module_id: str) -> list[int] | None:
    """The ports a PLC link module of the station offers, or None when it cannot be known
    before it runs (a module of another package)."""
    link = station.modules.get(module_id)
    ports_of = LINK_PORTS.get(link.module) if link is not None else None
    return ports_of(link.config) if ports_of is not None else None


class SlacEndpoint(Module):
    """Base of the two SLAC sides: the modem port, decoding, the timing table."""

    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Problem]:
        """The configured port must be one the connected link has."""
        port = instance.config.get("port", 1)
        problems = []
        for module_id, _impl in instance.connections.get("plc", []):
            ports = link_ports(station, module_id)
            if ports is not None and port not in ports:
                problems.append(Problem(
                    instance.path, instance.line("config", "port") or instance.line(),
                    f"{instance.id}: port {port} is not one of {module_id}'s ports "
                    f"{ports}"))
        return problems

    def init(self) -> None:
        self.plc = self.require("plc")
        self.port: int = self.config["port"]
        self.mac: str = (self.config["mac_address"] or local_mac(self.id)).lower()
        self.modem_mac: str = self.config["modem_mac"].lower()
        self.rejected = 0  # malformed frames refused so far
        self._key_confirmed: simpy.Event | None = None  # a CM_SET_KEY.CNF awaited
        self.plc.subscribe("received", self._on_received)

    # --- the standard's numbers -------------------------------------------------------------
    @staticmethod
    def seconds(name: str) -> float:
        return slac_value(name)

    @staticmethod
    def count(name: str) -> int:
        return slac_count(name)

    # --- frames ----------------------------------------------------------------------------
    def send(self, raw: bytes) -> None:
        self.plc.send("send_frame", port=self.port, frame=raw.hex())

    def _on_received(self, value: dict) -> None:
        if value["port"] != self.port or value["frame"][24:28].lower() != "88e1":
            return  # data frames (IPv6 for ISO 15118) are another layer's
        try:
            frame = frames.parse_frame(bytes.fromhex(value["frame"]))
        except (SlacFrameError, ValueError) as exc:
            self.rejected += 1
            self.log("warning", f"port {self.port}: frame refused: {exc}")
            return
        if frame.dst not in (self.mac, frames.BROADCAST_MAC):
            return  # for another host on the same line
        self.on_frame(frame)

    def on_frame(self, frame: SlacFrame) -> None:
        """A decoded frame addressed to this host (or broadcast)."""
        raise NotImplementedError

    def new_run_id(self) -> bytes:
        return self.rng.randbytes(frames.RUN_ID_BYTES)

    def join_network(self, nmk: bytes, on_confirmed: Callable[[], None] | None = None,
                     within_s: float | None = None) -> Generator:
        """Give the modem a network key (CM_SET_KEY.REQ) and wait for its confirmation,
        repeating the request as the standard repeats requests. True when confirmed."""
        self._key_confirmed = self.env.event()
        nid = frames.nid_from_nmk(nmk)
        attempts = 1 + self.count("C_EV_match_retry")
        wait = within_s if within_s is not None else self.seconds("TT_match_response")
        for _ in range(attempts):
            self.send(frames.set_key_req(self.mac, nid, nmk, self.rng.getrandbits(32),
                                         self.modem_mac))
            outcome = yield self._key_confirmed | self.env.timeout(wait)
            if self._key_confirmed in outcome:
                if on_confirmed is not None:
                    on_confirmed()
                return True
        self.log("error", f"port {self.port}: the PLC modem did not confirm the network key")
        return False

    def key_confirmed(self) -> None:
        """A CM_SET_KEY.CNF arrived from this host's modem."""
        if self._key_confirmed is not None and not self._key_confirmed.triggered:
            self._key_confirmed.succeed()
