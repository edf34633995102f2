"""V2GTP framing and stream reassembly."""

import pytest

from charger.v2g.errors import V2GDecodeError, V2GTPError
from charger.v2g.v2gtp import (
    FrameReassembler,
    PayloadType,
    V2GTPFrame,
    decode_frame,
    encode_frame,
    iter_frames,
)

EXI = bytes.fromhex("8098004011d018282c3034383c00")


def test_frame_layout():
    frame = encode_frame(PayloadType.EXI, EXI)
    assert frame[:8] == bytes.fromhex("01fe8001") + len(EXI).to_bytes(4, "big")
    assert frame[8:] == EXI
    assert decode_frame(frame) == V2GTPFrame(0x8001, EXI)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("02fd8001" "00000001", "version"),
        ("01ff8001" "00000001", "version"),
        ("01fe1234" "00000001", "payload type"),
        ("01fe8001" "7fffffff", "exceeds the limit"),
    ],
)
def test_bad_headers_are_refused(header, match):
    with pytest.raises(V2GTPError, match=match):
        decode_frame(bytes.fromhex(header) + b"\x00")


def test_length_must_match_a_datagram():
    frame = encode_frame(PayloadType.SDP_REQUEST, b"\x10\x00")
    with pytest.raises(V2GTPError, match="announces"):
        decode_frame(frame + b"\x00")
    with pytest.raises(V2GTPError, match="announces"):
        decode_frame(frame[:-1])
    with pytest.raises(V2GTPError, match="header needs"):
        decode_frame(frame[:5])


def test_payload_types_can_be_restricted():
    frame = encode_frame(PayloadType.SDP_REQUEST, b"\x10\x00")
    with pytest.raises(V2GTPError):
        decode_frame(frame, payload_types=[PayloadType.EXI])


def test_reassembly_from_arbitrary_chunks():
    stream = encode_frame(PayloadType.EXI, EXI) + encode_frame(PayloadType.EXI, b"") + \
        encode_frame(PayloadType.EXI, EXI[:3])
    for size in (1, 2, 7, 8, 9, 13, len(stream)):
        reassembler = FrameReassembler()
        frames = []
        for i in range(0, len(stream), size):
            frames += reassembler.feed(stream[i:i + size])
        assert [f.payload for f in frames] == [EXI, b"", EXI[:3]]
        assert reassembler.pending == 0


def test_reassembler_refuses_an_oversized_header_before_buffering():
    reassembler = FrameReassembler(max_payload=100)
    with pytest.raises(V2GTPError):
        reassembler.feed(bytes.fromhex("01fe8001" "00000065"))
    with pytest.raises(V2GTPError):  # the stream stays broken
        reassembler.feed(encode_frame(PayloadType.EXI, EXI))


def test_iter_frames_reports_a_truncated_stream():
    stream = encode_frame(PayloadType.EXI, EXI)
    assert [f.payload for f in iter_frames([stream])] == [EXI]
    with pytest.raises(V2GDecodeError, match="pending"):
        list(iter_frames([stream[:-1]]))
