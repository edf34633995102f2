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


def _tag(field: int, wire_type: int) -> bytes:
    """A protobuf field's key as a varint."""
    key, out = (field << 3) | wire_type, bytearray()
    while True:
        byte, key = key & 0x7F, key >> 7
        out.append(byte | (0x80 if key else 0))
        if not key:
            return bytes(out)


def test_read_power_meter_has_the_documented_field_numbers():
    request = HostToBoard(read_power_meter=pb.ReadPowerMeter(request_id=5))
    # field 108, length-delimited, holding field 1 (varint) = 5
    assert request.SerializeToString() == _tag(108, 2) + bytes([2]) + _tag(1, 0) + bytes([5])
    answer = pb.PowerMeter(request_id=5)
    assert answer.SerializeToString() == _tag(16, 0) + bytes([5])
    # A pushed reading (id 0) carries no request_id at all: its frames are those of before.
    assert _tag(16, 0) not in pb.PowerMeter(time_stamp=3, vrms_l1=230.0).SerializeToString()


request_ids = st.integers(min_value=1, max_value=messages.MAX_REQUEST_ID)
finite = st.floats(min_value=-1e4, max_value=1e4, width=32)
readings = st.builds(
    lambda v, i, wh, f: {"energy_wh_import": {"total": sum(wh), "L1": wh[0], "L2": wh[1],
                                              "L3": wh[2]},
                         "power_w": {"L1": v * i[0], "L2": v * i[1], "L3": v * i[2]},
                         "current_a": {"L1": i[0], "L2": i[1], "L3": i[2]},
                         "voltage_v": {"L1": v, "L2": v, "L3": v}, "frequency_hz": f},
    finite, st.lists(finite, min_size=3, max_size=3),
    st.lists(st.floats(min_value=0, max_value=1e9), min_size=3, max_size=3), finite)


@given(request_ids, readings, st.integers(min_value=0, max_value=2**32 - 1))
@settings(max_examples=200, deadline=None)
def test_a_meter_read_and_its_answer_survive_the_wire(request_id, reading, time_stamp):
    request = HostToBoard(read_power_meter=pb.ReadPowerMeter(request_id=request_id))
    answer = BoardToHost(power_meter=messages.power_meter(reading, time_stamp, request_id))
    wire = messages.frame(request) + messages.frame(answer)
    payloads = [p for p in Deframer().feed(wire) if isinstance(p, bytes)]
    assert messages.parse(payloads[0], HostToBoard) == request
    parsed = messages.parse(payloads[1], BoardToHost)
    assert parsed == answer
    assert parsed.power_meter.request_id == request_id
    assert parsed.power_meter.wh_import_total == reading["energy_wh_import"]["total"]


@given(st.integers(min_value=0, max_value=messages.MAX_REQUEST_ID))
def test_request_ids_count_up_and_never_reach_zero(previous):
    following = messages.next_request_id(previous)
    assert 1 <= following <= messages.MAX_REQUEST_ID
    assert following == (previous + 1 if previous < messages.MAX_REQUEST_ID else 1)


@given(request_ids, st.integers(min_value=0, max_value=messages.MAX_REQUEST_ID))
def test_only_the_answer_with_its_id_answers_a_meter_read(request_id, other_id):
    from hil.board.device import BoardDevice

    device = BoardDevice(None, "board", "unused")
    request = HostToBoard(read_power_meter=pb.ReadPowerMeter(request_id=request_id))

    def reading(rid: int) -> BoardToHost:
        return BoardToHost(power_meter=pb.PowerMeter(request_id=rid))

    assert device._answers(request, reading(request_id))
    assert device._answers(request, reading(other_id)) == (other_id == request_id)
    assert not device._answers(request, reading(0))  # pushed by the board, maybe before it
    assert not device._answers(request, BoardToHost(relay_state=True))
