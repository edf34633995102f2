"""The Iso15118Charger module: its interface matches the SECC's declared events and commands,
and a session through it publishes every event and every V2G message on the bus."""

from __future__ import annotations

import textwrap
from pathlib import Path

import simpy
import yaml

from charger.framework.config import load_station
from charger.framework.inproc import InProcessBus
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from charger.framework.station import Station
from charger.iso15118.boundary import SECC_EVENTS
from charger.iso15118.link import InProcessLink
from reports.recorder import Recorder
from sim.car.evcc import EVCC_EVENTS, Evcc, EvccConfig

ROOT = Path(__file__).resolve().parents[2]


def _interface(name: str) -> dict:
    return yaml.safe_load((ROOT / "charger" / "interfaces" / f"{name}.yaml").read_text())


def test_interfaces_declare_one_variable_per_event() -> None:
    assert set(_interface("iso15118_charger")["vars"]) == set(SECC_EVENTS) | {"v2g_message"}
    assert set(_interface("iso15118_ev")["vars"]) == set(EVCC_EVENTS) | {"v2g_message"}


def test_a_session_through_the_module_is_on_the_bus(tmp_path: Path) -> None:
    station = tmp_path / "station.yaml"
    station.write_text(textwrap.dedent("""
        description: one SECC
        active_modules:
          secc:
            module: Iso15118Charger
            config: {energy_modes: [AC_three_phase_core], autocharge: true}
    """))
    registry = ModuleRegistry(SchemaRegistry())
    env = simpy.Environment()
    bus = InProcessBus(env)
    recorder = Recorder(env)
    recorder.attach(bus)
    running = Station(load_station(station, registry), registry, bus)
    running.start()
    module = running.modules["secc"]
    a, b = InProcessLink.pair(env, 0.002)
    module.accept(a)
    car = Evcc(env, EvccConfig(energy_mode="AC_three_phase_core", protocols=["iso2"]))
    car.connect(b)

    def charger():
        yield env.timeout(1)
        yield bus.call("test", "secc", "charger", "authorization_response",
                       {"authorization_status": "Accepted"})
        yield env.timeout(5)
        car.stop_charging()
    env.process(charger())
    env.run(until=20)
    assert running.exceptions == []
    variables = [r for r in recorder.rows if r.source.startswith("secc")]
    names = [r.name for r in variables]
    for event in ("session_started", "require_auth_eim", "ac_close_contactor",
                  "ac_open_contactor", "session_finished", "v2g_message"):
        assert any(n.endswith(event) for n in names), event
    messages = [r.value for r in variables if r.name.endswith("v2g_message")]
    assert messages[0]["name"] == "supportedAppProtocolReq"
    assert messages[-1]["name"] == "SessionStopRes"
    assert all(m["hex"] and m["message"] for m in messages)
    tokens = [r.value for r in variables if r.name.endswith("provided_token")]
    assert tokens == [{"id_token": "02000000CAFE", "type": "Autocharge"}]


def test_the_docs_list_every_timer_event_and_fault() -> None:
    from charger.iso15118.timeouts import TIMERS
    from sim.car.evcc.boundary import EV_FAULTS

    doc = (ROOT / "docs" / "iso15118.md").read_text()
    for name, timer in TIMERS.items():
        assert f"| `{name}` | {timer.side.upper()} | {timer.standard_name} | " \
            f"{timer.strict_s:g} | {timer.lenient_s:g} |" in doc, name
    for name in (*SECC_EVENTS, *EVCC_EVENTS, *EV_FAULTS):
        assert f"| `{name}` |" in doc, name


def test_two_modules_charge_over_the_bus(tmp_path: Path) -> None:
    """Iso15118Ev and Iso15118Charger in one station: the car's session is started, charged
    and stopped by commands; both sides' messages are on the bus."""
    station = tmp_path / "station.yaml"
    station.write_text(textwrap.dedent("""
        description: an SECC and a car's EVCC
        active_modules:
          secc:
            module: Iso15118Charger
            config: {energy_modes: [DC_extended]}
          car:
            module: Iso15118Ev
            config: {protocols: [din], fills_optional: false}
    """))
    registry = ModuleRegistry(SchemaRegistry())
    env = simpy.Environment()
    bus = InProcessBus(env)
    recorder = Recorder(env)
    recorder.attach(bus)
    running = Station(load_station(station, registry), registry, bus)
    running.start()
    a, b = InProcessLink.pair(env, 0.002)
    secc = running.modules["secc"]
    secc.accept(a)
    refused = env.run(until=bus.call("test", "car", "ev", "start_session",
                                     {"energy_transfer_mode": "DC_extended"}))
    assert refused == {"started": False,
                       "reason": "no link to the charger (SLAC has not matched)"}
    running.modules["car"].attach(b)

    def drive():
        result = yield bus.call("test", "car", "ev", "start_session",
                                {"energy_transfer_mode": "DC_extended"})
        assert result == {"started": True}
        yield env.timeout(1)
        secc.secc.authorization_response("Accepted")
        yield env.timeout(1)
        secc.secc.update_dc_present_values(0, 0)
        secc.secc.cable_check_finished(True)
        secc.secc.update_dc_present_values(400, 0)
        yield env.timeout(5)
        yield bus.call("test", "car", "ev", "stop_charging", {})
    env.process(drive())
    env.run(until=30)
    assert running.exceptions == []
    finished = [r.value for r in recorder.rows if r.name.endswith("session_finished")]
    assert sorted(finished) == ["stopped by the car", "stopped by the car"]
    car_messages = [r.value["name"] for r in recorder.rows
                    if r.source.startswith("car") and r.name.endswith("v2g_message")]
    assert "CurrentDemandReq" in car_messages and car_messages[-1] == "SessionStopRes"


def test_a_repeated_message_is_recorded_from_one_shared_value_that_reads_as_its_bytes():
    """The loop repeats the same messages: each (direction, protocol, name, bytes) is made into
    its record once; every record still says what its own bytes decode to."""
    from charger.v2g import exi
    from tests.v2g_session.doubles import make_run

    run = make_run("DC_extended")
    run.connect()
    run.run(until=40)
    loop = [r for r in run.records if r.name == "CurrentDemandReq"]
    assert len(loop) > 20
    for record in run.records + run.ev_records:
        value = record.as_value()
        assert value == {"direction": record.direction, "protocol": record.protocol,
                         "name": record.name, "message": record.message, "hex": record.hex}
        if record.name != "Invalid":
            decoded = exi.decode(record.protocol, bytes.fromhex(record.hex))
            assert exi.to_dict(decoded) == record.message
    by_bytes: dict = {}
    for record in loop:
        by_bytes.setdefault(record.hex, []).append(record.as_value())
    repeated = [values for values in by_bytes.values() if len(values) > 1]
    assert repeated and all(v is values[0] for values in repeated for v in values)
