"""The ``ethernet`` backend: a connector's power line on a real Ethernet interface.

A PLC modem (a Green PHY board, the charger's own modem) is an Ethernet interface to its host. A
rig part ``backend: ethernet`` with ``interface: eth1`` replaces the station's simulated PLC link
for one connector (its ``port``):

- the connector's SLAC module (``EvseSlac``) sends and receives its frames on a raw socket on the
  interface (:class:`EthernetPlc`, on :class:`charger.slac.raw_ethernet.RawEthernetPort`), with
  the interface's own MAC address, since a network card drops frames for other addresses;
- the connector's SECC (``Iso15118Charger``) serves SDP and V2GTP through the host's IPv6 stack
  on the interface's link-local address (``charger.iso15118.discovery`` and ``.tcp``) instead
  of over the simulated link's data frames.

With ``car_interface`` and ``car_netns`` the part is :class:`EmulatedEthernetPlc`: ``evbench rig
emulate`` makes the interface as one end of a veth pair, with the modems and the line in a
namespace between (``hil/emulators/car_plc.py``) and the car's end in the car's namespace, where
the run's simulated car does its SLAC (the ``ev`` port) and its V2G (the EVCC's sockets).

Before a run the interface is checked (present, up, a link-local address, a raw socket allowed)
and every problem is reported with the rig file's line; ``evbench rig check`` says the same for
each end.
"""

from __future__ import annotations

import errno
import fcntl
import ipaddress
import socket
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charger.framework import Module, command
from charger.framework.errors import Problem
from charger.slac.raw_ethernet import (
    PortError,
    RawEthernetPort,
    attach_port,
    network_namespace,
    received_value,
    send_hex,
)
from hil.backends import Backend
from hil.device import Device, DeviceUnavailable

if TYPE_CHECKING:
    from charger.framework.config import StationConfig
    from charger.framework.registry import ModuleRegistry
    from hil.emulators.host import EmulatorHost
    from hil.rig import Part, Rig

SIOCGIFFLAGS, SIOCGIFHWADDR = 0x8913, 0x8927
IFF_UP, IFF_RUNNING = 0x1, 0x40
IFA_F_TENTATIVE = 0x40
LINK_SCOPE = 0x20
NEEDS_CAP_NET_RAW = ("SLAC needs a raw socket, and so CAP_NET_RAW: run as root, or give the "
                     "interpreter the capability (setcap cap_net_raw+ep)")


# --- the modules ------------------------------------------------------------------------------
class EthernetPlc(Module):
    """``plc_link`` for one port (``evse``) on a raw socket on ``interface``."""

    def init(self) -> None:
        self.port: int = self.config["port"]
        self.ports: dict[str, RawEthernetPort] = {}
        self._open("evse", self.config["interface"], "")

    def _open(self, impl: str, interface: str, netns: str) -> None:
        port = RawEthernetPort(interface, netns)
        self.ports[impl] = port
        attach_port(self.env, port, lambda received: self._received(impl, received))

    def shutdown(self) -> None:
        for port in self.ports.values():
            port.close()

    @command("evse", "send_frame")
    def send_from_evse(self, port: int, frame: str) -> dict:
        return self._send("evse", port, frame)

    def _send(self, impl: str, port: int, frame: str) -> dict:
        if port != self.port:
            raise ValueError(f"no port {port} (this interface is port {self.port})")
        return send_hex(self.ports[impl], frame)

    def _received(self, impl: str, received: list[bytes]) -> None:
        for raw in received:
            self.publish(impl, "received", received_value(self.port, raw))


class EmulatedEthernetPlc(EthernetPlc):
    """EthernetPlc, plus the car's end (``ev``) in the emulated car's namespace."""

    def init(self) -> None:
        super().init()
        self._open("ev", self.config["car_interface"], self.config["car_netns"])

    @command("ev", "send_frame")
    def send_from_ev(self, port: int, frame: str) -> dict:
        return self._send("ev", port, frame)


