"""Modbus meters: register maps (data files, checked with file:line), decoding as the meters
encode, energy roll-over, several meters on one line, a meter that stops answering, and Debian's
mbpoll (an independent master) reading the emulator."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charger.framework.errors import ConfigError
from hil.modbus.meter import RolloverCounter
from hil.modbus.registermap import TYPES, Register, load_register_map, shipped_maps
from tests.hil.conftest import Bench, ModbusRig


def register(type_: str, word_order: str, scale: float = 1.0) -> Register:
    return Register("energy_wh_import", "total", 0, 3, type_, word_order, scale, False)


@given(st.sampled_from(sorted(TYPES)), st.sampled_from(["high_first", "low_first"]),
       st.integers(min_value=0, max_value=30000))
@settings(max_examples=200, deadline=None)
def test_a_value_reads_back_as_the_meter_wrote_it(type_, word_order, value):
    reg = register(type_, word_order)
    words = reg.encode(value)
    assert len(words) == reg.count and all(0 <= w <= 0xFFFF for w in words)
    assert reg.decode(words) == pytest.approx(value, rel=1e-6)


def test_word_order_is_the_maps():
    high, low = register("uint32", "high_first"), register("uint32", "low_first")
    assert high.encode(0x00010002) == [0x0001, 0x0002]
    assert low.encode(0x00010002) == [0x0002, 0x0001]
    sdm = load_register_map("sdm630")
    volts = next(r for r in sdm.registers if (r.quantity, r.phase) == ("voltage_v", "L1"))
    assert (volts.address, volts.function_code) == (0, 4)
    assert volts.encode(230.0) == [0x4366, 0x0000]  # IEEE 754 230.0, high word first


@given(st.lists(st.integers(min_value=0, max_value=1 << 30), min_size=1, max_size=60),
       st.integers(min_value=0, max_value=(1 << 32) - 1))
@settings(max_examples=200, deadline=None)
def test_a_rolling_counter_keeps_counting(increments, start):
    modulus = 1 << 32
    counter = RolloverCounter(float(modulus))
    true = start
    assert counter.update(float(start % modulus)) == start
    for step in increments:
        true += step
        assert counter.update(float(true % modulus)) == true


def test_shipped_maps_load():
    assert {"sdm630", "dc-meter-int"} <= set(shipped_maps())
    dc = load_register_map("dc-meter-int")
    assert dc.kind == "dc" and any(r.rollover for r in dc.registers)


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("model: x\nkind: ac\nquantities:\n  voltage_v: {L1: 3, type: float64}\n", 4, "float64"),
    ("model: x\nkind: ac\nquantities:\n  volts: {L1: 3}\n", 4, "volts"),
    ("model: x\nkind: ac\nregister_numbers_from: 30001\nquantities:\n  power_w: {total: 5}\n",
     5, "below register_numbers_from"),
])
def test_a_broken_map_is_refused_with_its_line(tmp_path, text, line, reason):
    path = tmp_path / "map.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_register_map(str(path))
    problem = caught.value.problems[0]
    assert problem.line == line and reason in problem.reason


def station(rig: ModbusRig, *meters: tuple[str, int, str]) -> str:
    return "active_modules:\n" + "".join(rig.module_yaml(m, u, regmap) for m, u, regmap in meters)


@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_two_meters_share_one_line(tmp_path, registry, transport):
    rig = ModbusRig(tmp_path, transport, maps=("sdm630", "dc-meter-int"),
                    loads=((16.0, 3), (100.0, 1)))
    bench = Bench(station(rig, ("ac", 1, "sdm630"), ("dc", 2, "dc-meter-int")),
                  tmp_path / "station.yaml", registry)
    try:
        ac = bench.call("ac", "meter", "read")
        dc = bench.call("dc", "meter", "read")
        assert ac["current_a"]["L2"] == pytest.approx(16.0)
        assert ac["voltage_v"]["L3"] == pytest.approx(230.0)
        assert dc["current_a"]["total"] == pytest.approx(100.0)
        assert dc["power_w"]["total"] == pytest.approx(23000.0)
        assert set(dc["current_a"]) == {"total"}
    finally:
        bench.stop()
        rig.stop()


def test_a_silent_meter_raises_communication_fault_and_clears_it(tmp_path, registry):
    rig = ModbusRig(tmp_path, "tcp")
    bench = Bench(station(rig, ("m1", 1, "sdm630"), ("m2", 2, "sdm630")),
                  tmp_path / "station.yaml", registry)
    try:
        bench.call("m1", "meter", "read")
        rig.units[0].answering = False
        raised = bench.wait_error("powermeter/CommunicationFault")
        assert raised.source == "m1.meter" and "unit 1" in raised.value["message"]
        with pytest.raises(Exception, match="unit 1"):
            bench.call("m1", "meter", "read")
        assert bench.call("m2", "meter", "read")["current_a"]["L1"] == pytest.approx(16.0)
        rig.units[0].answering = True
        bench.wait_error("powermeter/CommunicationFault", active=False)
        assert not [r for r in bench.rows("error_raised") if r.source == "m2.meter"]
    finally:
        bench.stop()
        rig.stop()


def test_the_energy_counter_rolls_over_and_the_reading_keeps_counting(tmp_path, registry):
    modulus_wh = (1 << 32) * 10.0  # uint32 in 0.01 kWh
    rig = ModbusRig(tmp_path, "tcp", maps=("dc-meter-int",), energy_wh=modulus_wh - 300.0,
                    current_a=400.0)  # 92 kW: 300 Wh in about 12 s
    bench = Bench(station(rig, ("dc", 1, "dc-meter-int")), tmp_path / "station.yaml", registry,
                  factor=0.25)
    try:
        first = bench.call("dc", "meter", "read")["energy_wh_import"]["total"]
        assert modulus_wh - 400 < first < modulus_wh
        bench.wait_for(lambda r: r.name == "powermeter"
                       and r.value["energy_wh_import"]["total"] > modulus_wh + 50,
                       timeout_s=40, what="a reading past the roll-over")
        readings = [r.value["energy_wh_import"]["total"] for r in bench.rows("var", "powermeter")]
        assert readings == sorted(readings)  # never a drop at the wrap
        raw = rig.units[0].map.registers[-1]
        assert raw.decode(raw.encode(readings[-1])) < 1000  # the register itself wrapped
    finally:
        bench.stop()
        rig.stop()


MBPOLL = shutil.which("mbpoll")


@pytest.mark.skipif(MBPOLL is None, reason="Debian's mbpoll is not installed (tools/run-tests "
                    "installs it)")
@pytest.mark.parametrize("transport", ["tcp", "rtu"])
def test_mbpoll_reads_the_emulator(tmp_path, transport):
    rig = ModbusRig(tmp_path, transport, maps=("sdm630", "dc-meter-int"), current_a=16.0)
    try:
        where = (["-m", "tcp", "-p", rig.where.rpartition(":")[2], "127.0.0.1"]
                 if transport == "tcp" else ["-m", "rtu", "-b", "9600", "-P", "none",
                                             rig.where])

        def poll(*args: str) -> dict[int, float]:
            out = subprocess.run([MBPOLL, "-1", "-o", "2", *args, *where], capture_output=True,
                                 text=True, timeout=20)
            assert out.returncode == 0, out.stdout + out.stderr
            return {int(a): float(v) for a, v in re.findall(r"^\[(\d+)\]:\s+(-?[\d.]+)",
                                                            out.stdout, re.M)}

        # SDM630 unit 1: input registers 30001.. (reference 1), floats high word first.
        volts = poll("-a", "1", "-t", "3:float", "-B", "-r", "1", "-c", "6")
        assert volts == {1: 230.0, 3: 230.0, 5: 230.0, 7: 16.0, 9: 16.0, 11: 16.0}
        power = poll("-a", "1", "-t", "3:float", "-B", "-r", "53", "-c", "1")
        assert power == {53: pytest.approx(3 * 230 * 16.0)}
        # The DC layout, unit 2: holding registers, 32-bit integers low word first, mV and mA.
        dc = poll("-a", "2", "-t", "4:int", "-r", "1", "-c", "2")
        assert dc == {1: 230000, 3: 48000}  # the total of the three 16 A phases
    finally:
        rig.stop()
