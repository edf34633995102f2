"""Network namespaces joined by veth pairs, made for one test and removed after it.

The layout puts the power line in the middle, as on a real charger: the car's host in one
namespace, each EVSE's host in another, and the simulated line with its modems (PlcBridge) in a
third, cabled to both by a veth pair per host. Needs root and `ip netns`; where either is
missing the test is skipped with the reason."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

import pytest


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)


@dataclass
class VethLab:
    tag: str
    namespaces: list[str] = field(default_factory=list)
    cables: int = 0

    def namespace(self, role: str) -> str:
        name = f"slac-{self.tag}-{role}"
        result = _ip("netns", "add", name)
        if result.returncode != 0:
            pytest.skip(f"cannot create network namespace: {result.stderr.strip()}")
        self.namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name

    def cable(self, host_ns: str, host_if: str, line_ns: str, line_if: str,
              host_mac: str | None = None) -> None:
        """A veth pair: ``host_if`` in the host's namespace, ``line_if`` on the line's."""
        self.cables += 1  # temporary names in this namespace, free again once moved
        tmp_host, tmp_line = f"s{self.tag}c{self.cables}a", f"s{self.tag}c{self.cables}b"
        for args in (["link", "add", tmp_host, "type", "veth", "peer", "name", tmp_line],
                     ["link", "set", tmp_host, "netns", host_ns, "name", host_if],
                     ["link", "set", tmp_line, "netns", line_ns, "name", line_if]):
            result = _ip(*args)
            if result.returncode != 0:
                pytest.skip(f"cannot create a veth pair: ip {' '.join(args)}: "
                            f"{result.stderr.strip()}")
        if host_mac:
            _ip("-n", host_ns, "link", "set", host_if, "address", host_mac)
        for ns, name in ((host_ns, host_if), (line_ns, line_if)):
            _ip("-n", ns, "link", "set", name, "promisc", "on")
            _ip("-n", ns, "link", "set", name, "up")

    def remove(self) -> None:
        for name in self.namespaces:
            _ip("netns", "del", name)


def veth_lab() -> VethLab:
    if os.geteuid() != 0:
        pytest.skip("raw sockets and network namespaces need root")
    if shutil.which("ip") is None:
        pytest.skip("iproute2's `ip` is not installed")
    return VethLab(tag=f"{os.getpid() % 100000}")
