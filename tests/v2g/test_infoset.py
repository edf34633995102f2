"""The infoset-dict form and its conversions to and from typed messages."""

import pytest

from charger.v2g import exi, iso2
from charger.v2g.errors import V2GEncodeError


def _message(body):
    return {"V2G_Message": {"Header": {"SessionID": "0A0B"}, "Body": body}}


def test_conventions_of_the_dict_form():
    typed = iso2.V2G_Message(
        Header=iso2.MessageHeaderType(SessionID=bytes.fromhex("0a0b")),
        Body=iso2.BodyType(BodyElement=iso2.PaymentServiceSelectionReqType(
            SelectedPaymentOption=iso2.paymentOptionType.ExternalPayment,
            SelectedServiceList=iso2.SelectedServiceListType(
                SelectedService=[iso2.SelectedServiceType(ServiceID=1)]),
        )),
    )
    assert exi.to_dict(typed) == _message({"PaymentServiceSelectionReq": {
        "SelectedPaymentOption": "ExternalPayment",
        # maxOccurs > 1: always a list, even with one item; absent optional keys are absent
        "SelectedServiceList": {"SelectedService": [{"ServiceID": 1}]},
    }})


def test_attributes_and_simple_content_keys():
    infoset = _message({"CertificateInstallationRes": {
        "ResponseCode": "OK",
        "SAProvisioningCertificateChain": {"Certificate": "AB01"},
        "ContractSignatureCertChain": {"@Id": "id2", "Certificate": "CD02"},
        "ContractSignatureEncryptedPrivateKey": {"@Id": "id3", "#text": "00FF"},
        "DHpublickey": {"@Id": "id4", "#text": "11"},
        "eMAID": {"@Id": "id5", "#text": "DEABCC123456789"},
    }})
    typed = exi.from_dict("iso2", infoset)
    body = typed.Body.BodyElement
    assert body.ContractSignatureCertChain.Id == "id2"
    assert body.ContractSignatureEncryptedPrivateKey.value == b"\x00\xff"
    assert body.eMAID.value == "DEABCC123456789"
    assert exi.to_dict(typed) == infoset
    assert exi.decode_dict("iso2", exi.encode("iso2", infoset)) == infoset


def test_bytes_are_uppercase_hex():
    out = exi.to_dict(exi.from_dict("iso2", _message({"SessionSetupReq": {"EVCCID": "abcdef"}})))
    assert out["V2G_Message"]["Body"]["SessionSetupReq"]["EVCCID"] == "ABCDEF"


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"SessionSetupReq": {"EVCCID": "XYZ"}}, "not a hex string"),
        ({"SessionSetupReq": {"EVCCID": 12}}, "expected a hex string"),
        ({"SessionSetupReq": {"EVCCID": "00", "Extra": 1}}, "no such element"),
        ({"SessionSetupReq": {}}, "EVCCID"),
        ({"NoSuchReq": {}}, "no such element"),
        ({"SessionSetupRes": {"ResponseCode": "MAYBE", "EVSEID": "DE*ABC*E1"}}, "not a"),
        ({"ServiceDetailReq": {"ServiceID": "7"}}, "expected an int"),
        ({"ServiceDetailReq": {"ServiceID": True}}, "expected an int"),
        ({"SessionSetupReq": {"@Id": "x", "EVCCID": "00"}}, "no such attribute"),
    ],
)
def test_malformed_infosets_raise_encode_errors(body, match):
    with pytest.raises(V2GEncodeError, match=match):
        exi.encode("iso2", _message(body))


def test_root_must_be_a_single_global_element():
    with pytest.raises(V2GEncodeError):
        exi.from_dict("iso2", {"Header": {}})
    with pytest.raises(V2GEncodeError):
        exi.from_dict("iso2", {"V2G_Message": {}, "Other": {}})


def test_typed_encode_errors_name_the_problem():
    with pytest.raises(V2GEncodeError, match="EVCCID"):
        exi.encode("iso2", iso2.V2G_Message(
            Header=iso2.MessageHeaderType(SessionID=b"\x00"),
            Body=iso2.BodyType(BodyElement=iso2.SessionSetupReqType(EVCCID=b"\x00" * 7)),
        ))
    with pytest.raises(V2GEncodeError, match="expected MessageHeaderType"):
        exi.encode("iso2", iso2.V2G_Message(Header=iso2.BodyType(), Body=iso2.BodyType()))
    with pytest.raises(V2GEncodeError):
        exi.encode("app", iso2.SessionSetupReqType(EVCCID=b"\x00"))  # not an "app" root
