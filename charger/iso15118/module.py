"""Iso15118Charger: the SECC as a module (thin glue; the protocol lives in secc.py).

Each command of ``iso15118_charger`` is a call on :class:`~charger.iso15118.secc.Secc`; each
SECC event is published as the variable of the same name, and every V2G message as
``v2g_message`` (decoded, with its hex) for the timeline. With ``autocharge`` the car's
EVCCID goes to the auth module as a token.

In the simulated world (or behind a real modem reached through a ``plc_link``) the SECC serves
over the PLC port's data frames (``charger.iso15118.plc``): when the connected SLAC module
reports the data link up (``dlink_ready``) an IPv6 host answers SDP and accepts the car's TCP
connection on this port; when the link goes down every connection on it ends.
"""

from __future__ import annotations

from typing import Any

from charger.framework import Module, command
from charger.framework.wallclock import WallClockEnvironment
from charger.iso15118.discovery import SdpServer
from charger.iso15118.engine import MessageRecord
from charger.iso15118.link import Link
from charger.iso15118.netif import link_local_address, scope_id
from charger.iso15118.plc import PlcPort
from charger.iso15118.secc import Secc, SeccConfig, SeccSession
from charger.iso15118.tcp import TcpServer
from charger.iso15118.timeouts import Timeouts
from charger.slac.endpoint import local_mac

# SECC events that come with every PreCharge/CurrentDemand request: published on change.
REPEATED_EVERY_REQUEST = ("dc_ev_status", "dc_ev_target_voltage_current")


class Iso15118Charger(Module):
    def init(self) -> None:
        config = self.config
        self._last: dict[str, Any] = {}
        self.secc = Secc(
            self.env,
            SeccConfig(evse_id=config["evse_id"], energy_modes=list(config["energy_modes"]),
                       protocols=list(config["protocols"])),
            timeouts=Timeouts(config["timeout_profile"], scale=config["timeout_scale"]),
            hook=self._message, listener=self._event, rng=self.rng)
        plc, slac = self.optional("plc"), self.optional("slac")
        self.plc: PlcPort | None = None
        if plc is not None and slac is not None:
            self.plc = PlcPort(self.env, plc, config["port"],
                               config["mac_address"] or local_mac(self.id), self.rng)
            slac.subscribe("dlink_ready", self._on_dlink)

    def _on_dlink(self, ready: bool) -> None:
        assert self.plc is not None
        if ready:
            self.plc.up().listen(self.accept)
        else:
            self.plc.down("the data link went down (SLAC)")

    def ready(self) -> None:
        interface = self.config["interface"]
        if not interface:
            return
        if not isinstance(self.env, WallClockEnvironment):
            self.log("error", f"interface {interface!r} needs the wall clock; not serving it")
            return
        try:
            address, scope = str(link_local_address(interface)), scope_id(interface)
            server = TcpServer(self.env, address, scope, self.accept)
            SdpServer(self.env, scope, address, server.port)
        except OSError as problem:
            self.log("error", f"cannot serve V2G on {interface}: {problem}")
            return
        self.log("info", f"V2G on [{address}%{interface}]:{server.port}")

    def accept(self, link: Link) -> SeccSession:
        """A new connection from the car (the simulated PLC link or TCP)."""
        return self.secc.serve(link)

    def _event(self, event: str, payload: Any) -> None:
        if event in REPEATED_EVERY_REQUEST:
            # The car repeats its status and target with every loop request (10 Hz): published
            # when they change, the timeline keeps each request as its v2g_message anyway.
            if self._last.get(event) == payload:
                return
            self._last[event] = payload
        elif event == "session_started":
            self._last.clear()
        self.publish("charger", event, payload)
        if event == "evcc_id" and self.config["autocharge"]:
            self.publish("token", "provided_token",
                         {"id_token": payload.replace(":", ""), "type": "Autocharge"})

    def _message(self, record: MessageRecord) -> None:
        self.publish("charger", "v2g_message", record.as_value())

    # --- iso15118_charger -------------------------------------------------------------------
    @command("charger", "authorization_response")
    def authorization_response(self, authorization_status: str) -> None:
        self.secc.authorization_response(authorization_status)

    @command("charger", "cable_check_finished")
    def cable_check_finished(self, status: bool) -> None:
        self.secc.cable_check_finished(status)

    @command("charger", "update_dc_present_values")
    def update_dc_present_values(self, present_voltage_current: dict) -> None:
        self.secc.update_dc_present_values(present_voltage_current["voltage_v"],
                                           present_voltage_current["current_a"])

    @command("charger", "update_isolation_status")
    def update_isolation_status(self, isolation_status: str) -> None:
        self.secc.update_isolation_status(isolation_status)

    @command("charger", "update_ac_max_current")
    def update_ac_max_current(self, max_current: float) -> None:
        self.secc.update_ac_max_current(max_current)

    @command("charger", "update_dc_maximum_limits")
    def update_dc_maximum_limits(self, maximum_limits: dict) -> None:
        self.secc.update_dc_maximum_limits(maximum_limits["voltage_v"],
                                           maximum_limits["current_a"], maximum_limits["power_w"])

    @command("charger", "stop_charging")
    def stop_charging(self, stop: bool) -> None:
        self.secc.stop_charging(stop)

    @command("charger", "request_renegotiation")
    def request_renegotiation(self) -> None:
        self.secc.request_renegotiation()

    @command("charger", "send_error")
    def send_error(self, error: str) -> None:
        self.secc.send_error(error)

    @command("charger", "reset_error")
    def reset_error(self) -> None:
        self.secc.reset_error()
