"""The wall clock: other threads post into the simulation, which handles it promptly."""

from __future__ import annotations

import socket
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


class SocketPump:
    """A pump on one end of a socket pair: each byte read is handed to ``env.deliver``."""

    def __init__(self, env: WallClockEnvironment, log: list[str]):
        self.env, self.log = env, log
        self.sock, self.peer = socket.socketpair()
        self.sock.setblocking(False)
        self.reading = False

    def io(self):
        return self.sock, False

    def readable(self) -> None:
        self.reading = True
        for byte in self.sock.recv(64):
            self.env.deliver(lambda b=byte: self.log.append(
                f"{chr(b)} {'inside' if self.reading else 'after'} the read"))
        self.reading = False

    def writable(self) -> None:
        pass

    def housekeeping(self) -> None:
        pass


def test_a_pump_delivers_at_once_while_the_simulation_waits_on_it() -> None:
    """Handled inside the read, a request's answer is queued before the client acknowledges
    the request, and leaves with the acknowledgement instead of after another wait."""
    env = WallClockEnvironment(factor=0.01)
    log: list[str] = []
    pump = SocketPump(env, log)
    env.attach(pump)
    threading.Timer(0.05, lambda: pump.peer.send(b"ab")).start()
    env.run(until=20)  # 0.2 s of wall time
    assert log == ["a inside the read", "b inside the read"]


def test_a_pump_keeps_the_order_of_what_was_posted_before() -> None:
    env = WallClockEnvironment(factor=0.01)
    log: list[str] = []
    pump = SocketPump(env, log)
    env.attach(pump)

    def post_then_send() -> None:
        env.post(lambda: log.append("posted first"))
        pump.peer.send(b"c")

    threading.Timer(0.05, post_then_send).start()
    env.run(until=20)
    assert log[0] == "posted first" and log[1].startswith("c ")


def test_before_the_simulation_runs_a_pump_posts() -> None:
    env = WallClockEnvironment(factor=0.01)
    log: list[str] = []
    pump = SocketPump(env, log)
    env.attach(pump)
    pump.peer.send(b"d")
    env.poll_network(0.5)  # a process waiting for its peers, before it runs
    assert log == []  # runs once the simulation does
    env.run(until=1)
    assert log == ["d after the read"]