# --- what an interface is like ----------------------------------------------------------------
@dataclass
class InterfaceFacts:
    interface: str
    netns: str
    mac: str
    up: bool
    running: bool  # carrier: the modem (or the veth's peer) is there
    link_local: str | None
    tentative: bool  # the link-local address is still in duplicate address detection
    raw_socket: str | None  # why a raw socket cannot be opened (None: it can)

    def problems(self) -> list[str]:
        """What stops SLAC and V2G on the interface, in words."""
        found = []
        if not self.up:
            found.append(f"interface {self.interface!r} is down (ip link set "
                         f"{self.interface} up)")
        elif not self.running:
            found.append(f"interface {self.interface!r} has no carrier (the modem off or "
                         "unplugged?)")
        if self.link_local is None:
            if self.up:
                found.append(f"interface {self.interface!r} has no IPv6 link-local address "
                             "(IPv6 disabled on it?)")
        elif self.tentative:
            found.append(f"interface {self.interface!r}: its link-local address is still in "
                         "duplicate address detection")
        if self.raw_socket is not None:
            found.append(self.raw_socket)
        return found

    def identity(self) -> dict:
        return {"mac": self.mac, "ipv6": self.link_local, "carrier": self.running,
                "raw_socket": "ok"}


def where(interface: str, netns: str = "") -> str:
    return interface + (f" in namespace {netns}" if netns else "")


def inspect_interface(interface: str, netns: str = "") -> InterfaceFacts:
    """Look at ``interface`` (in the named namespace); PortError when it is not there."""
    with network_namespace(netns):
        try:
            socket.if_nametoindex(interface)
        except OSError:
            known = ", ".join(name for _index, name in socket.if_nameindex())
            raise PortError(errno.ENODEV, f"no network interface {interface!r}"
                            + (f" in namespace {netns!r}" if netns else "")
                            + f" (there are: {known})") from None
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            name = interface.encode()
            flags = struct.unpack_from("H", fcntl.ioctl(probe, SIOCGIFFLAGS,
                                                        struct.pack("16s24x", name)), 16)[0]
            hwaddr = fcntl.ioctl(probe, SIOCGIFHWADDR, struct.pack("16s24x", name))[18:24]
        finally:
            probe.close()
        link_local, tentative = _link_local(interface)
        try:
            RawEthernetPort(interface).close()
            raw_problem = None
        except PortError as problem:
            raw_problem = (NEEDS_CAP_NET_RAW if problem.errno in (errno.EPERM, errno.EACCES)
                           else str(problem.strerror or problem))
    return InterfaceFacts(interface, netns, ":".join(f"{b:02x}" for b in hwaddr),
                          bool(flags & IFF_UP), bool(flags & IFF_RUNNING), link_local,
                          tentative, raw_problem)


def _link_local(interface: str) -> tuple[str | None, bool]:
    # /proc/thread-self: this thread's namespace (network_namespace moves only the thread).
    for line in Path("/proc/thread-self/net/if_inet6").read_text().splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[5] == interface and int(fields[3], 16) == LINK_SCOPE:
            address = str(ipaddress.IPv6Address(bytes.fromhex(fields[0])))
            return address, bool(int(fields[4], 16) & IFA_F_TENTATIVE)
    return None, False


class InterfaceDevice(Device):
    """What ``rig check`` probes: the interface is there, up, with a link-local address, and a
    raw socket opens on it."""

    def __init__(self, name: str, interface: str, netns: str = ""):
        super().__init__(None, name, where(interface, netns))
        self.interface, self.netns = interface, netns
        self.facts: InterfaceFacts | None = None

    def _open(self) -> None:
        try:
            self.facts = inspect_interface(self.interface, self.netns)
        except PortError as problem:
            raise DeviceUnavailable(problem.strerror or str(problem)) from None

    def _identify(self, timeout_s: float) -> dict:
        assert self.facts is not None
        problems = self.facts.problems()
        if problems:
            raise DeviceUnavailable("; ".join(problems))
        return self.facts.identity()


