"""The documented topic layout, seen by a client that knows nothing else (a foreign module)."""

from __future__ import annotations

import json

import pytest

from tests.mqtt.conftest import RawClient, StationProcess

pytestmark = pytest.mark.mqtt


@pytest.fixture
def station(shared: tuple[StationProcess, RawClient]) -> StationProcess:
    return shared[0]


@pytest.fixture
def raw(shared: tuple[StationProcess, RawClient]) -> RawClient:
    return shared[1]

MODULES = ["grid", "board1", "rfid", "allow_list", "evse1", "auth", "grid_connection",
           "energy_manager", "car1"]


def test_every_module_announces_ready_and_the_manager_sends_an_epoch(
        station: StationProcess, raw: RawClient) -> None:
    for module in MODULES:
        raw.wait_for(lambda t, p, m=module: t == f"everest/modules/{m}/ready" and p is True,
                     what=f"{module} ready")
    _, ready = raw.wait_for(lambda t, p: t == "everest/ready" and isinstance(p, dict))
    assert isinstance(ready["epoch"], float)
    assert sorted(station.children()) == sorted(MODULES)  # one OS process per module


def test_a_command_is_answered_with_its_result(station: StationProcess, raw: RawClient) -> None:
    reply = raw.call("allow_list", "main", "validate_token",
                     {"provided_token": {"id_token": "AABBCCDD", "type": "RFID"}})
    assert reply["retval"] == {"authorization_status": "Accepted"}
    reply = raw.call("allow_list", "main", "validate_token",
                     {"provided_token": {"id_token": "00000000", "type": "RFID"}})
    assert reply["retval"]["authorization_status"] == "Invalid"


@pytest.mark.parametrize("args, phrase", [
    ({}, "provided_token"),                                          # missing argument
    ({"provided_token": {"id_token": "AA", "type": "Bogus"}}, "type"),  # not in the enum
    ({"provided_token": {"id_token": "AA", "type": "RFID"}, "x": 1}, "x"),  # unknown argument
    ([1, 2], "object"),                                              # not an object
])
def test_arguments_violating_the_schema_get_a_typed_error(
        station: StationProcess, raw: RawClient, args: object, phrase: str) -> None:
    reply = raw.call("allow_list", "main", "validate_token", args)  # type: ignore[arg-type]
    assert reply["error"]["__everest__error_type"] == "SchemaValidationError"
    assert phrase in reply["error"]["__everest__error_msg"]


def test_an_unknown_command_gets_a_typed_error(station: StationProcess, raw: RawClient) -> None:
    reply = raw.call("allow_list", "main", "no_such_command", {})
    # EVerest knows no such reason: HandlerException for it, the precise one beside it.
    assert reply["error"]["__everest__error_type"] == "HandlerException"
    assert reply["error"]["type"] == "UnknownCommand"


def test_garbage_never_crashes_a_module(station: StationProcess, raw: RawClient) -> None:
    pids = station.children()
    base = "everest/modules/allow_list/impl/main/cmd/validate_token"
    raw.publish(base, b"{not json", raw=True)
    raw.publish(base, {"args": {}}, msg_type="Cmd")  # no id, no origin: nobody to answer
    raw.publish(base, b"\xff\xfe", raw=True)
    # A value violating the grid supply's schema, where the board listens for it.
    raw.publish("everest/modules/grid/impl/supply/var/supply", {"data": {"voltage_v": "high"}},
                msg_type="Var")
    raw.wait_for(lambda t, p: t == "everest/modules/board1/log" and isinstance(p, dict)
                 and "violates its schema" in p["message"], what="the board's drop notice")
    reply = raw.call("allow_list", "main", "validate_token",
                     {"provided_token": {"id_token": "AABBCCDD", "type": "RFID"}})
    assert reply["retval"]["authorization_status"] == "Accepted"
    assert station.children() == pids  # nothing crashed and restarted


def test_a_car_charges_when_driven_through_the_broker(station: StationProcess,
                                                      raw: RawClient) -> None:
    assert "retval" in raw.call("car1", "car", "plug_in", {})
    raw.session_event("SessionStarted")
    assert "retval" in raw.call("rfid", "control", "present_token", {"id_token": "AABBCCDD"})
    raw.session_event("ChargingStarted")
    _, meter = raw.wait_for(
        lambda t, p: t == "everest/modules/board1/impl/meter/var/powermeter"
        and p["power_w"]["total"] > 10000, what="11 kW on the meter")
    assert meter["current_a"]["L1"] == pytest.approx(16.0)
    topics = [t for t, _ in raw.seen]
    assert "everest/modules/evse1/impl/evse/var/session_event" in topics
    assert any(t.startswith("everest/modules/board1/impl/board/cmd/pwm_on") for t in topics)
    json.dumps(raw.seen[-1][1])  # every payload is plain JSON


def test_the_monitor_prints_live_traffic(station: StationProcess, raw: RawClient) -> None:
    import subprocess
    import sys
    import threading

    url = f"mqtt://{raw.client.host}:{raw.client.port}"
    monitor = subprocess.Popen([sys.executable, "-m", "evbench.cli", "monitor", "--bus", url,
                                "--kind", "var", "--source", "board1.*"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert monitor.stdout is not None
        for line in monitor.stdout:
            lines.append(line)
            if "board1.meter" in line and "powermeter" in line and "energy_wh_import" in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    try:
        assert found.wait(30), "".join(lines[-20:])
    finally:
        monitor.terminate()
        monitor.wait(10)
    assert lines[0].startswith("monitoring mqtt://")
    for line in lines[1:]:  # simulated time from the station's clock, filtered
        time, kind, source = line.split()[:3]
        assert float(time) >= 0 and kind == "var" and source.startswith("board1.")
