"""Hostile peers: what anyone on the broker can send never crashes or silences a module."""

from __future__ import annotations

import json
import uuid

import paho.mqtt.client as paho
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.framework import envelope, topics
from charger.framework.broker import PrivateBroker
from charger.framework.envelope import Malformed
from charger.framework.mqtt import MqttBus
from charger.framework.wallclock import WallClockEnvironment
from tests.mqtt.conftest import RawClient, StationProcess

TOKEN = {"provided_token": {"id_token": "AABBCCDD", "type": "RFID"}}
VALIDATE = "everest/modules/allow_list/impl/main/cmd/validate_token"
DEEP = b"[" * 100_000


@pytest.fixture
def station(shared: tuple[StationProcess, RawClient]) -> StationProcess:
    return shared[0]


@pytest.fixture
def raw(shared: tuple[StationProcess, RawClient]) -> RawClient:
    return shared[1]


def _log_line(raw: RawClient, module: str, phrase: str, since: int) -> None:
    raw.wait_for(lambda t, p: t == f"everest/modules/{module}/log" and isinstance(p, dict)
                 and phrase in p["message"], 30, f"{module}'s log line about {phrase!r}", since)


@pytest.mark.mqtt
@pytest.mark.parametrize("origin", ["a+b", "#", "x/y", "nul\0", "o" * 70_000, "", 42])
def test_a_request_whose_origin_cannot_be_a_topic_is_dropped_and_the_module_lives(
        station: StationProcess, raw: RawClient, origin: object) -> None:
    pids = station.children()
    since = len(raw.seen)
    raw.publish(VALIDATE, {"id": uuid.uuid4().hex, "args": TOKEN, "origin": origin},
                msg_type="Cmd")
    _log_line(raw, "allow_list", "its origin", since)
    reply = raw.call("allow_list", "main", "validate_token", TOKEN, timeout=15)
    assert reply["retval"]["authorization_status"] == "Accepted"
    assert station.children() == pids  # nothing crashed and restarted


@pytest.mark.mqtt
def test_deeply_nested_json_is_dropped_on_every_topic(station: StationProcess,
                                                      raw: RawClient) -> None:
    pids = station.children()
    since = len(raw.seen)
    raw.publish(VALIDATE, DEEP, raw=True)  # a command
    raw.publish("everest/modules/grid/impl/supply/var/supply", DEEP, raw=True)  # a variable
    _log_line(raw, "allow_list", "nested deeper", since)
    _log_line(raw, "board1", "nested deeper", since)
    # Both still hear: the command is answered, the board still follows the grid.
    reply = raw.call("allow_list", "main", "validate_token", TOKEN, timeout=15)
    assert reply["retval"]["authorization_status"] == "Accepted"
    assert "retval" in raw.call("grid", "control", "set_supply", {"voltage_v": 231.0},
                                timeout=15)
    assert station.children() == pids


@pytest.mark.mqtt
def test_the_recorder_survives_deep_json_and_keeps_recording(broker: PrivateBroker) -> None:
    env = WallClockEnvironment(0.01)
    bus = MqttBus(env, broker.url, name="recorder")
    seen: list[tuple[str, object]] = []
    done = env.event()

    def record(topic: topics.Topic, content: object) -> None:
        seen.append((topic.kind, content))
        if content == {"after": True} and not done.triggered:
            done.succeed()

    bus.watch_all(record)
    bus.connect()
    client = RawClient(broker.url)
    try:
        client.publish("everest/modules/x/impl/y/var/z", DEEP, raw=True)
        client.publish("everest/modules/x/impl/y/var/z", {"data": {"after": True}},
                       msg_type="Var")
        env.run(until=env.any_of([done, env.timeout(1000)]))  # 10 wall seconds at most
    finally:
        client.close()
        bus.close()
    assert done.triggered, f"the recorder went deaf: {seen}"
    assert isinstance(seen[0][1], Malformed)
    # And a timeline row says what was dropped, instead of a crash.
    assert topics.timeline_entry(topics.parse("everest/modules/x/impl/y/var/z"),
                                 seen[0][1])[0] == "log"


@pytest.mark.mqtt
def test_a_command_to_a_module_the_station_does_not_have_gets_a_typed_error(
        station: StationProcess, raw: RawClient) -> None:
    reply = raw.call("nobody", "main", "validate_token", TOKEN, timeout=15)
    assert reply["error"]["__everest__error_type"] == "HandlerException"  # EVerest's name
    assert reply["error"]["type"] == "UnknownModule"  # evbench's, beside it
    assert "nobody" in reply["error"]["__everest__error_msg"]


# --- properties, without a broker ---------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300),
                 st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                              lambda inner: st.lists(inner, max_size=3)
                              | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                              max_leaves=30).map(lambda v: json.dumps(v).encode()),
                 st.integers(1, 5000).map(lambda n: b"[" * n),
                 st.integers(1, 5000).map(lambda n: b'{"a":' * n)))
def test_decoding_never_raises_and_never_lets_deep_values_through(payload: bytes) -> None:
    value = envelope.decode(payload)
    if not isinstance(value, Malformed):
        json.dumps(value)  # whatever passes can be re-encoded (no recursion limit hit)
        for kind in ("var", "cmd", "response", "error", "ready", "global_ready", "log"):
            from charger.framework.mqtt import content_of

            content_of(kind, value)  # never raises either


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300) | st.text(min_size=240, max_size=300))
def test_an_origin_either_has_a_reason_against_it_or_paho_accepts_its_reply_topic(
        origin: str) -> None:
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    topic = topics.response("m", "i", "c", origin)
    if topics.segment_problem(origin) is None:
        client.publish(topic, b"x", qos=1)  # not connected: queued, but the topic is checked
        assert topics.parse(topic) == topics.Topic("response", "m", "i", "c", origin)
