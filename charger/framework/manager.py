"""Starting, supervising and stopping the OS processes of a distributed station.

Each group of modules (one module, or a group named in the station's ``settings.process_groups``)
runs as ``evbench module ...``. A process that dies is restarted with exponential back-off; on
stop every process gets SIGTERM, then SIGKILL after a grace period. Children also receive SIGTERM
if the manager itself dies, so no module outlives its station.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from charger.framework.config import StationConfig
from charger.framework.errors import EvbenchError
from charger.framework.mqtt import MqttBus

PR_SET_PDEATHSIG = 1
POLL_S = 0.05


def process_groups(config: StationConfig, extra: dict[str, list[str]] | None = None
                   ) -> dict[str, list[str]]:
    """Group name -> module ids: the configured groups, then one process per other module."""
    groups = {name: list(ids) for name, ids in (extra or config.process_groups).items()}
    grouped = {m for ids in groups.values() for m in ids}
    for module_id in config.modules:
        if module_id not in grouped:
            groups[module_id] = [module_id]
    return groups


def _die_with_parent() -> None:
    # Not on Linux: the manager's own stop() still cleans up.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Managed:
    name: str
    module_ids: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    restart_at: float | None = None
    exits: list[int] = field(default_factory=list)


class ProcessManager:
    """Runs ``command(module_ids)`` per group and keeps each running."""

    def __init__(self, groups: dict[str, list[str]], command: Callable[[list[str]], list[str]],
                 log_dir: Path | None = None, backoff_s: tuple[float, float] = (0.2, 10.0),
                 on_event: Callable[[str, str, dict], None] | None = None):
        self.managed = {name: Managed(name, ids) for name, ids in groups.items()}
        self.command = command
        self.log_dir = log_dir
        self.backoff_s = backoff_s
        self.on_event = on_event or (lambda _name, _what, _detail: None)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        for item in self.managed.values():
            self._spawn(item)
        self._supervisor = threading.Thread(target=self._supervise, name="evbench-supervisor",
                                            daemon=True)
        self._supervisor.start()

    def pid_of(self, module_id: str) -> int | None:
        for item in self.managed.values():
            if module_id in item.module_ids and item.process:
                return item.process.pid
        return None

    def _spawn(self, item: Managed) -> None:
        output = subprocess.DEVNULL
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{item.name}.log", "ab")  # noqa: SIM115 - child's
        item.process = subprocess.Popen(self.command(item.module_ids), stdin=subprocess.DEVNULL,
                                        stdout=output, stderr=subprocess.STDOUT,
                                        preexec_fn=_die_with_parent)
        if output is not subprocess.DEVNULL:
            output.close()  # the child holds its own descriptor

    def _supervise(self) -> None:
        while not self._stopping.wait(POLL_S):
            with self._lock:
                for item in self.managed.values():
                    self._check(item)

    def _check(self, item: Managed) -> None:
        now = time.monotonic()
        if item.restart_at is not None:
            if now >= item.restart_at:
                item.restart_at = None
                item.restarts += 1
                self._spawn(item)
                self.on_event(item.name, "restarted", {"modules": item.module_ids,
                                                      "restarts": item.restarts})
            return
        code = item.process.poll() if item.process else None
        if code is None or self._stopping.is_set():
            return
        item.exits.append(code)
        low, high = self.backoff_s
        delay = min(high, low * 2 ** item.restarts)
        item.restart_at = now + delay
        self.on_event(item.name, "exited", {"modules": item.module_ids, "code": code,
                                           "restart_in_s": delay})

    def stop(self, grace_s: float = 5.0) -> None:
        self._stopping.set()
        if self._supervisor:
            self._supervisor.join()
        with self._lock:
            running = [i.process for i in self.managed.values()
                       if i.process and i.process.poll() is None]
            for process in running:
                process.terminate()
            deadline = time.monotonic() + grace_s
            for process in running:
                try:
                    process.wait(max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def module_command(module_ids: list[str], config: str, bus_url: str, factor: float,
                   seed: int) -> list[str]:
    """The command line that runs some modules of a station (or a scenario's) as one process."""
    return [sys.executable, "-m", "evbench.cli", "module", *module_ids, "--config", config,
            "--bus", bus_url, "--factor", repr(factor), "--seed", str(seed)]


def launch(bus: MqttBus, manager: ProcessManager, module_ids: set[str],
           timeout_s: float = 60.0) -> None:
    """Start the module processes, wait until each is ready, and announce ``everest/ready``
    with the epoch that makes simulated t=0 now, for every process and for ``bus``'s clock."""
    bus.connect()
    bus.clear_ready_flags(sorted(module_ids))  # an earlier run's flags are not ours
    manager.start()
    missing = bus.wait_modules_ready(module_ids, timeout_s)
    if missing:
        land(bus, manager)
        raise EvbenchError(f"modules did not become ready within {timeout_s:g} s: "
                           f"{', '.join(sorted(missing))}")
    epoch = time.time()
    bus.env.start_at(epoch, epoch)
    bus.announce_everest_ready(epoch)


def land(bus: MqttBus, manager: ProcessManager) -> None:
    """Stop every module process and leave nothing retained on the broker."""
    manager.stop()
    bus.announce_everest_ready(None)
    bus.close()
