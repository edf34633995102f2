"""The board's framing and messages: the published vectors, round trips, and whatever comes off
a serial line (noise, cut frames, bit errors) refused without an exception escaping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.board import messages
from hil.board.framing import DELIMITER, MAX_FRAME_BYTES, Deframer, FrameError, decode, encode
from hil.board.messages import BoardToHost, HostToBoard, pb

VECTORS = [
    (HostToBoard(pwm_duty_cycle=1000), "09b806e80763d6330a00"),
    (HostToBoard(allow_power_on=True), "08c00601bd274cb000"),
    (BoardToHost(cp_state=pb.STATE_C), "08b00602571eb47d00"),
]


@pytest.mark.parametrize(("message", "wire"), VECTORS)
def test_frames_match_the_published_vectors(message, wire):
    assert messages.frame(message).hex() == wire
    parsed = messages.parse_frame(bytes.fromhex(wire)[:-1], type(message))
    assert parsed == message


def test_the_jamcrc_residue_of_a_good_frame_is_zero():
    from cobs import cobs

    from hil.board.framing import jamcrc

    data = cobs.decode(bytes.fromhex(VECTORS[0][1])[:-1])
    assert jamcrc(data) == 0
    assert jamcrc(b"123456789") == 0x340BC6D9  # the catalogue's check value of CRC-32/JAMCRC


def test_a_flipped_bit_is_a_crc_error():
    wire = bytearray(messages.frame(HostToBoard(pwm_duty_cycle=5333)))
    wire[2] ^= 0x04
    with pytest.raises(FrameError, match="CRC mismatch|COBS"):
        decode(bytes(wire[:-1]))


def test_duty_cycle_is_counted_in_hundredths_of_a_percent():
    assert messages.duty_units(26.67) == 2667
    assert messages.duty_units(100) == messages.DUTY_OFF
    assert messages.duty_units(-3) == 0


payloads = st.binary(max_size=300)


@given(st.lists(payloads, max_size=8))
@settings(max_examples=150, deadline=None)
def test_any_payloads_survive_framing_in_any_chunks(chunks):
    stream = b"".join(encode(p) for p in chunks)
    deframer = Deframer()
    out = []
    for i in range(0, len(stream), 7):
        out += list(deframer.feed(stream[i:i + 7]))
    assert out == [p for p in chunks if len(encode(p)) - 1 <= MAX_FRAME_BYTES]


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_noise_yields_frames_or_frame_errors_and_never_raises(noise):
    for item in Deframer().feed(noise):
        assert isinstance(item, bytes | FrameError)
        if isinstance(item, bytes):
            try:
                message = messages.parse(item, BoardToHost)
            except FrameError:
                continue
            assert message.WhichOneof("message") is not None


@given(st.binary(max_size=64), st.binary(max_size=64))
@settings(max_examples=200, deadline=None)
def test_a_good_frame_after_garbage_is_still_received(garbage, tail):
    good = messages.frame(BoardToHost(relay_state=True))
    received = [i for i in Deframer().feed(garbage + DELIMITER + good + tail)
                if isinstance(i, bytes)]
    assert BoardToHost(relay_state=True).SerializeToString() in received


@given(st.binary(min_size=1, max_size=200))
@settings(max_examples=300, deadline=None)
def test_any_crc_valid_payload_parses_or_is_refused_cleanly(payload):
    for kind in (HostToBoard, BoardToHost):
        try:
            message = messages.parse(payload, kind)
        except FrameError:
            continue
        assert message.WhichOneof("message") is not None


def test_an_endless_frame_is_cut_and_the_next_one_received():
    deframer = Deframer()
    items = list(deframer.feed(b"\x01" * (MAX_FRAME_BYTES * 3)))
    items += list(deframer.feed(DELIMITER + messages.frame(HostToBoard(allow_power_on=True))))
    errors = [i for i in items if isinstance(i, FrameError)]
    assert errors and "no delimiter" in str(errors[0])
    assert items[-1] == HostToBoard(allow_power_on=True).SerializeToString()


@given(st.binary(max_size=3000))
@settings(max_examples=200, deadline=None)
def test_the_car_channel_refuses_noise_line_by_line(noise):
    from hil.board.car_link import LineDecoder
    from hil.device import BadFrame

    decoder = LineDecoder()
    items = decoder.feed(noise) + decoder.feed(b'\n{"cmd": "hello"}\n')
    assert all(isinstance(i, dict | BadFrame) for i in items)
    assert items[-1] == {"cmd": "hello"}
