"""The SLAC frame codec: the standard's layouts through scapy's classes, and a parser that
refuses anything else with a reason (fuzzed)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.slac import frames
from charger.slac.frames import MESSAGES, SlacFrameError, parse_frame

EV = "02:ee:00:00:00:01"
EVSE = "02:cc:00:00:00:01"
RUN = bytes.fromhex("0102030405060708")
NMK = bytes(range(16))


def one_of_each() -> dict[str, bytes]:
    """Every SLAC message, built the way the two sides build it."""
    return {
        "CM_SET_KEY.REQ": frames.set_key_req(EVSE, frames.nid_from_nmk(NMK), NMK, 7),
        "CM_SET_KEY.CNF": frames.set_key_cnf(frames.LOCAL_MODEM_MAC, EVSE, 7, 9),
        "CM_SLAC_PARM.REQ": frames.slac_parm_req(EV, RUN),
        "CM_SLAC_PARM.CNF": frames.slac_parm_cnf(EVSE, EV, RUN, 10, 6),
        "CM_START_ATTEN_CHAR.IND": frames.start_atten_char_ind(EV, RUN, 10, 6),
        "CM_MNBC_SOUND.IND": frames.mnbc_sound_ind(EV, RUN, 9, bytes(16)),
        "CM_ATTEN_PROFILE.IND": frames.atten_profile_ind(frames.LOCAL_MODEM_MAC, EVSE, EV,
                                                         list(range(58))),
        "CM_ATTEN_CHAR.IND": frames.atten_char_ind(EVSE, EV, RUN, 10, [30] * 58),
        "CM_ATTEN_CHAR.RSP": frames.atten_char_rsp(EV, EVSE, RUN),
        "CM_SLAC_MATCH.REQ": frames.slac_match_req(EV, EVSE, RUN),
        "CM_SLAC_MATCH.CNF": frames.slac_match_cnf(EVSE, EV, RUN, frames.nid_from_nmk(NMK), NMK),
    }


VALID = one_of_each()


def test_every_message_of_the_table_has_a_builder_and_round_trips() -> None:
    assert set(VALID) == {kind.name for kind in MESSAGES}
    for name, raw in VALID.items():
        frame = parse_frame(raw)
        assert frame.name == name
        assert len(raw) >= frames.MIN_FRAME_BYTES
        assert raw[12:14] == b"\x88\xe1"
        assert int.from_bytes(raw[15:17], "little") == frames.BY_NAME[name].mmtype


def test_scapys_own_bindings_agree_with_the_table() -> None:
    from scapy.contrib.homeplugav import HomePlugAV

    for kind in MESSAGES:
        header = HomePlugAV(version=1, HPtype=kind.mmtype)
        assert header.guess_payload_class(b"") is frames.LAYERS[kind.name], kind.name


def test_the_slac_parm_request_is_laid_out_as_the_standard_says() -> None:
    # dst broadcast, src, EtherType 88E1, MMV 1, MMTYPE 0x6064 little-endian, fragment info 0,
    # application type 0, security type 0, run id; zeros up to 60 bytes.
    expected = ("ffffffffffff" "02ee00000001" "88e1" "01" "6460" "0000" "00" "00"
                "0102030405060708")
    raw = VALID["CM_SLAC_PARM.REQ"]
    assert raw.hex() == expected + "00" * (60 - len(expected) // 2)


@pytest.mark.parametrize(("name", "length"), [
    ("CM_MNBC_SOUND.IND", 71), ("CM_ATTEN_PROFILE.IND", 85), ("CM_ATTEN_CHAR.RSP", 70),
    ("CM_SLAC_MATCH.REQ", 85), ("CM_SLAC_MATCH.CNF", 109), ("CM_ATTEN_CHAR.IND", 129),
    ("CM_SET_KEY.CNF", 60), ("CM_START_ATTEN_CHAR.IND", 60)])
def test_frame_lengths_are_the_standards(name: str, length: int) -> None:
    assert len(VALID[name]) == length


def test_fields_come_back_as_sent() -> None:
    cnf = parse_frame(VALID["CM_SLAC_MATCH.CNF"])
    assert (cnf.dst, cnf.src) == (EV, EVSE)
    assert cnf.bytes_of("NMK") == NMK and cnf.bytes_of("RunID") == RUN
    assert cnf.fields["EVMAC"] == EV and cnf.fields["EVSEMAC"] == EVSE
    assert cnf.fields["MatchVariableFieldLen"] == frames.MATCH_CNF_VAR_BYTES
    profile = parse_frame(VALID["CM_ATTEN_PROFILE.IND"])
    assert profile.fields["Groups"] == list(range(58))
    assert profile.fields["EVMACAddress"] == EV
    cnf = parse_frame(VALID["CM_SLAC_PARM.CNF"])
    assert (cnf.fields["NumberMSounds"], cnf.fields["TimeOut"], cnf.fields["ResponseType"]) \
        == (10, 6, 1)


def test_attenuation_is_clamped_to_a_byte() -> None:
    raw = frames.atten_char_ind(EVSE, EV, RUN, 10, [-3, 300] + [20] * 56)
    assert parse_frame(raw).fields["Groups"][:2] == [0, 255]


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "truncated"),
    (bytes(60), "EtherType 0x0000"),
    (VALID["CM_SLAC_PARM.REQ"][:14] + b"\x00" + VALID["CM_SLAC_PARM.REQ"][15:], "version 0"),
    (VALID["CM_SLAC_PARM.REQ"][:15] + b"\x34\x12" + VALID["CM_SLAC_PARM.REQ"][17:],
     "MMTYPE 0x1234"),
    (VALID["CM_MNBC_SOUND.IND"][:70], "truncated"),
    (VALID["CM_ATTEN_PROFILE.IND"][:80], "58 attenuation groups announced"),
    (VALID["CM_SLAC_MATCH.REQ"][:21] + b"\x3f\x00" + VALID["CM_SLAC_MATCH.REQ"][23:],
     "variable field length 63"),
    ("not bytes", "bytes"),
])
def test_what_is_not_a_slac_frame_is_refused_with_the_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(SlacFrameError, match=reason):
        parse_frame(raw)
    if isinstance(raw, bytes):
        assert reason in frames.describe(raw)["error"]


def test_a_missing_message_name_cannot_be_built() -> None:
    with pytest.raises(SlacFrameError, match="CM_VALIDATE"):
        frames.build_frame("CM_VALIDATE.REQ", EV, EVSE)


def test_the_network_id_follows_from_the_key() -> None:
    nid = frames.nid_from_nmk(NMK)
    assert len(nid) == frames.NID_BYTES
    assert nid == frames.nid_from_nmk(NMK) != frames.nid_from_nmk(bytes(16))
    assert nid[6] & 0x30 == 0  # security level 0 in bits 4-5 of the last byte


# --- fuzzing: a clear rejection, never a crash ------------------------------------------------
def decodes_or_refuses(raw: bytes) -> None:
    try:
        frame = parse_frame(raw)
    except SlacFrameError as exc:
        assert str(exc)
        return
    assert frame.name in frames.BY_NAME
    frame.to_json()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_is_refused_or_decoded(raw: bytes) -> None:
    decodes_or_refuses(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(VALID)), st.data())
def test_a_damaged_frame_is_refused_or_decoded(name: str, data: st.DataObject) -> None:
    raw = bytearray(VALID[name])
    # Keep the headers most of the time, so the damage reaches the message bodies.
    start = data.draw(st.sampled_from([0, 17, 19]))
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(start, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    decodes_or_refuses(bytes(raw))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(VALID)), st.integers(0, 200))
def test_a_truncated_frame_is_refused(name: str, cut: int) -> None:
    raw = VALID[name]
    needed = frames.HEADER_BYTES + frames.fixed_body_bytes(frames.BY_NAME[name]) + \
        len(parse_frame(raw).fields.get("Groups", ()))
    short = raw[:min(cut, needed - 1)]
    with pytest.raises(SlacFrameError):
        parse_frame(short)
