"""The wall clock: other threads post into the simulation, which handles it promptly."""

from __future__ import annotations

import threading
import time

from charger.framework.wallclock import WallClockEnvironment


def test_a_posted_action_runs_before_a_later_timer_not_with_it() -> None:
    env = WallClockEnvironment(factor=0.1)  # 5 simulated seconds take 0.5 s
    seen: list[tuple[str, float]] = []

    def timer():
        yield env.timeout(5)
        seen.append(("timer", env.now))

    def poster() -> None:
        env.post(lambda: seen.append(("posted", env.now)))

    env.process(timer())
    threading.Timer(0.05, poster).start()  # while the simulation waits for the timer
    env.run(until=6)
    assert [name for name, _ in seen] == ["posted", "timer"]
    posted_at = seen[0][1]
    assert 0 < posted_at < 5  # handled when it arrived, not when the timer woke the thread
    assert seen[1][1] == 5


def test_the_factor_scales_wall_time() -> None:
    env = WallClockEnvironment(factor=0.01)
    start = time.monotonic()
    env.run(until=50)  # 50 simulated seconds at 100x
    assert 0.4 <= time.monotonic() - start < 5


def test_start_at_shares_one_simulated_time_between_processes() -> None:
    env = WallClockEnvironment(factor=0.5)
    epoch = 1_000.0
    env.start_at(epoch, wall_time=epoch + 10.0)  # another process announced t=0 10 s ago
    assert env.now == 20.0  # 10 wall seconds at 2x
