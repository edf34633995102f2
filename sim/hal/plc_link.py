"""PlcLink: the simulated power line of every connector, as a module on the bus.

It provides the host side of the EVSEs' modems (``evse``) and of the cars' modems (``ev``),
both the ``plc_link`` interface, one port per connector, and a ``control`` for scenarios (path
attenuation, loss). What the line and the modems do is :class:`sim.hal.plc_channel.PlcChannel`;
this module only moves frames between it and the bus, ``latency_s`` after they were sent, and
publishes each with its decoded form, so the timeline shows every SLAC frame readable and in hex.
"""

from __future__ import annotations

from typing import Any

from charger.framework import Module, command
from charger.framework.errors import Problem
from charger.iso15118 import plc as data_frames
from charger.slac import frames
from sim.hal.plc_channel import EV, EVSE, ChannelSettings, Delivery, PlcChannel

SIDE_OF_IMPL = {"evse": EVSE, "ev": EV}


class PlcLink(Module):
    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Problem]:
        """Paths between connectors the link has."""
        connectors = instance.config.get("connectors", 1)
        problems = []
        for index, path in enumerate(instance.config.get("paths", [])):
            for key in ("ev_port", "evse_port"):
                if path.get(key, 1) > connectors:
                    problems.append(Problem(
                        instance.path, instance.line("config", "paths", index, key),
                        f"{instance.id}: paths[{index}].{key} {path[key]} is beyond its "
                        f"{connectors} connectors"))
        return problems

    def init(self) -> None:
        settings = ChannelSettings(
            connectors=self.config["connectors"], direct_db=self.config["direct_db"],
            crosstalk_db=self.config["crosstalk_db"], unheard_db=self.config["unheard_db"],
            loss=self.config["loss"], group_slope_db=self.config["group_slope_db"],
            group_noise_db=self.config["group_noise_db"])
        self.channel = PlcChannel(settings, self.rng)
        for path in self.config["paths"]:
            self.channel.set_attenuation(path["ev_port"], path["evse_port"],
                                         path["attenuation_db"])

    @command("evse", "send_frame")
    def send_from_evse(self, port: int, frame: str) -> dict:
        return self._send(EVSE, port, frame)

    @command("ev", "send_frame")
    def send_from_ev(self, port: int, frame: str) -> dict:
        return self._send(EV, port, frame)

    @command("control", "set_attenuation")
    def set_attenuation(self, ev_port: int, evse_port: int, attenuation_db: float) -> None:
        self.channel.set_attenuation(ev_port, evse_port, attenuation_db)

    @command("control", "set_loss")
    def set_loss(self, probability: float) -> None:
        self.channel.loss = probability

    def _send(self, side: str, port: int, frame: str) -> dict:
        raw = bytes.fromhex(frame)
        deliveries = self.channel.carry(side, port, raw)  # a bad port fails the command
        decoded = _describe(raw)  # once for the result and every delivery of the frame itself
        if deliveries:
            self.env.timeout(self.config["latency_s"]).callbacks.append(
                self._guard(lambda _event: self._deliver(deliveries, raw, frame, decoded)))
        return {"message": decoded.get("message", "not SLAC"), "bytes": len(raw)}

    def _deliver(self, deliveries: list[Delivery], raw: bytes, frame: str,
                 decoded: dict) -> None:
        for delivery in deliveries:
            impl = "evse" if delivery.side == EVSE else "ev"
            mine = delivery.frame is raw  # else a frame of the modem's own (SLAC)
            self.publish(impl, "received", {
                "port": delivery.port, "frame": frame if mine else delivery.frame.hex(),
                "decoded": decoded if mine else _describe(delivery.frame)})


def _describe(raw: bytes) -> dict:
    """SLAC frames decoded by scapy; data frames (IPv6 carrying V2G) by their TCP/UDP header."""
    if raw[12:14] == frames.ETHERTYPE_HOMEPLUG_AV.to_bytes(2, "big"):
        return frames.describe(raw)
    try:
        _dst, packet = data_frames.parse_frame(raw)
    except data_frames.DataFrameError as problem:
        return {"error": str(problem)}
    kind = "TCP" if packet.proto == data_frames.PROTO_TCP else "UDP"
    return {"message": f"IPv6 {kind}", "src": data_frames.address_text(packet.src),
            "dst": data_frames.address_text(packet.dst),
            "fields": {"sport": packet.src_port, "dport": packet.dst_port, "seq": packet.seq,
                       "ack": packet.ack, "flags": packet.flags,
                       "payload_bytes": len(packet.payload)}}
