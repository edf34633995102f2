"""``evbench monitor``: the live traffic of a distributed station, one readable line a message.

Lines carry the station's simulated time (from the clock its manager publishes), the same
kinds, sources and names as a run's ``timeline.csv``, and can be filtered by source, kind and
name. Telemetry variables (declared ``telemetry: true``, such as meter readings many times a
second) are summarised: at most one line per variable and interval, saying how many readings
it stands for.
"""

from __future__ import annotations

import argparse
import fnmatch
import time
from collections.abc import Callable, Iterable
from typing import Any

KINDS = ("var", "cmd", "result", "cmd_error", "error_raised", "error_cleared", "lifecycle",
         "log")
TEXT_WIDTH = 160


def add_arguments(parser: argparse.ArgumentParser,
                  bus_type: Callable[[str], str] = str) -> None:
    parser.add_argument("--bus", type=bus_type, required=True, help="mqtt://HOST:PORT")
    parser.add_argument("--source", action="append", default=[], metavar="PATTERN",
                        help="only sources matching this pattern, e.g. 'evse*' (repeatable)")
    parser.add_argument("--kind", action="append", default=[], choices=KINDS,
                        help="only this kind of message (repeatable)")
    parser.add_argument("--name", action="append", default=[], metavar="PATTERN",
                        help="only names matching this pattern, e.g. 'session_*' (repeatable)")
    parser.add_argument("--telemetry-every", type=_seconds, default=5.0, metavar="SECONDS",
                        help="at most one line per telemetry variable this often, in wall "
                        "seconds (0: every reading; default 5)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:  # also refuses NaN
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


class Monitor:
    """Turns broker messages into filtered, summarised lines (``write`` prints them)."""

    def __init__(self, write: Callable[[str], None], sources: Iterable[str] = (),
                 kinds: Iterable[str] = (), names: Iterable[str] = (),
                 telemetry: Iterable[str] = (), telemetry_every_s: float = 5.0,
                 wall_clock: Callable[[], float] = time.time):
        self.write = write
        self.sources = list(sources)
        self.kinds = set(kinds)
        self.names = list(names)
        self.telemetry = set(telemetry)
        self.telemetry_every_s = telemetry_every_s
        self.wall_clock = wall_clock
        self.epoch: float | None = None
        self.factor = 1.0
        self._shown_at: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}
        self._ready: set[str] = set()

    def on_message(self, topic: Any, content: Any) -> None:
        from charger.framework import topics

        if topic.kind == "clock":
            if isinstance(content, dict) and isinstance(content.get("epoch"), int | float):
                self.epoch = float(content["epoch"])
                self.factor = float(content.get("factor") or 1.0)
            return
        entry = topics.timeline_entry(topic, content)
        if entry is not None:
            self.show(*entry)

    def show(self, kind: str, source: str, name: str, value: Any) -> None:
        if not self._selected(kind, source, name) or self._repeated_ready(kind, source, name):
            return
        note = ""
        if kind == "var" and name in self.telemetry and self.telemetry_every_s > 0:
            key, now = (source, name), self.wall_clock()
            last = self._shown_at.get(key)
            if last is not None and now - last < self.telemetry_every_s:
                self._held[key] = self._held.get(key, 0) + 1
                return
            self._shown_at[key] = now
            held = self._held.pop(key, 0)
            if held:
                note = f"  (+{held} readings since the last line)"
        from reports.recorder import to_json

        text = value if isinstance(value, str) else to_json(value)
        text = text if len(text) <= TEXT_WIDTH else text[:TEXT_WIDTH - 3] + "..."
        self.write(f"{self._sim_time():>10}  {kind:13} {source:22} {name:28} {text}{note}")

    def _selected(self, kind: str, source: str, name: str) -> bool:
        return ((not self.kinds or kind in self.kinds)
                and (not self.sources or any(fnmatch.fnmatchcase(source, p)
                                             for p in self.sources))
                and (not self.names or any(fnmatch.fnmatchcase(name, p) for p in self.names)))

    def _repeated_ready(self, kind: str, source: str, name: str) -> bool:
        """A module says ready again whenever the broker restarts: show it once per start."""
        if kind != "lifecycle":
            return False
        if name == "ready":
            if source in self._ready:
                return True
            self._ready.add(source)
        else:
            self._ready.discard(source)
        return False

    def _sim_time(self) -> str:
        if self.epoch is None:
            return "-"  # no station has published its clock yet
        return f"{(self.wall_clock() - self.epoch) / self.factor:.3f}"


def telemetry_variables() -> set[str]:
    """Names of the variables some interface declares as telemetry."""
    from charger.framework.schema import SchemaRegistry

    return {name for spec in SchemaRegistry().interfaces.values()
            for name, var in spec.vars.items() if var.telemetry}


def run_monitor(args: argparse.Namespace) -> int:
    from charger.framework.mqtt import MqttBus
    from charger.framework.wallclock import WallClockEnvironment

    env = WallClockEnvironment()
    finished = env.finish_on_signals()
    bus = MqttBus(env, args.bus, name="monitor")
    monitor = Monitor(lambda line: print(line, flush=True), args.source, args.kind, args.name,
                      telemetry_variables(), args.telemetry_every)
    bus.watch_all(monitor.on_message)
    bus.connect()
    print(f"monitoring {args.bus} (simulated seconds; Ctrl-C stops)", flush=True)
    try:
        env.run(until=finished)
    finally:
        bus.close()
    return 0
