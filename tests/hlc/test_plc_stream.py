"""V2G's IPv6 host over the PLC modem's data frames: frames scapy reads, SDP, and a TCP byte
stream that delivers everything in order whatever the line loses."""

from __future__ import annotations

import random

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import Ether

from charger.iso15118.plc import (
    PROTO_TCP,
    PROTO_UDP,
    DataFrameError,
    Packet,
    PlcHost,
    build_frame,
    link_local,
    mac_of,
    parse_frame,
)
from charger.iso15118.timeouts import Timeouts

CAR_MAC, EVSE_MAC = "02:00:00:00:ca:fe", "02:11:22:33:44:55"


def wire(env: simpy.Environment, loss: float, seed: int = 1):
    """Two hosts on one line that loses each frame with probability ``loss``."""
    rng = random.Random(seed)
    hosts: dict[str, PlcHost] = {}

    def sender(to: str):
        def send(raw: bytes) -> None:
            frames_sent.append(raw)
            if rng.random() >= loss:
                env.timeout(0.001).callbacks.append(lambda _e: hosts[to].receive(raw))
        return send

    frames_sent: list[bytes] = []
    hosts["evse"] = PlcHost(env, EVSE_MAC, sender("car"), random.Random(seed + 1))
    hosts["car"] = PlcHost(env, CAR_MAC, sender("evse"), random.Random(seed + 2))
    return hosts["evse"], hosts["car"], frames_sent


def test_frames_are_ipv6_that_scapy_reads_with_valid_checksums():
    src = link_local(CAR_MAC)
    dst = link_local(EVSE_MAC)
    tcp = build_frame(bytes.fromhex(CAR_MAC.replace(":", "")),
                      Packet(src, dst, PROTO_TCP, 50000, 61000, b"\x01\xfe\x80\x01", 7, 9, 0x18))
    parsed = Ether(tcp)
    assert parsed[IPv6].src == "fe80::ff:fe00:cafe"
    assert parsed[Ether].dst == EVSE_MAC
    assert parsed[TCP].seq == 7 and parsed[TCP].ack == 9
    rebuilt = Ether(bytes(parsed.copy().__class__(bytes(parsed))))
    del rebuilt[TCP].chksum
    assert Ether(bytes(rebuilt))[TCP].chksum == parsed[TCP].chksum
    udp = build_frame(b"\x02" * 6, Packet(src, link_local("02:00:00:00:00:01").__class__(
        "ff02::1"), PROTO_UDP, 50000, 15118, b"\x01\xfe\x90\x00\x00\x00\x00\x02\x10\x00"))
    parsed = Ether(udp)
    assert parsed[Ether].dst == "33:33:00:00:00:01"
    checked = parsed.copy()
    del checked[UDP].chksum
    assert Ether(bytes(checked))[UDP].chksum == parsed[UDP].chksum
    assert mac_of(dst) == bytes.fromhex(EVSE_MAC.replace(":", ""))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120))
def test_malformed_data_frames_are_refused_with_a_reason(raw):
    try:
        parse_frame(raw)
    except DataFrameError as problem:
        assert str(problem)


def run_transfer(loss: float, seed: int, chunks: list[bytes]):
    env = simpy.Environment()
    evse, car, frames_sent = wire(env, loss, seed)
    received: list[bytes] = []
    accepted = []

    def on_accept(link):
        accepted.append(link)
        link.on_receive = received.append

    evse.listen(on_accept)
    outcome: dict = {}

    def client():
        try:
            address, port = yield from car.discover(Timeouts("strict"))
        except TimeoutError as problem:
            outcome["sdp"] = str(problem)
            return
        connected = env.event()
        link = car.connect(address, port, lambda link: connected.succeed(link))
        link.on_close = lambda reason: outcome.setdefault("closed", reason)
        yield connected | env.timeout(30)
        for chunk in chunks:
            link.send(chunk)
            yield env.timeout(0.05)
        yield env.timeout(20)
        outcome["link"] = link

    env.process(client())
    env.run(until=120)
    return b"".join(received), outcome, frames_sent, accepted


def test_sdp_then_a_stream_over_an_ideal_line():
    data, outcome, frames_sent, accepted = run_transfer(0.0, 3, [b"hello", b"x" * 3000])
    assert data == b"hello" + b"x" * 3000
    assert len(accepted) == 1
    assert "closed" not in outcome


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 0.3),
       st.lists(st.binary(min_size=1, max_size=2000), min_size=1, max_size=6))
def test_the_stream_is_reliable_and_in_order_on_a_lossy_line(seed, loss, chunks):
    data, outcome, _frames, _accepted = run_transfer(loss, seed, chunks)
    if "sdp" in outcome or "closed" in outcome:
        return  # gave up as TCP does after its retransmissions; never delivered out of order
    assert data == b"".join(chunks)


@pytest.mark.parametrize(("loop_s", "car_acks"), [(0.1, 1), (0.25, 50)])
def test_acks_ride_on_data_that_follows_within_the_delayed_ack_time(loop_s, car_acks):
    """Each side's data carries its ACK when it follows within the delayed-ACK time: the
    answer to a request always does; the car's next request does when its loop is faster than
    the delay (then only the last answer is acknowledged alone), else it acknowledges each
    answer alone. A timer a piggybacked ACK made needless does not fire for a later segment."""
    env = simpy.Environment()
    evse, car, frames_sent = wire(env, 0.0)
    links = {}

    def on_accept(link):
        links["evse"] = link
        link.on_receive = link.send  # the SECC answers every request at once

    evse.listen(on_accept)

    def client():
        address, port = yield from car.discover(Timeouts("strict"))
        connected = env.event()
        car.connect(address, port, lambda link: connected.succeed(link))
        links["car"] = yield connected
        yield env.timeout(1)
        frames_sent.clear()
        for _ in range(50):  # a request every loop_s, each answered within 2 ms
            links["car"].send(b"request")
            yield env.timeout(loop_s)

    env.process(client())
    env.run(until=15)
    pure_acks = [parse_frame(f)[1] for f in frames_sent if len(parse_frame(f)[1].payload) == 0]
    assert len(frames_sent) == 100 + car_acks
    assert len(pure_acks) == car_acks
    assert all(ack.src == link_local(CAR_MAC) for ack in pure_acks)


@given(st.binary(max_size=300))
def test_the_checksum_is_the_folded_ones_complement_sum_of_the_words(data):
    from charger.iso15118.plc import _checksum
    padded = data + b"\0" * (len(data) % 2)
    total = sum(int.from_bytes(padded[i:i + 2], "big") for i in range(0, len(padded), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    assert _checksum(data) == ~total & 0xFFFF
