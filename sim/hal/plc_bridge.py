"""PlcBridge: the simulated power line between real Ethernet interfaces.

The same line and modems as the simulated link (:class:`sim.hal.plc_channel.PlcChannel`), but
its ports are raw sockets: for each connector, the interface the car's host is cabled to and the
one the EVSE's host is cabled to (for example the far ends of two veth pairs). A host on a real
interface, ours or another implementation such as pyslac, then sees what it would see behind a
real PLC modem: its CM_SET_KEY.REQ confirmed, the other side's frames, and an attenuation profile
after each sound.
"""

from __future__ import annotations

from charger.framework import Module
from charger.slac import frames
from charger.slac.raw_ethernet import RawEthernetPort, attach_port
from sim.hal.plc_channel import EV, EVSE, ChannelSettings, PlcChannel


class PlcBridge(Module):
    def init(self) -> None:
        connectors = self.config["connectors"]
        self.channel = PlcChannel(ChannelSettings(
            connectors=max(c["connector"] for c in connectors),
            direct_db=self.config["direct_db"], crosstalk_db=self.config["crosstalk_db"],
            loss=self.config["loss"]), self.rng)
        self.ports: dict[tuple[str, int], RawEthernetPort] = {}
        for entry in connectors:
            for side, key in ((EV, "ev_interface"), (EVSE, "evse_interface")):
                port = RawEthernetPort(entry[key], entry.get("netns", ""))
                self.ports[(side, entry["connector"])] = port
                attach_port(self.env, port, lambda received, side=side,
                            number=entry["connector"]: self._carry(side, number, received))

    def shutdown(self) -> None:
        for port in self.ports.values():
            port.close()

    def _carry(self, side: str, connector: int, received: list[bytes]) -> None:
        for raw in received:
            for delivery in self.channel.carry(side, connector, raw):
                target = self.ports.get((delivery.side, delivery.port))
                if target is not None:
                    target.send(delivery.frame)
                    self.log("debug", f"{delivery.side}{delivery.port} <- "
                             f"{frames.describe(delivery.frame).get('message', 'not SLAC')}")
