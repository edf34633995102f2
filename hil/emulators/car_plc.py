"""The car's end of an emulated power line: network namespaces, veth pairs and the PLC modems.

A charger's PLC modem is an Ethernet interface to its host. ``evbench rig emulate`` stands in
for the modem, the cable and the car's modem with a veth pair per side and the simulated line
between them:

    charger (this namespace)          line namespace                  car namespace
    INTERFACE  <---- veth ---->  evse  [PlcLineEmulator]  ev  <---- veth ---->  CAR_INTERFACE

The line namespace holds the two modems (:class:`sim.hal.plc_channel.PlcChannel`, the same line
and modems as the simulated link): they answer each host's ``CM_SET_KEY.REQ``, send the EVSE an
attenuation profile after each of the car's sounds, and carry data frames (IPv6 for ISO 15118)
only once both hold the same network key, i.e. after SLAC matched. The simulated car of the run
(``SimCar`` with its ``SimEvSlac`` and ``Iso15118Ev``, driven by its profile, started by the
emulated board's 5 % PWM) sits on ``CAR_INTERFACE`` in the car's namespace, so its SLAC frames,
SDP datagrams and TCP segments really cross the veth pairs to the charger's interface.

Making the namespaces needs root (CAP_NET_ADMIN); ``ip`` (iproute2) does the work.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import random
import shutil
import socket
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from charger.framework.errors import EvbenchError
from charger.framework.wallclock import WallClockEnvironment
from charger.slac import frames
from charger.slac.raw_ethernet import (
    ETH_P_ALL,
    NETNS_DIR,
    RawEthernetPort,
    attach_port,
    network_namespace,
)
from sim.hal.plc_channel import EV, EVSE, ChannelSettings, PlcChannel

LINE_EVSE_END, LINE_EV_END = "evse", "ev"  # the line namespace's ends of the two veth pairs
IP_TIMEOUT_S = 20.0
SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
IFREQ_BYTES = 40


class TopologyError(EvbenchError):
    """The namespaces or veth pairs cannot be made (not root, a name taken, no iproute2)."""


def _ip(*args: str) -> None:
    try:
        result = subprocess.run(["ip", *args], capture_output=True, text=True,
                                timeout=IP_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as problem:
        raise TopologyError(f"ip {' '.join(args)}: {problem}") from None
    if result.returncode != 0:
        raise TopologyError(f"ip {' '.join(args)}: {result.stderr.strip()}")


def _sysctl(netns: str, key: str, value: str) -> None:
    _ip("netns", "exec", netns, "sysctl", "-qw", f"{key}={value}")


def checksum_in_software(interface: str, netns: str = "") -> None:
    """Have the kernel fill TCP/UDP checksums before a frame leaves ``interface`` (ethtool's
    ``tx off``). A veth pair leaves them to the receiving kernel (checksum offload), but the
    modems here pass frames through raw sockets, and the far host would drop them as corrupt."""
    value = ctypes.create_string_buffer(struct.pack("II", ETHTOOL_STXCSUM, 0))
    request = struct.pack("16sP", interface.encode(), ctypes.addressof(value))
    with network_namespace(netns):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            fcntl.ioctl(sock, SIOCETHTOOL, request.ljust(IFREQ_BYTES, b"\0"))
        except OSError as problem:
            raise TopologyError(f"cannot turn checksum offload off on {interface}: "
                                f"{problem.strerror}") from None
        finally:
            sock.close()


def interface_exists(interface: str) -> bool:
    return Path("/sys/class/net", interface).exists()


@dataclass
class VethTopology:
    """The charger's interface here, the line and the car's namespace, joined by veth pairs."""

    interface: str  # the charger's end, in this namespace
    car_interface: str
    car_netns: str
    line_netns: str
    made: list[str] = field(default_factory=list)  # namespaces made, removed by remove()

    def make(self) -> VethTopology:
        if os.geteuid() != 0:
            raise TopologyError("making network namespaces and veth pairs needs root "
                                "(CAP_NET_ADMIN)")
        if shutil.which("ip") is None:
            raise TopologyError("the ip command (iproute2) is not installed")
        if interface_exists(self.interface):
            raise TopologyError(f"interface {self.interface!r} exists already (another "
                                f"emulator running? `ip link del {self.interface}` removes it)")
        for netns in (self.line_netns, self.car_netns):
            if Path(NETNS_DIR, netns).exists():
                raise TopologyError(f"network namespace {netns!r} exists already (another "
                                    f"emulator running? `ip netns del {netns}` removes it)")
        try:
            self._make()
        except TopologyError:
            self.remove()
            raise
        return self

    def _make(self) -> None:
        line, car = self.line_netns, self.car_netns
        for netns in (line, car):
            _ip("netns", "add", netns)
            self.made.append(netns)
            _ip("-n", netns, "link", "set", "lo", "up")
        # Addresses usable at once: no duplicate address detection on the hosts' ends.
        _ip("link", "add", self.interface, "type", "veth", "peer", "name", LINE_EVSE_END,
            "netns", line)
        Path(f"/proc/sys/net/ipv6/conf/{self.interface}/accept_dad").write_text("0\n")
        _ip("-n", line, "link", "add", LINE_EV_END, "type", "veth", "peer", "name",
            self.car_interface, "netns", car)
        _sysctl(car, f"net.ipv6.conf.{self.car_interface}.accept_dad", "0")
        checksum_in_software(self.interface)
        checksum_in_software(self.car_interface, car)
        for end in (LINE_EVSE_END, LINE_EV_END):  # the modems have no IP of their own
            _sysctl(line, f"net.ipv6.conf.{end}.disable_ipv6", "1")
            _ip("-n", line, "link", "set", end, "promisc", "on", "up")
        _ip("-n", car, "link", "set", self.car_interface, "up")
        _ip("link", "set", self.interface, "up")

    def remove(self) -> None:
        """Remove the charger's interface (its peer goes with it) now, and the namespaces: the
        kernel dismantles a namespace later, and the interface's name is free at once."""
        if self.made:
            subprocess.run(["ip", "link", "del", self.interface], capture_output=True,
                           timeout=IP_TIMEOUT_S)
        for netns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", netns], capture_output=True,
                           timeout=IP_TIMEOUT_S)
        self.made.clear()