# --- the backend ------------------------------------------------------------------------------
def _module(config: dict) -> str:
    # With the emulated car's end, the run's simulated car gets a port on it.
    return "EmulatedEthernetPlc" if "car_interface" in config else "EthernetPlc"


def _devices(part: Part) -> list[Device]:
    devices: list[Device] = [InterfaceDevice(part.id, part.config["interface"])]
    if "car_interface" in part.config:
        devices.append(InterfaceDevice(f"{part.id} car side", part.config["car_interface"],
                                       part.config["car_netns"]))
    return devices


def line_netns(part: Part) -> str:
    return str(part.emulate.get("line_netns") or f"{part.config['car_netns']}-line")


def _emulate(host: EmulatorHost, part: Part, rig: Rig) -> str:
    from hil.emulators.car_plc import PlcLineEmulator, VethTopology

    if "car_interface" not in part.config:
        return (f"{part.config['interface']} is a real interface (no car_interface): "
                "not emulated")
    topology = VethTopology(part.config["interface"], part.config["car_interface"],
                            part.config["car_netns"], line_netns(part)).make()
    host.on_stop(topology.remove)
    host.add(PlcLineEmulator(host.env, topology.line_netns,
                             log=lambda line: print(f"{part.id}: {line}", flush=True)), part.id)
    return (f"power line from {part.config['interface']} to {topology.car_interface} in "
            f"namespace {topology.car_netns} (modems in {topology.line_netns})")


def _target_module(target: Any) -> str:
    if isinstance(target, dict):
        return str(target.get("module_id", ""))
    return str(target).partition(".")[0]


def _overlay(part: Part, rig: Rig, station: StationConfig,
             registry: ModuleRegistry) -> list[Problem]:
    """Check the interface(s) for a run, and serve the connector's SLAC and SECC from it: the
    SLAC module takes the interface's MAC, the SECC serves on the interface itself."""
    problems: list[Problem] = []
    interface = part.config["interface"]
    ends = [("interface", interface, "")]
    if "car_interface" in part.config:
        ends.append(("car_interface", part.config["car_interface"], part.config["car_netns"]))
    mac = ""
    for key, name, netns in ends:
        line = part.line(key) or part.line()
        try:
            facts = inspect_interface(name, netns)
        except PortError as problem:
            hint = (" (`evbench rig emulate` makes it)" if "car_interface" in part.config
                    else "")
            problems.append(Problem(rig.path, line, f"{part.id}: {problem.strerror}{hint}"))
            continue
        problems += [Problem(rig.path, line, f"{part.id}: {found}")
                     for found in facts.problems()]
        if key == "interface":
            mac = facts.mac
    for inst in station.modules.values():
        if inst.id == part.id:
            continue
        manifest = registry.get(inst.module).manifest
        for requirement, targets in list(inst.raw_connections.items()):
            required = manifest.requires.get(requirement)
            if required is None or required.interface != "plc_link" \
                    or part.id not in (_target_module(t) for t in targets):
                continue
            port = inst.config.get("port", manifest.config.get("port", {}).get("default", 1))
            if port != part.config["port"]:
                problems.append(Problem(
                    rig.path, part.line("port") or part.line(),
                    f"{part.id}: {inst.id} uses port {port}, and this interface is port "
                    f"{part.config['port']}: give each connector its own part (serves: "
                    f"[{inst.id}.{requirement}])"))
            elif "interface" in manifest.config:
                # It serves V2G on an interface itself (the SECC): the host's IP stack there,
                # rather than the data frames of a plc_link.
                inst.config["interface"] = interface
                del inst.raw_connections[requirement]
            elif "mac_address" in manifest.config and not inst.config.get("mac_address") \
                    and mac:
                inst.config["mac_address"] = mac
    return problems


BACKEND = Backend("ethernet", "a PLC modem's Ethernet interface (SLAC on a raw socket, "
                  "ISO 15118 over IPv6)", _module, _devices, _emulate, _overlay)
