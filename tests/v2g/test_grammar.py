"""Grammar construction: the event codes and widths that make the stream byte-exact."""

import pytest

from charger.v2g import app_protocol, din, exi, iso2, xmldsig
from charger.v2g.errors import V2GEncodeError
from charger.v2g.grammar import EE, SE, compile_type, document_grammar
from charger.v2g.schema import type_info


def _names(state):
    return [getattr(p[1], "name", None) if p[0] == SE else "EE" for p in state.prods]


def test_doc_content_lists_every_global_element_sorted():
    document = document_grammar(iso2.SCHEMA)
    names = [use.name for use in document.uses]
    assert names == sorted(names, key=lambda n: (n, ""))  # one namespace per local name here
    assert len(names) == 80 and document.width == 7  # 80 elements + SE(*) in 7 bits
    assert document.by_key["V2G_Message"][0] == 76


def test_substitution_group_keeps_the_abstract_head_like_exificient():
    body = compile_type(type_info(iso2.BodyType)).start
    names = _names(body)
    assert names[:3] == ["AuthorizationReq", "AuthorizationRes", "BodyElement"]
    assert names[-1] == "EE" and len(names) == 36
    assert body.width == 6  # 36 productions + the escape to the second level
    assert body.se["{urn:iso:15118:2:2013:MsgBody}SessionSetupReq"][0] == 29


def test_optional_elements_keep_schema_order_not_alphabetical_order():
    grammar = compile_type(type_info(iso2.CurrentDemandReqType))
    state = grammar.start
    for _ in range(2):  # after DC_EVStatus and EVTargetCurrent
        state = state.prods[0][2]
    assert _names(state) == [
        "EVMaximumVoltageLimit",
        "EVMaximumCurrentLimit",
        "EVMaximumPowerLimit",
        "BulkChargingComplete",
        "ChargingComplete",
    ]
    assert state.width == 3


def test_choice_alternatives_keep_schema_order():
    state = compile_type(type_info(iso2.ParameterType)).start
    assert [p[1].name for p in state.prods] == ["Name"]  # the required attribute comes first
    assert _names(state.prods[0][2]) == [
        "boolValue", "byteValue", "shortValue", "intValue", "physicalValue", "stringValue",
    ]


def test_bounded_max_occurs_is_enforced_by_the_grammar():
    protocol = app_protocol.AppProtocolType(
        ProtocolNamespace="urn:x", VersionNumberMajor=1, VersionNumberMinor=0, SchemaID=1,
        Priority=1,
    )
    exi.encode("app", app_protocol.supportedAppProtocolReq(AppProtocol=[protocol] * 20))
    with pytest.raises(V2GEncodeError, match="not allowed here"):
        exi.encode("app", app_protocol.supportedAppProtocolReq(AppProtocol=[protocol] * 21))


def test_last_occurrence_state_offers_only_end_element():
    grammar = compile_type(type_info(app_protocol.supportedAppProtocolReq))
    state = grammar.start
    widths = []
    for _ in range(20):
        state = state.se["{}AppProtocol"][1]
        widths.append(state.width)
    assert _names(state) == ["EE"]
    assert widths[:19] == [2] * 19 and widths[19] == 1


def test_din_heads_that_are_not_abstract_take_a_code():
    state = compile_type(type_info(din.BodyType)).start
    assert "BodyElement" in _names(state)
    assert state.prods[-1][0] == EE


def test_attributes_are_sorted_by_local_name():
    grammar = compile_type(type_info(xmldsig.ReferenceType))
    assert [a.name for a in grammar.attributes] == ["Id", "Type", "URI"]


def test_grammars_are_built_once():
    info = type_info(iso2.SessionSetupReqType)
    assert compile_type(info) is compile_type(info)


def test_iso2_bounds_above_eight_are_not_counted_by_the_grammar_but_checked():
    # EXIficient's ISO 15118-2 grammar keeps offering SelectedService after the 16th (see the
    # vector iso2-selected-services-16-uncounted-bound); the bound is still enforced.
    grammar = compile_type(type_info(iso2.SelectedServiceListType))
    state = grammar.start
    for _ in range(16):
        state = state.se["{urn:iso:15118:2:2013:MsgDataTypes}SelectedService"][1]
    assert _names(state) == ["SelectedService", "EE"]
    services = [iso2.SelectedServiceType(ServiceID=i) for i in range(17)]
    with pytest.raises(V2GEncodeError, match="17 items, at most 16"):
        exi.encode("iso2", iso2.V2G_Message(
            Header=iso2.MessageHeaderType(SessionID=b"\x01"),
            Body=iso2.BodyType(BodyElement=iso2.PaymentServiceSelectionReqType(
                SelectedPaymentOption="Contract",
                SelectedServiceList=iso2.SelectedServiceListType(SelectedService=services))),
        ))
