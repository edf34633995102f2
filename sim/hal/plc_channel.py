"""The power line between the cars' and the EVSEs' PLC modems, and what those modems do.

Every connector has two ports: the EVSE's modem and the car's modem. A frame a host hands its
modem goes onto the line and is heard by every modem on the other side whose path is attenuated
less than ``unheard_db``: the car on connector 1 is heard by connector 1's EVSE over the cable
and, weaker, by connector 2's EVSE through crosstalk between the cables. Each delivery is lost
with probability ``loss`` (a seeded generator decides). Hosts filter by destination address, as
real hosts do behind their modems.

The modems also play their own part of SLAC, as Qualcomm Green PHY modems do:
- a ``CM_SET_KEY.REQ`` is for the sender's own modem: it is answered with ``CM_SET_KEY.CNF`` and
  not put on the line; the key makes the modem a member of that logical network (AVLN), and
  data frames (any EtherType but HomePlug's 0x88E1: IPv6 for ISO 15118 later) travel only
  between modems holding the same key, while management messages cross between networks;
- an EVSE modem that hears a ``CM_MNBC_SOUND.IND`` passes the sound up and then a
  ``CM_ATTEN_PROFILE.IND`` with the attenuation of that path per carrier group (the path's
  value, a slope over the frequency groups and seeded noise per sound).

No clock and no I/O: :meth:`PlcChannel.carry` returns the deliveries; the simulated link
(``plc_link.py``) publishes them on the bus, the bridge (``plc_bridge.py``) writes them to raw
sockets.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass

from charger.slac import frames
from charger.slac.frames import SlacFrameError

EV, EVSE = "ev", "evse"
_HOMEPLUG = frames.ETHERTYPE_HOMEPLUG_AV.to_bytes(2, "big")
OTHER_SIDE = {EV: EVSE, EVSE: EV}


@dataclass(frozen=True)
class Delivery:
    side: str  # "ev" or "evse": whose host receives it
    port: int  # connector number
    frame: bytes


@dataclass(frozen=True)
class ChannelSettings:
    connectors: int
    direct_db: float = 20.0  # a car's cable to its own EVSE
    crosstalk_db: float = 25.0  # added per connector of distance between the cables
    unheard_db: float = 90.0  # paths attenuated more than this carry nothing
    loss: float = 0.0
    group_slope_db: float = 6.0  # higher carrier groups are attenuated more, by up to this
    group_noise_db: float = 1.0  # +- per group and sound


def modem_mac(side: str, port: int) -> str:
    """The modem's own address (Qualcomm's prefix, locally numbered)."""
    return f"00:b0:52:{0x10 if side == EV else 0x20:02x}:00:{port:02x}"


class PlcChannel:
    """The line and its modems for ``settings.connectors`` connectors."""

    def __init__(self, settings: ChannelSettings, rng: random.Random):
        self.settings = settings
        self.rng = rng
        self.loss = settings.loss
        n = settings.connectors
        self.attenuation_db = {(ev, evse): settings.direct_db + settings.crosstalk_db
                               * abs(ev - evse) for ev in range(1, n + 1)
                               for evse in range(1, n + 1)}
        self.host_macs: dict[tuple[str, int], str] = {}  # learnt from what each host sends
        self._host_mac_bytes: dict[tuple[str, int], bytes] = {}  # the same, as sent
        self.keys: dict[tuple[str, int], bytes] = {}  # the NMK each modem was given
        self._nonce = 0

    def set_attenuation(self, ev_port: int, evse_port: int, attenuation_db: float) -> None:
        self._check_port(ev_port)
        self._check_port(evse_port)
        self.attenuation_db[(ev_port, evse_port)] = float(attenuation_db)

    def _check_port(self, port: int) -> None:
        if not 1 <= port <= self.settings.connectors:
            raise ValueError(f"port {port} is not one of the link's "
                             f"{self.settings.connectors} connectors")

    def carry(self, side: str, port: int, raw: bytes) -> list[Delivery]:
        """What happens to a frame that host ``(side, port)`` hands its modem."""
        self._check_port(port)
        management = raw[12:14] == _HOMEPLUG
        frame = None  # not SLAC (data, or garbage): the line carries it all the same
        if management:
            with contextlib.suppress(SlacFrameError):
                frame = frames.parse_frame(raw)
        if len(raw) >= 12:
            source = raw[6:12]
            if self._host_mac_bytes.get((side, port)) != source:
                self._host_mac_bytes[(side, port)] = source
                self.host_macs[(side, port)] = _mac(source)
        if frame is not None and frame.name == "CM_SET_KEY.REQ":
            return [self._confirm_key(side, port, frame)]
        deliveries = []
        other = OTHER_SIDE[side]
        key = self.keys.get((side, port))
        for peer in range(1, self.settings.connectors + 1):
            ev_port, evse_port = (port, peer) if side == EV else (peer, port)
            attenuation = self.attenuation_db[(ev_port, evse_port)]
            if not management and (key is None or self.keys.get((other, peer)) != key):
                continue  # data travels only inside a logical network (modems with one key)
            if attenuation > self.settings.unheard_db or self.rng.random() < self.loss:
                continue
            deliveries.append(Delivery(other, peer, raw))
            if frame is not None and frame.name == "CM_MNBC_SOUND.IND" and side == EV:
                deliveries.append(self._profile(peer, frame.src, attenuation))
        return deliveries

    def _confirm_key(self, side: str, port: int, frame: frames.SlacFrame) -> Delivery:
        self.keys[(side, port)] = frame.bytes_of("NewKey")
        self._nonce += 1
        reply = frames.set_key_cnf(modem_mac(side, port), frame.src,
                                   your_nonce=frame.fields["MyNonce"], my_nonce=self._nonce)
        return Delivery(side, port, reply)

    def _profile(self, evse_port: int, ev_mac: str, attenuation_db: float) -> Delivery:
        groups = frames.ATTEN_GROUPS
        slope = self.settings.group_slope_db
        noise = self.settings.group_noise_db
        profile = [attenuation_db + slope * g / (groups - 1) + self.rng.uniform(-noise, noise)
                   for g in range(groups)]
        host = self.host_macs.get((EVSE, evse_port), frames.BROADCAST_MAC)
        raw = frames.atten_profile_ind(modem_mac(EVSE, evse_port), host, ev_mac, profile)
        return Delivery(EVSE, evse_port, raw)


def _mac(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)
