"""Starting, supervising and stopping the OS processes of a distributed station.

Each group of modules (one module, or a group named in the station's ``settings.process_groups``)
runs as ``evbench module ...``, which asks the manager for its configuration over MQTT. A
process that dies is restarted with exponential back-off, and so is one that is alive but
silent: its modules' heartbeats stopped (the liveness check). On stop every process gets
SIGTERM, then SIGKILL after a grace period. Children also receive SIGTERM if the manager itself
dies, so no module outlives its station. Modules marked ``external`` are started by someone
else; the manager waits for them and answers for them while they are not ready.
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

from charger.framework.bus import CommandError, CommandErrorType
from charger.framework.config import StationConfig
from charger.framework.errors import EvbenchError
from charger.framework.mqtt import MqttBus
from charger.framework.process import module_config_json

PR_SET_PDEATHSIG = 1
POLL_S = 0.05


def process_groups(config: StationConfig, extra: dict[str, list[str]] | None = None
                   ) -> dict[str, list[str]]:
    """Group name -> module ids: the configured groups, then one process per other module
    (external modules are started by someone else)."""
    groups = {name: list(ids) for name, ids in (extra or config.process_groups).items()}
    grouped = {m for ids in groups.values() for m in ids}
    for module_id in config.modules:
        if module_id not in grouped and module_id not in config.external:
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
    spawned_at: float = 0.0
    exits: list[int] = field(default_factory=list)


class ProcessManager:
    """Runs ``command(module_ids)`` per group and keeps each running."""

    def __init__(self, groups: dict[str, list[str]], command: Callable[[list[str]], list[str]],
                 log_dir: Path | None = None, backoff_s: tuple[float, float] = (0.2, 10.0),
                 on_event: Callable[[str, str, dict], None] | None = None,
                 liveness_timeout_s: float = 10.0):
        self.managed = {name: Managed(name, ids) for name, ids in groups.items()}
        self.command = command
        self.log_dir = log_dir
        self.backoff_s = backoff_s
        self.on_event = on_event or (lambda _name, _what, _detail: None)
        self.liveness_timeout_s = liveness_timeout_s
        # Set by launch(): module -> time.monotonic() of its last heartbeat, and since when
        # the heartbeats can arrive (the manager's connection to the broker).
        self.heartbeats: dict[str, float] | None = None
        self.listening_since: Callable[[], float | None] = lambda: None
        self.on_exit: Callable[[list[str]], None] = lambda _ids: None
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
        item.spawned_at = time.monotonic()
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
        if self._stopping.is_set():
            return
        if code is None:
            self._check_liveness(item, now)
            return
        item.exits.append(code)
        self.on_exit(item.module_ids)
        low, high = self.backoff_s
        delay = min(high, low * 2 ** item.restarts)
        item.restart_at = now + delay
        self.on_event(item.name, "exited", {"modules": item.module_ids, "code": code,
                                           "restart_in_s": delay})

    def _check_liveness(self, item: Managed, now: float) -> None:
        """Kill a process whose modules stopped their heartbeats (it is then restarted).

        Judged only on heartbeats sent by this very process, and only while the manager has
        been listening for longer than the timeout (a broker outage silences everyone)."""
        listening = self.listening_since()
        if self.heartbeats is None or listening is None \
                or now - listening < self.liveness_timeout_s:
            return
        for module_id in item.module_ids:
            last = self.heartbeats.get(module_id)
            if last is not None and last > item.spawned_at \
                    and now - last > self.liveness_timeout_s:
                assert item.process is not None
                item.process.kill()
                self.on_event(item.name, "unresponsive", {
                    "modules": item.module_ids, "silent_s": round(now - last, 1)})
                return

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


def module_command(module_ids: list[str], bus_url: str) -> list[str]:
    """The command line that runs some modules of a station as one process (their
    configuration comes from the manager, over MQTT)."""
    return [sys.executable, "-m", "evbench.cli", "module", *module_ids, "--bus", bus_url]


def launch(bus: MqttBus, manager: ProcessManager, config: StationConfig, seed: int = 0,
           timeout_s: float = 60.0) -> None:
    """Serve the modules' configuration, start the module processes, wait until every module
    (external ones too) is ready, and announce ``everest/ready`` with the epoch that makes
    simulated t=0 now, for every process and for ``bus``'s clock."""
    factor = bus.env.factor
    bus.serve_config(lambda module_id: module_config_json(config, module_id, seed, factor)
                     if module_id in config.modules else None)
    managed = {m for item in manager.managed.values() for m in item.module_ids}

    def absent(module_id: str) -> CommandError | None:
        if module_id not in config.modules:
            return CommandError(CommandErrorType.UNKNOWN_MODULE,
                                f"the station has no module {module_id!r}")
        if module_id not in bus.remote_ready:
            what = "external, not started yet" if module_id not in managed else "not running"
            return CommandError(CommandErrorType.NOT_READY, f"{module_id} is {what}")
        return None

    bus.answer_for_absent(absent)
    bus.watch_presence()
    manager.heartbeats = bus.last_heartbeat
    manager.listening_since = lambda: bus.connected_since
    manager.on_exit = bus.forget_ready
    bus.connect()
    manager.start()
    external = sorted(config.external)
    if external:
        manager.on_event("manager", "waiting", {"external_modules": external})
    missing = bus.wait_modules_ready(set(config.modules), timeout_s)
    if missing:
        land(bus, manager)
        raise EvbenchError(f"modules did not become ready within {timeout_s:g} s: "
                           f"{', '.join(sorted(missing))}"
                           + (f" (external: {', '.join(external)})" if external else ""))
    epoch = time.time()
    bus.env.start_at(epoch, epoch)
    bus.announce_everest_ready(epoch)


def land(bus: MqttBus, manager: ProcessManager) -> None:
    """Stop every module process and leave nothing retained on the broker."""
    manager.stop()
    bus.announce_everest_ready(None)
    bus.close()
