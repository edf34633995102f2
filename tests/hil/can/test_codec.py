"""The power-module codecs on their own (no I/O): both vendors' frames round-trip, replies match
their requests and no other, and any frame off the bus is either decoded or refused with a
CodecError, never anything else."""

from __future__ import annotations

import contextlib

import can
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hil.can.codec import CodecError, ModuleCodec
from hil.can.mapping import FAULTS, shipped_mapping

VENDORS = ["infypower", "winline"]
CODECS = {v: ModuleCodec(shipped_mapping(v)) for v in VENDORS}
EXAMPLES = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

addresses = st.integers(0, 63)
volts = st.floats(0, 1000, allow_nan=False)
amps = st.floats(0, 500, allow_nan=False)


@pytest.mark.parametrize("vendor", VENDORS)
@EXAMPLES
@given(address=addresses, voltage=volts, current=amps, on=st.booleans())
def test_setpoints_round_trip(vendor, address, voltage, current, on):
    codec = CODECS[vendor]
    frames = codec.setpoint_frames(address, voltage_v=voltage, current_a=current, on=on)
    taken = {}
    for frame in frames:
        assert frame.is_extended_id and frame.dlc == 8
        decoded = codec.decode(frame)
        assert decoded.kind == "request" and decoded.address == address
        taken |= codec.setpoints_in(decoded)
    assert taken["output"] is on
    # The wire's resolution: InfyPower 1 mV and 1 mA, Winline float32 and 1/1024 A.
    assert taken["voltage_v"] == pytest.approx(voltage, abs=1e-3, rel=1e-6)
    assert taken["current_a"] == pytest.approx(current, abs=1e-3)


@pytest.mark.parametrize("vendor", VENDORS)
@EXAMPLES
@given(address=addresses, voltage=volts, current=amps, off=st.booleans(),
       faults=st.sets(st.sampled_from(list(FAULTS))))
def test_readings_round_trip_and_answer_their_request(vendor, address, voltage, current, off,
                                                      faults):
    codec = CODECS[vendor]
    state = {"voltage_v": voltage, "current_a": current, "output_off": off,
             **{f: True for f in faults}}
    read = {}
    for request in codec.read_frames(address, codec.poll_names()):
        asked = codec.decode(request)
        for reply in codec.reply_frames(asked, state):
            decoded = codec.decode(reply)
            assert decoded.kind == "reply" and not decoded.refused
            assert codec.answers(request, decoded)
            read |= codec.readings(decoded)
    assert read["voltage_v"] == pytest.approx(voltage, rel=1e-6)  # float32 on the wire
    assert read["current_a"] == pytest.approx(current, rel=1e-6)
    assert read["output_off"] is off
    assert {f for f in FAULTS if read[f]} == faults


@pytest.mark.parametrize("vendor", VENDORS)
@EXAMPLES
@given(address=addresses, other=addresses)
def test_a_reply_answers_only_its_own_request(vendor, address, other):
    codec = CODECS[vendor]
    set_voltage, = [f for f in codec.setpoint_frames(address, voltage_v=400.0)]
    read_voltage = codec.read_frames(address, ["voltage_v"])[0]
    reply = codec.decode(codec.reply_frames(codec.decode(set_voltage), {})[0])
    assert codec.answers(set_voltage, reply)
    assert not codec.answers(read_voltage, reply)
    elsewhere = codec.setpoint_frames(other, voltage_v=400.0)[0]
    assert codec.answers(elsewhere, reply) is (other == address)


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_refusal_is_seen_by_the_controller(vendor):
    codec = CODECS[vendor]
    for frame in codec.setpoint_frames(5, voltage_v=400.0, current_a=10.0, on=True):
        for reply in codec.reply_frames(codec.decode(frame), {}, refuse=True):
            decoded = codec.decode(reply)
            assert decoded.refused and codec.answers(frame, decoded)
            assert codec.readings(decoded) == {}


def test_infypower_frames_are_laid_out_as_published():
    codec = CODECS["infypower"]
    frame, = codec.setpoint_frames(0x05, voltage_v=500.0, current_a=20.5)
    # error 0, device 0x0A (one module), command 0x1C, destination 0x05, source 0xF0
    assert frame.arbitration_id == (0x0A << 22) | (0x1C << 16) | (0x05 << 8) | 0xF0
    assert bytes(frame.data) == (500_000).to_bytes(4, "big") + (20_500).to_bytes(4, "big")
    read, = codec.read_frames(0x05, ["voltage_v"])
    assert read.arbitration_id == (0x0A << 22) | (0x03 << 16) | (0x05 << 8) | 0xF0
    assert bytes(read.data) == bytes(8)
    switch, = codec.setpoint_frames(0x05, on=False)
    assert switch.arbitration_id >> 16 & 0x3F == 0x1A and switch.data[0] == 1


def test_winline_frames_are_laid_out_as_published():
    codec = CODECS["winline"]
    voltage, current = codec.setpoint_frames(0x02, voltage_v=500.0, current_a=20.5)
    assert voltage.arbitration_id == (0x060 << 20) | (1 << 19) | (0x02 << 11) | (0xF0 << 3)
    assert bytes(voltage.data[:4]) == bytes([0x03, 0x00, 0x00, 0x21])
    assert bytes(current.data) == bytes([0x03, 0, 0x00, 0x1B]) + int(20.5 * 1024).to_bytes(4, "big")
    off, = codec.setpoint_frames(0x02, on=False)
    assert bytes(off.data) == bytes([0x03, 0, 0x00, 0x30, 0x00, 0x01, 0x00, 0x00])
    read = codec.read_frames(0x02, ["output_off"])[0]
    assert bytes(read.data) == bytes([0x10, 0, 0x00, 0x40, 0, 0, 0, 0])


frames = st.builds(
    lambda ext, ident, data, remote, error: can.Message(
        arbitration_id=ident if ext else ident & 0x7FF, is_extended_id=ext, data=data,
        is_remote_frame=remote, is_error_frame=error, dlc=len(data)),
    st.booleans(), st.integers(0, 0x1FFFFFFF), st.binary(max_size=8), st.booleans(),
    st.booleans())


def near_miss(vendor: str):
    """Frames with a protocol's own ids and random data: they reach the DBC decoder."""
    codec = CODECS[vendor]
    ids = [f.arbitration_id for f in codec.setpoint_frames(1, voltage_v=1.0, current_a=1.0,
                                                          on=True)
           + codec.read_frames(1, codec.poll_names())]
    return st.builds(lambda i, d: can.Message(arbitration_id=i, is_extended_id=True, data=d,
                                              dlc=len(d)),
                     st.sampled_from(ids), st.binary(max_size=8))


@pytest.mark.parametrize("vendor", VENDORS)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_frame_is_decoded_or_refused_with_a_codec_error(vendor, data):
    codec = CODECS[vendor]
    frame = data.draw(st.one_of(frames, near_miss(vendor)))
    try:
        decoded = codec.decode(frame)
    except CodecError:
        return
    # What decodes can be read and matched without raising anything else.
    codec.readings(decoded)
    with contextlib.suppress(CodecError):
        codec.setpoints_in(decoded)
    codec.readings_asked(decoded)
