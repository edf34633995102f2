"""The IPv6 link-local address and scope id of a network interface (ISO 15118-2 runs on
link-local addresses over the PLC or Ethernet interface)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

IF_INET6 = Path("/proc/net/if_inet6")
LINK_SCOPE = 0x20


class InterfaceError(OSError):
    pass


def scope_id(interface: str) -> int:
    try:
        return socket.if_nametoindex(interface)
    except OSError as problem:
        raise InterfaceError(f"no network interface {interface!r}") from problem


def link_local_address(interface: str) -> ipaddress.IPv6Address:
    """The interface's fe80:: address (Linux: read from /proc/net/if_inet6)."""
    scope_id(interface)
    try:
        lines = IF_INET6.read_text().splitlines()
    except OSError as problem:
        raise InterfaceError(f"cannot read IPv6 addresses: {problem}") from problem
    for line in lines:
        fields = line.split()
        if len(fields) == 6 and fields[5] == interface and int(fields[3], 16) == LINK_SCOPE:
            return ipaddress.IPv6Address(bytes.fromhex(fields[0]))
    raise InterfaceError(f"interface {interface!r} has no IPv6 link-local address (yet: "
                         "duplicate address detection may still run)")
