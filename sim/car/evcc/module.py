"""Iso15118Ev: the car's EVCC as a module (thin glue; the protocol lives in evcc.py).

``start_session`` runs a session over the link the simulated PLC handed in with
:meth:`Iso15118Ev.attach`, or, with ``interface`` configured, over SDP and IPv6 TCP (with
``netns``, on an interface in that network namespace: a bench's emulated car). Each
EVCC event is published as the variable of the same name, every V2G message as
``v2g_message``.

On a PLC link (``plc`` and ``slac`` connected) the EVCC's IPv6 host comes up when the car's SLAC
reports the data link (``dlink_ready``); ``start_session`` then finds the SECC by SDP over the
modem's data frames and connects by TCP (``charger.iso15118.plc``). The car keeps the EVCC's
view of the battery current with ``update_status``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from charger.framework import Module, command
from charger.framework.wallclock import WallClockEnvironment
from charger.iso15118.discovery import SdpClient
from charger.iso15118.engine import MessageRecord
from charger.iso15118.link import Link
from charger.iso15118.netif import InterfaceError, scope_id
from charger.iso15118.plc import PlcHost, PlcPort
from charger.iso15118.tcp import TcpLink, connect
from charger.iso15118.timeouts import Timeouts
from charger.slac.endpoint import local_mac
from charger.slac.raw_ethernet import PortError, network_namespace
from sim.car.evcc.boundary import EvccConfig
from sim.car.evcc.evcc import Evcc


class Iso15118Ev(Module):
    def init(self) -> None:
        config = self.config
        self.evcc = Evcc(
            self.env,
            EvccConfig(protocols=list(config["protocols"]),
                       fills_optional=config["fills_optional"],
                       loop_interval_s=config["loop_interval_s"],
                       evcc_id=bytes.fromhex(config["evcc_id"]),
                       fault=config["fault"] or None, fault_message=config["fault_message"]),
            timeouts=Timeouts(config["timeout_profile"], scale=config["timeout_scale"]),
            hook=self._message, listener=self._event, rng=self.rng)
        self.link: Link | None = None
        self._last_present: Any = None
        plc, slac = self.optional("plc"), self.optional("slac")
        self.plc: PlcPort | None = None
        if plc is not None and slac is not None:
            mac = config["mac_address"] or local_mac(self.id)
            self.plc = PlcPort(self.env, plc, config["port"], mac, self.rng)
            slac.subscribe("dlink_ready", self._on_dlink)

    def _on_dlink(self, ready: bool) -> None:
        assert self.plc is not None
        if ready:
            self.plc.up()
        else:
            self.plc.down("the data link went down (SLAC)")

    def attach(self, link: Link) -> None:
        """The simulated PLC link is up: the next session runs over ``link``."""
        self.link = link

    def _event(self, event: str, payload: Any) -> None:
        if event == "present_values":  # every loop response (10 Hz): published on change
            if payload == self._last_present:
                return
            self._last_present = payload
        self.publish("ev", event, payload)

    def _message(self, record: MessageRecord) -> None:
        self.publish("ev", "v2g_message", record.as_value())

    @command("ev", "start_session")
    def start_session(self, energy_transfer_mode: str, payment_option: str = "ExternalPayment",
                      departure_time_s: int = 0, energy_amount_wh: float = 0) -> dict:
        config = self.evcc.config
        config.energy_mode = energy_transfer_mode
        config.payment_option = payment_option
        status = self.evcc.status
        status.departure_s = departure_time_s or None
        if energy_amount_wh:
            status.energy_request_wh = energy_amount_wh
        interface = self.config["interface"]
        if interface:
            if not isinstance(self.env, WallClockEnvironment):
                return {"started": False, "reason": f"interface {interface!r} needs the wall "
                        "clock"}
            try:
                with network_namespace(self.config["netns"]):
                    scope = scope_id(interface)
            except (InterfaceError, PortError) as problem:
                return {"started": False, "reason": str(problem)}
            self.start(self._discover_and_connect(scope))
            return {"started": True}
        if self.plc is not None:
            if self.plc.host is None:
                return {"started": False, "reason": "no data link to the charger (SLAC has not "
                        "matched)"}
            self.start(self._discover_on_plc(self.plc.host))
            return {"started": True}
        if self.link is None or not self.link.is_open:
            return {"started": False, "reason": "no link to the charger (SLAC has not matched)"}
        self.evcc.connect(self.link)
        self.link = None
        return {"started": True}

    def _discover_and_connect(self, scope: int) -> Generator:
        with network_namespace(self.config["netns"]):  # the sockets stay in it
            sdp = SdpClient(self.env, scope, self.evcc.timeouts)
        try:
            response = yield sdp.found
        except TimeoutError as problem:
            self.publish("ev", "session_finished", f"SDP: {problem}")
            return

        def connected(link: TcpLink, error: str | None) -> None:
            if error is None:
                self.evcc.connect(link)
            else:
                self.publish("ev", "session_finished", error)
        with network_namespace(self.config["netns"]):
            connect(self.env, str(response.address), response.port, scope, connected)

    def _discover_on_plc(self, host: PlcHost) -> Generator:
        try:
            address, port = yield from host.discover(self.evcc.timeouts)
        except TimeoutError as problem:
            self.publish("ev", "session_finished", f"SDP: {problem}")
            return
        host.connect(address, port, self.evcc.connect)

    @command("ev", "update_status")
    def update_status(self, status: dict) -> None:
        """What the car's physics says now (battery voltage, SoC, targets, limits)."""
        for name, value in status.items():
            setattr(self.evcc.status, name, value)

    @command("ev", "stop_charging")
    def stop_charging(self) -> None:
        self.evcc.stop_charging()

    @command("ev", "pause_charging")
    def pause_charging(self) -> None:
        self.evcc.pause_charging()

    @command("ev", "renegotiate")
    def renegotiate(self) -> None:
        self.evcc.renegotiate()
