"""Progress bars for long commands on a terminal: ``evbench run`` (simulated time) and
``evbench fuzz`` (runs done).

The run's bar shows how far it got in simulated time and how much faster than real time it goes.
A process on the run's own simpy clock moves it, so it reads no clock of its own. tqdm draws the
bars, at most ten times a wall second, and not at all for work over within half a wall second.
"""

from __future__ import annotations

import shutil
from collections.abc import Generator
from typing import Any, TextIO

import simpy
from tqdm import tqdm

STEPS = 500  # bar updates over the run's simulated duration
RUN_FORMAT = "{l_bar}{bar}| t = {n:.0f} of {total:.0f} s{postfix} [{elapsed} < {remaining}]"
FUZZ_FORMAT = "{l_bar}{bar}| {n_fmt} of {total_fmt} runs{postfix} [{elapsed} < {remaining}]"


def _bar(stream: TextIO, total: float, bar_format: str) -> tqdm:
    # A terminal that reports no size (0 x 0) gets 80 x 24: tqdm would hide the bar.
    size = shutil.get_terminal_size((80, 24))
    options: dict[str, Any] = {"leave": False, "mininterval": 0.1, "delay": 0.5,
                               "ncols": size.columns, "nrows": size.lines}
    return tqdm(total=total, file=stream, bar_format=bar_format, **options)


class SimulatedTimeBar:
    """A bar from 0 to ``duration_s`` simulated seconds, on ``stream``."""

    def __init__(self, env: simpy.Environment, duration_s: float, stream: TextIO):
        self.env = env
        self.bar = _bar(stream, duration_s, RUN_FORMAT)
        env.process(self._follow(max(duration_s / STEPS, 1e-3)))

    def _follow(self, period_s: float) -> Generator:
        while True:
            yield self.env.timeout(period_s)
            elapsed = self.bar.format_dict["elapsed"]
            if elapsed > 0:
                self.bar.set_postfix_str(f"{self.env.now / elapsed:,.0f}x real time",
                                         refresh=False)
            self.bar.update(min(self.env.now, self.bar.total) - self.bar.n)

    def write(self, line: str) -> None:
        """A line of output above the bar (the bar is drawn again below it)."""
        self.bar.write(line, file=self.bar.fp)

    def close(self) -> None:
        self.bar.close()


class RunCountBar:
    """A bar of the fuzzer's finished runs, with the violations found so far; called as the
    fuzzer's ``progress(done, violation)``."""

    def __init__(self, runs: int, stream: TextIO):
        self.bar = _bar(stream, runs, FUZZ_FORMAT)
        self.violations = 0

    def __call__(self, done: int, violation: object | None) -> None:
        if violation is not None:
            self.violations += 1
            self.bar.set_postfix_str(f"{self.violations} violating", refresh=False)
        self.bar.update(done - self.bar.n)
        if done == self.bar.total:
            self.bar.refresh()  # the last run is shown, whatever the drawing rate skipped

    def close(self) -> None:
        self.bar.close()
