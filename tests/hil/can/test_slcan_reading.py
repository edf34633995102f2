"""Reading an slcan adapter (hil/can/channel.py:receive) over a real socat pty pair with
python-can's slcan at both ends: a burst is read from the port in one go and parsed frame by
frame, a line split across reads waits for its end, and noise costs its own line only."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import can
import pytest

from hil.can.channel import NoiseOnLine, receive
from hil.emulators.pty import PtyPair
from tests.hil.can.conftest import _ensure_socat


@pytest.fixture
def link(tmp_path: Path) -> Iterator[tuple[can.BusABC, can.BusABC]]:
    """(host, device): python-can slcan buses on the two ends of a pty pair."""
    _ensure_socat()
    with PtyPair(tmp_path / "host", tmp_path / "device"):
        host = can.Bus(interface="slcan", channel=str(tmp_path / "host"), bitrate=125_000,
                       sleep_after_open=0)
        device = can.Bus(interface="slcan", channel=str(tmp_path / "device"), bitrate=125_000,
                         sleep_after_open=0)
        try:
            # Both ends' opening commands (C, S4, O) are lines the other end reads and skips.
            for bus in (host, device):
                while receive(bus, 0.2) is not None or bus._queue.qsize():
                    pass
            yield host, device
        finally:
            for bus in (host, device):
                with contextlib.suppress(can.CanError, OSError):
                    bus.shutdown()


def frame(n: int) -> can.Message:
    return can.Message(arbitration_id=0x1000 + n, data=bytes([n] * 8), is_extended_id=True)


def test_a_burst_is_read_in_one_go_and_parsed_frame_by_frame(link):
    host, device = link
    for n in range(20):
        device.send(frame(n))
    burst = 20 * len("T00001000" "8" + "00" * 8 + "\r")  # id, length, data, end
    for _ in range(200):  # until the whole burst waits in the host's port
        if host.serialPortOrig.in_waiting >= burst:
            break
        time.sleep(0.01)
    first = receive(host, 1.0)
    assert first is not None and first.arbitration_id == 0x1000
    # The rest of the burst came with the same read: queued as lines, none left in the port.
    assert host._queue.qsize() == 19 and host.serialPortOrig.in_waiting == 0
    got = [first] + [receive(host, 1.0) for _ in range(19)]
    assert [m.arbitration_id for m in got] == [0x1000 + n for n in range(20)]
    assert all(m.data == bytes([n] * 8) for n, m in enumerate(got))
    assert receive(host, 0.05) is None


def test_a_line_split_across_reads_waits_for_its_end(link):
    host, device = link
    line = b"T000100188" + b"AA" * 8 + b"\r"  # written in two halves
    port = device.serialPortOrig
    port.write(line[:7])
    port.flush()
    assert receive(host, 0.1) is None
    port.write(line[7:])
    port.flush()
    message = receive(host, 1.0)
    assert message is not None and message.arbitration_id == 0x10018
    assert message.data == bytes([0xAA] * 8)


def test_noise_costs_its_own_line_and_the_next_frame_comes_through(link):
    host, device = link
    port = device.serialPortOrig
    port.write(b"\xff\xfe garbage\r")
    device.send(frame(1))
    outcomes: list = []
    for _ in range(3):
        try:
            outcomes.append(receive(host, 1.0))
        except NoiseOnLine as exc:
            outcomes.append(exc)
    assert isinstance(outcomes[0], NoiseOnLine), outcomes
    frames = [o for o in outcomes if isinstance(o, can.Message)]
    assert [m.arbitration_id for m in frames] == [0x1001]
