"""Emulators on their own wall-clock environment: on a thread beside a station (tests,
benchmarks) or on the main thread until Ctrl-C (``evbench rig emulate``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from charger.framework.wallclock import WallClockEnvironment


class Emulator(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


class EmulatorHost:
    """Starts emulators (and the pty pairs or servers they sit on) and runs their clock."""

    def __init__(self, factor: float = 1.0):
        self.env = WallClockEnvironment(factor)
        self.emulators: list[Emulator] = []
        self.by_part: dict[str, Emulator] = {}  # a rig part's emulator, for others to find
        self._cleanups: list[Callable[[], Any]] = []
        self._done = self.env.event()
        self._thread: threading.Thread | None = None

    def add(self, emulator: Emulator, part: str | None = None) -> Emulator:
        self.emulators.append(emulator)
        if part is not None:
            self.by_part[part] = emulator
        return emulator

    def on_stop(self, cleanup: Callable[[], Any]) -> None:
        """Run ``cleanup`` when the host stops (after the emulators stop), last added first."""
        self._cleanups.append(cleanup)

    def start_thread(self) -> EmulatorHost:
        """Run the emulators on a background thread (the caller keeps its own clock)."""
        ready = threading.Event()

        def run() -> None:
            for emulator in self.emulators:
                emulator.start()
            ready.set()
            self.env.run(until=self._done)

        self._thread = threading.Thread(target=run, name="emulators", daemon=True)
        self._thread.start()
        ready.wait(timeout=10.0)
        return self

    def run_until_signal(self) -> None:
        """Run on this (the main) thread until SIGINT or SIGTERM."""
        finished = self.env.finish_on_signals()
        for emulator in self.emulators:
            emulator.start()
        try:
            self.env.run(until=finished)
        finally:
            self.stop()

    def call(self, action: Callable[[], Any]) -> None:
        """Run ``action`` on the emulators' clock (a test changing the world)."""
        self.env.post(action)

    def stop(self) -> None:
        if self._thread is not None:
            self.env.post(lambda: self._done.triggered or self._done.succeed())
            self._thread.join(timeout=5.0)
            self._thread = None
        for emulator in self.emulators:
            emulator.stop()
        self.emulators.clear()
        for cleanup in reversed(self._cleanups):
            cleanup()
        self._cleanups.clear()

    def __enter__(self) -> EmulatorHost:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
