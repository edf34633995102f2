"""SLAC frames on a real Ethernet interface: a raw AF_PACKET socket for EtherType 0x88E1.

:class:`RawEthernetPort` is the device layer (one socket on one interface, optionally opened in a
named network namespace); :class:`RawEthernetPlc` is the module that provides the same
``plc_link`` interface as the simulated link, one port per interface, so ``EvseSlac`` and
``SimEvSlac`` run unchanged against a real PLC modem (or a veth pair). It needs the wall clock:
frames arrive when they arrive. The only I/O of the ``charger.slac`` package lives here.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import socket
from collections.abc import Iterator

from charger.framework import Module, command
from charger.framework.wallclock import SocketReader
from charger.slac import frames

ETH_P_HOMEPLUG_AV = frames.ETHERTYPE_HOMEPLUG_AV
ETH_P_ALL = 0x0003  # every EtherType: what a modem bridges (SLAC and the IPv6 data after it)
PACKET_OUTGOING = 4  # sll_pkttype of a frame this host sent (seen by taps, never ours to read)
CLONE_NEWNET = 0x40000000
MAX_FRAME_BYTES = 1518
NETNS_DIR = "/run/netns"  # where `ip netns add` keeps named namespaces


class PortError(OSError):
    """An interface that cannot be opened (missing, no permission, no such namespace)."""


@contextlib.contextmanager
def network_namespace(name: str) -> Iterator[None]:
    """Run the body in the named network namespace (``ip netns``), then return to this one.

    Sockets opened inside stay in that namespace; only the calling thread moves."""
    if not name:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY)
    except OSError as exc:
        raise PortError(exc.errno, f"network namespace {name!r}: {exc.strerror}") from None
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise PortError(code, f"cannot enter network namespace {name!r}: "
                            f"{os.strerror(code)}")
        try:
            yield
        finally:
            libc.setns(own, CLONE_NEWNET)
    finally:
        os.close(own)
        os.close(target)


class RawEthernetPort:
    """One raw socket receiving and sending HomePlug AV frames on one interface (frames of
    every EtherType with ``protocol=ETH_P_ALL``)."""

    def __init__(self, interface: str, netns: str = "", protocol: int = ETH_P_HOMEPLUG_AV):
        self.interface = interface
        try:
            with network_namespace(netns):
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(protocol))
                try:
                    sock.bind((interface, protocol))
                except OSError:
                    sock.close()
                    raise
        except PortError:
            raise
        except OSError as exc:
            where = f" in namespace {netns!r}" if netns else ""
            raise PortError(exc.errno or errno.EIO,
                            f"cannot open {interface!r}{where}: {exc.strerror or exc}") from None
        sock.setblocking(False)
        self.sock = sock
        self.mac = ":".join(f"{b:02x}" for b in sock.getsockname()[4][:6])

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, raw: bytes) -> int:
        if len(raw) < frames.MIN_FRAME_BYTES:
            raw = raw + bytes(frames.MIN_FRAME_BYTES - len(raw))
        return self.sock.send(raw)

    def receive(self) -> list[bytes]:
        """Every frame waiting (none when nothing is); frames this host sent are skipped."""
        received = []
        while True:
            try:
                raw, address = self.sock.recvfrom(MAX_FRAME_BYTES)
            except (BlockingIOError, InterruptedError):
                return received
            if address[2] != PACKET_OUTGOING:
                received.append(raw)

    def close(self) -> None:
        self.sock.close()


class _PortPump(SocketReader):
    """Lets the wall-clock environment wait on a port's socket (the port owns it)."""

    def __init__(self, port: RawEthernetPort, on_frames):
        self.port = port
        self.sock = port.sock
        self.on_frames = on_frames

    def readable(self) -> None:
        received = self.port.receive()
        if received:
            self.on_frames(received)


def attach_port(env, port: RawEthernetPort, handle) -> None:
    """Have ``handle(frames)`` run on the simulation thread, at the simulated instant the
    frames arrived, whenever ``port`` has frames."""
    env.attach(_PortPump(port, lambda received: env.post(lambda: handle(received))))


def send_hex(port: RawEthernetPort, frame: str) -> dict:
    """Send a frame given as hex; the ``plc_link`` ``send_frame`` result (what it was, bytes
    sent)."""
    raw = bytes.fromhex(frame)
    sent = port.send(raw)
    return {"message": frames.describe(raw).get("message", "not SLAC"), "bytes": sent}


def received_value(port: int, raw: bytes) -> dict:
    """A frame that arrived on ``port``, as the ``plc_link`` ``received`` value."""
    return {"port": port, "frame": raw.hex(), "decoded": frames.describe(raw)}


class RawEthernetPlc(Module):
    def init(self) -> None:
        self.ports: dict[int, RawEthernetPort] = {}
        for entry in self.config["ports"]:
            port = RawEthernetPort(entry["interface"], entry.get("netns", ""))
            self.ports[entry["port"]] = port
            attach_port(self.env, port,
                        lambda received, number=entry["port"]: self._received(number, received))

    def shutdown(self) -> None:
        for port in self.ports.values():
            port.close()

    @command("plc", "send_frame")
    def send_frame(self, port: int, frame: str) -> dict:
        if port not in self.ports:
            raise ValueError(f"no port {port} (configured: {sorted(self.ports)})")
        return send_hex(self.ports[port], frame)

    def _received(self, port: int, received: list[bytes]) -> None:
        for raw in received:
            self.publish("plc", "received", received_value(port, raw))
