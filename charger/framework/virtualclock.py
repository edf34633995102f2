"""Virtual time that refuses to stand still, and keeps the collector off the record.

A process that keeps scheduling itself at the instant it runs in (a check that is always due
"now", a remainder that shrinks below the clock's resolution) would hang a run in virtual time
for ever, with nothing to show for it. :class:`VirtualClockEnvironment` counts the events of
one instant and, past a bound no real instant comes near, stops the run with :class:`TimeStalled`,
naming the process that was about to run again. While it runs, the garbage collector's full
passes wait (``_no_full_collections``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import simpy

# Far above any real instant: a fleet's busiest (every charger's meter at once) is thousands.
MAX_EVENTS_PER_INSTANT = 2_000_000


class TimeStalled(RuntimeError):
    """Virtual time stopped moving: too many events at one instant."""

    def __init__(self, now: float, events: int, culprit: str):
        super().__init__(f"simulated time stopped at t={now:g} s: {events:,} events ran without "
                         f"time passing; the next to run was {culprit}")
        self.now = now
        self.culprit = culprit


class VirtualClockEnvironment(simpy.Environment):
    """simpy's virtual time, with the stall guard and the collector policy above."""

    def __init__(self, initial_time: float = 0.0,
                 max_events_per_instant: int | None = None):
        super().__init__(initial_time)
        self.max_events_per_instant = max_events_per_instant or MAX_EVENTS_PER_INSTANT
        self._same_instant = 0

    def run(self, until: Any = None) -> Any:
        with _no_full_collections():
            return super().run(until)

    def step(self) -> None:
        before = self._now
        super().step()
        if self._now != before:
            self._same_instant = 0
            return
        self._same_instant += 1
        if self._same_instant >= self.max_events_per_instant:
            self._same_instant = 0
            raise TimeStalled(self._now, self.max_events_per_instant, self._next_process())

    def _next_process(self) -> str:
        """The first process waiting to run at this instant (through any ``yield from``, so a
        module's method rather than the framework's wrapper), and the module it belongs to."""
        for _when, _priority, _eid, event in sorted(e for e in self._queue[:64]
                                                     if e[0] == self._now):
            # The event's own process (it ended), or a process that waits on it.
            waiting = (event, *(getattr(c, "__self__", None) for c in event.callbacks or ()))
            for process in waiting:
                generator = getattr(process, "_generator", None)
                if generator is None or generator.gi_frame is None:
                    continue
                owner = name = None
                while generator is not None and generator.gi_frame is not None:
                    candidate = generator.gi_frame.f_locals.get("self")
                    owner = getattr(candidate, "id", owner)
                    name = generator.__qualname__
                    generator = generator.gi_yieldfrom
                return f"{name}" + (f" of module {owner}" if owner else "")
        return "not a process"


_full_collections_held = 0
_held_lock = threading.Lock()
_thresholds: tuple[int, int, int] = gc.get_threshold()


@contextmanager
def _no_full_collections() -> Iterator[None]:
    """Hold off the collector's full passes while virtual time runs.

    A long run keeps millions of recorded rows; every full pass walks all of them again (a
    fifth of the CPU of a 1,000-charger day went there). The young generations are still
    collected, so short-lived cycles go as usual; a cycle that lived long is collected by the
    first full pass after the run."""
    global _full_collections_held, _thresholds
    with _held_lock:
        if _full_collections_held == 0:
            _thresholds = gc.get_threshold()
            gc.set_threshold(_thresholds[0], _thresholds[1], 1 << 30)
        _full_collections_held += 1
    try:
        yield
    finally:
        with _held_lock:
            _full_collections_held -= 1
            if _full_collections_held == 0:
                gc.set_threshold(*_thresholds)