class PlcLineEmulator:
    """The two PLC modems and the line between them, on the line namespace's veth ends: every
    frame one host hands its modem goes through :class:`PlcChannel`."""

    def __init__(self, env: WallClockEnvironment, line_netns: str, seed: int = 0,
                 log: Callable[[str], None] = lambda _line: None):
        self.env = env
        self.line_netns = line_netns
        self.log = log
        self.channel = PlcChannel(ChannelSettings(connectors=1), random.Random(seed))
        self.ports: dict[str, RawEthernetPort] = {}
        self.carried = {EV: 0, EVSE: 0}  # frames each host handed its modem

    def start(self) -> None:
        for side, end in ((EVSE, LINE_EVSE_END), (EV, LINE_EV_END)):
            port = RawEthernetPort(end, self.line_netns, protocol=ETH_P_ALL)
            self.ports[side] = port
            attach_port(self.env, port, lambda received, side=side: self._carry(side, received))

    def stop(self) -> None:
        for port in self.ports.values():
            port.close()
        self.ports.clear()

    def _carry(self, side: str, received: list[bytes]) -> None:
        for raw in received:
            self.carried[side] += 1
            for delivery in self.channel.carry(side, 1, raw):
                target = self.ports.get(delivery.side)
                if target is None:
                    continue
                target.send(delivery.frame)
                if delivery.frame[12:14] == frames.ETHERTYPE_HOMEPLUG_AV.to_bytes(2, "big"):
                    message = frames.describe(delivery.frame).get("message", "?")
                    self.log(f"{side} -> {delivery.side}: {message}")
