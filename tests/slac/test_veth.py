"""SLAC over real raw sockets: the car's and the EVSEs' hosts in network namespaces, cabled by
veth pairs to the simulated power line (PlcBridge) in a third; everything on the wall clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from charger.framework.config import load_station
from charger.framework.registry import ModuleRegistry
from charger.slac.raw_ethernet import PortError, RawEthernetPort
from evbench.assembly import Assembly, assemble
from reports.recorder import Recorder
from tests.slac.conftest import ev_mac, evse_mac
from tests.slac.netns import VethLab, veth_lab


@pytest.fixture
def lab() -> Iterator[VethLab]:
    made = veth_lab()
    try:
        yield made
    finally:
        made.remove()


def wire(lab: VethLab, connectors: int) -> tuple[str, str, str]:
    cars, evses, line = lab.namespace("ev"), lab.namespace("evse"), lab.namespace("line")
    for n in range(1, connectors + 1):
        lab.cable(cars, f"plc{n}", line, f"ev{n}", ev_mac(n))
        lab.cable(evses, f"plc{n}", line, f"evse{n}", evse_mac(n))
    return cars, evses, line


def station_doc(cars: str, evses: str, line: str, connectors: int) -> dict:
    modules: dict = {
        "line": {"module": "PlcBridge", "config": {"connectors": [
            {"connector": n, "ev_interface": f"ev{n}", "evse_interface": f"evse{n}",
             "netns": line} for n in range(1, connectors + 1)]}},
        "car_modems": {"module": "RawEthernetPlc", "config": {"ports": [
            {"port": n, "interface": f"plc{n}", "netns": cars}
            for n in range(1, connectors + 1)]}},
        "evse_modems": {"module": "RawEthernetPlc", "config": {"ports": [
            {"port": n, "interface": f"plc{n}", "netns": evses}
            for n in range(1, connectors + 1)]}},
    }
    for n in range(1, connectors + 1):
        modules[f"evse{n}"] = {"module": "EvseSlac", "connections": {"plc": "evse_modems.plc"},
                               "config": {"port": n, "mac_address": evse_mac(n),
                                          "slac_init_timeout_s": 20}}
        modules[f"car{n}"] = {"module": "SimEvSlac", "connections": {"plc": "car_modems.plc"},
                              "config": {"port": n, "mac_address": ev_mac(n)}}
    return {"description": "SLAC over veth pairs", "active_modules": modules}


def start(tmp_path: Path, registry: ModuleRegistry, doc: dict) -> tuple[Assembly, Recorder]:
    path = tmp_path / "veth.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assembly = assemble(load_station(path, registry), registry, seed=1, wall_clock=True)
    recorder = Recorder(assembly.env)
    assembly.tap(recorder.record)
    assembly.start()
    return assembly, recorder


def call(assembly: Assembly, module: str, cmd: str) -> object:
    return assembly.env.run(until=assembly.bus.call("test", module, "main", cmd, {}, 5.0))


def run_until_matched(assembly: Assembly, recorder: Recorder, cars: list[str],
                      limit_s: float = 15.0) -> None:
    """Run the wall clock until every car is MATCHED (a loaded machine may need the standard's
    retries and repetitions), at most ``limit_s``."""
    until = assembly.env.now + limit_s
    while assembly.env.now < until:
        assembly.env.run(until=assembly.env.now + 0.1)
        states = [values(recorder, f"{car}.main", "state") for car in cars]
        if all(found and found[-1][1] == "MATCHED" for found in states):
            return


def values(recorder: Recorder, source: str, name: str) -> list:
    return [(r.t, r.value) for r in recorder.rows
            if r.kind == "var" and r.source == source and r.name == name]


def test_a_missing_interface_is_a_clear_error(lab: VethLab) -> None:
    cars = lab.namespace("ev")
    with pytest.raises(PortError, match="nope0"):
        RawEthernetPort("nope0", cars)
    with pytest.raises(PortError, match="namespace"):
        RawEthernetPort("lo", "no-such-namespace-here")


@pytest.mark.parametrize("connectors", [1, 2])
def test_each_car_matches_its_own_evse_over_raw_sockets(
        lab: VethLab, tmp_path: Path, slac_registry: ModuleRegistry, connectors: int) -> None:
    cars, evses, line = wire(lab, connectors)
    assembly, recorder = start(tmp_path, slac_registry,
                               station_doc(cars, evses, line, connectors))
    try:
        for n in range(1, connectors + 1):
            assert call(assembly, f"evse{n}", "enter_bcd") is True
        for n in range(1, connectors + 1):
            assert call(assembly, f"car{n}", "trigger_matching") is True
        run_until_matched(assembly, recorder, [f"car{n}" for n in range(1, connectors + 1)])
    finally:
        assembly.stop()
    assert assembly.station.exceptions == []
    for n in range(1, connectors + 1):
        assert values(recorder, f"car{n}.main", "ev_mac_address")[-1][1] == evse_mac(n).upper()
        assert values(recorder, f"evse{n}.main", "ev_mac_address")[-1][1] == ev_mac(n).upper()
        assert values(recorder, f"evse{n}.main", "state")[-1][1] == "MATCHED"
    # The frames really crossed the sockets: the EVSE's host received the car's sounds and its
    # modem's attenuation profiles through its own interface.
    # With two connectors it also hears the other car, through crosstalk.
    received = [v["decoded"] for _, v in values(recorder, "evse_modems.plc", "received")
                if v["port"] == 1]
    names = [d["message"] for d in received]
    own_sounds = [d for d in received
                  if d["message"] == "CM_MNBC_SOUND.IND" and d["src"] == ev_mac(1)]
    own_profiles = [d for d in received if d["message"] == "CM_ATTEN_PROFILE.IND"
                    and d["fields"]["EVMACAddress"] == ev_mac(1)]
    assert len(own_sounds) == len(own_profiles) == 10
    assert names.count("CM_MNBC_SOUND.IND") == 10 * connectors
    assert "CM_SET_KEY.CNF" in names and "CM_SLAC_MATCH.REQ" in names


def test_the_raw_transport_alone_carries_frames_across_a_veth_pair(lab: VethLab) -> None:
    """Two namespaces, one veth pair, a port at each end: what one sends the other receives,
    padded to the Ethernet minimum; a port never reads back what it sent."""
    import select

    from charger.slac import frames

    left, right = lab.namespace("a"), lab.namespace("b")
    lab.cable(left, "plc0", right, "plc0", ev_mac(1))
    near, far = RawEthernetPort("plc0", left), RawEthernetPort("plc0", right)
    try:
        assert near.mac == ev_mac(1)
        short = frames.slac_parm_req(ev_mac(1), bytes(8))[:29]  # unpadded on purpose
        assert near.send(short) == frames.MIN_FRAME_BYTES
        assert select.select([far.sock], [], [], 5.0)[0], "nothing arrived"
        (arrived,) = far.receive()
        assert arrived == short + bytes(31)
        assert frames.parse_frame(arrived).name == "CM_SLAC_PARM.REQ"
        other = bytes.fromhex("02ee0000000102cc0000000186dd") + bytes(50)  # not HomePlug
        far.send(frames.set_key_cnf(frames.LOCAL_MODEM_MAC, ev_mac(1), 1, 2))
        assert select.select([near.sock], [], [], 5.0)[0]
        assert [frames.parse_frame(f).name for f in near.receive()] == ["CM_SET_KEY.CNF"]
        # Another EtherType, then a SLAC frame: only the SLAC frame reaches the port.
        far.sock.send(other)
        far.send(frames.atten_char_rsp(ev_mac(1), evse_mac(1), bytes(8)))
        assert select.select([near.sock], [], [], 5.0)[0]
        assert [frames.parse_frame(f).name for f in near.receive()] == ["CM_ATTEN_CHAR.RSP"]
        assert far.receive() == []  # it sent three frames and reads none of them back
    finally:
        near.close()
        far.close()
