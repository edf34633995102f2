"""Byte-exact agreement with vectors written by EXIficient (Josev's codec), in both directions."""

import json
from pathlib import Path

import pytest

from charger.v2g import exi, iso2
from charger.v2g.errors import V2GDecodeError

VECTORS = json.loads((Path(__file__).parent / "exificient_vectors.json").read_text("utf-8"))


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_encode_matches_exificient(vector):
    assert exi.encode(vector["namespace"], vector["message"]).hex() == vector["exi"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_decode_matches_exificient(vector):
    assert exi.decode_dict(vector["namespace"], bytes.fromhex(vector["exi"])) == vector["message"]


def test_typed_session_setup_encodes_to_the_known_vector():
    message = iso2.V2G_Message(
        Header=iso2.MessageHeaderType(SessionID=b"\x00"),
        Body=iso2.BodyType(BodyElement=iso2.SessionSetupReqType(EVCCID=bytes.fromhex("0A0B0C0D0E0F"))),
    )
    assert exi.encode("iso2", message).hex() == "8098004011d018282c3034383c00"


def test_decode_gives_typed_objects():
    message = exi.decode("iso2", bytes.fromhex("8098004011d018282c3034383c00"))
    assert isinstance(message, iso2.V2G_Message)
    assert message.Header.SessionID == b"\x00"
    assert message.Header.Signature is None
    body = message.Body.BodyElement
    assert isinstance(body, iso2.SessionSetupReqType)
    assert bytes.fromhex("0A0B0C0D0E0F") == body.EVCCID


def test_namespace_urn_is_accepted_like_its_key():
    data = bytes.fromhex("8098004011d018282c3034383c00")
    assert exi.decode("urn:iso:15118:2:2013:MsgDef", data) == exi.decode("iso2", data)


def test_enumerations_decode_to_their_literals():
    vector = next(v for v in VECTORS if v["name"] == "iso2-session-setup-res")
    body = exi.decode("iso2", bytes.fromhex(vector["exi"])).Body.BodyElement
    assert body.ResponseCode is iso2.responseCodeType.OK_NewSessionEstablished
    assert body.ResponseCode == "OK_NewSessionEstablished"


def test_a_stream_of_another_schema_is_refused_or_differs():
    app_vector = VECTORS[0]
    with pytest.raises(V2GDecodeError):
        exi.decode("iso2", bytes.fromhex(app_vector["exi"]))


def test_untyped_value_written_by_exificient_is_read_back():
    # EXIficient (through Josev's JAXB model) writes an absent SAScheduleTupleID as its
    # default 0, which the 1..255 type cannot represent, so as untyped characters "0".
    data = bytes.fromhex("8098443d8380cc211000")
    body = exi.decode("iso2", data).Body.BodyElement
    assert isinstance(body, iso2.MeteringReceiptReqType)
    assert body.SAScheduleTupleID == 0
    assert body.MeterInfo.MeterID == ""



def test_more_items_than_max_occurs_are_refused_when_decoding():
    # 17 SelectedService written by EXIficient, whose grammar does not count this bound.
    data = bytes.fromhex(
        "8098004051300012002400480090012002400480090012002400480090012002400480090012"
        "80"
    )
    with pytest.raises(V2GDecodeError, match="SelectedService: more than 16"):
        exi.decode("iso2", data)
