"""What only a bench shows: InfyPower modules switching themselves off without traffic, the
adapter pulled out and plugged back, rig check's probe, and a user's mapping checked when the
station loads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from charger.framework.config import load_station
from charger.framework.errors import ConfigError
from hil.can.channel import CanChannel
from hil.can.codec import ModuleCodec
from hil.can.mapping import shipped_mapping
from tests.hil.can.conftest import ADDRESSES, BACKENDS, Bench, Rig, station_yaml

pytestmark = pytest.mark.slow


def test_polling_keeps_infypower_modules_on_and_silence_switches_them_off(tmp_path, registry):
    rig = Rig(tmp_path, "infypower", ADDRESSES)
    bench = Bench(station_yaml("InfyPowerSupply", rig.port, tmp_path),
                  tmp_path / "station.yaml", registry)
    try:
        bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
        bench.command("set_export_voltage_current", voltage_v=450.0, current_a=20.0)
        bench.command("set_mode", mode="Export", phase="Charging")
        # Well past the modules' 10 s: the backend's polls are traffic enough.
        bench.run_for(14.0)
        assert all(rig.rack.modules[a].on for a in ADDRESSES)
        assert bench.rows("var", "voltage_current")[-1].value["current_a"] == \
            pytest.approx(20.0, abs=0.1)
        assert not any("switched off" in line for line in rig.log)
    finally:
        bench.stop()  # the controller goes away; the modules are left on
    try:
        deadline = bench.env.now + 14.0
        while any(rig.rack.modules[a].on for a in ADDRESSES) and bench.env.now < deadline:
            bench.run_for(0.5)
        assert not any(rig.rack.modules[a].on for a in ADDRESSES)
        assert sum("nothing heard for 10 s" in line for line in rig.log) == len(ADDRESSES)
    finally:
        rig.stop()


def _exporting(tmp_path, registry, module: str = "InfyPowerSupply") -> tuple[Rig, Bench]:
    """Emulated modules of ``module``'s vendor exporting 20 A; both stopped if that fails."""
    rig = Rig(tmp_path, BACKENDS[module], ADDRESSES)
    bench = Bench(station_yaml(module, rig.port, tmp_path), tmp_path / "station.yaml", registry)
    try:
        bench.wait_for(lambda r: r.name == "capabilities", what="capabilities")
        bench.command("set_export_voltage_current", voltage_v=450.0, current_a=20.0)
        bench.command("set_mode", mode="Export", phase="Charging")
        bench.wait_reading(lambda v: v["current_a"] > 19.0, "current flowing")
    except BaseException:
        bench.stop()
        rig.stop()
        raise
    return rig, bench


def test_a_module_that_switches_itself_off_while_exporting_is_switched_on_again(tmp_path,
                                                                                registry):
    # What a controller stalled past the keep-alive leaves behind (a busy machine): a module
    # that switched itself off, answering as before. The supply still exports.
    rig, bench = _exporting(tmp_path, registry)
    try:
        bench.mark()
        rig.call(lambda: rig.rack.drop_output(ADDRESSES[0], "nothing heard for 10 s"))
        warned = bench.wait_for(lambda r: r.kind == "log" and r.name == "warning"
                                and "switched its output off by itself" in r.value,
                                what="the backend noticing the module off")
        assert f"module {ADDRESSES[0]}" in warned.value
        bench.mark()
        bench.wait_reading(lambda v: v["current_a"] > 19.0, "the full current again")
        assert all(rig.rack.modules[a].on for a in ADDRESSES)
        assert rig.rack.modules[ADDRESSES[0]].voltage_setpoint_v == 450.0
        assert not bench.rows("error_raised")
        assert bench.rows("var", "mode")[-1].value == "Export"
    finally:
        bench.stop()
        rig.stop()


def test_a_module_that_switches_itself_off_and_refuses_to_come_back_faults_the_supply(
        tmp_path, registry):
    rig, bench = _exporting(tmp_path, registry)
    try:
        bench.mark()

        def drop_and_refuse() -> None:
            rig.rack.refuse(ADDRESSES[0])
            rig.rack.drop_output(ADDRESSES[0])
        rig.call(drop_and_refuse)
        raised = bench.wait_error("power_supply_DC/HardwareFault")
        assert f"module {ADDRESSES[0]} switched its output off" in raised.value["message"]
        bench.wait_for(lambda r: r.name == "mode" and r.value == "Fault", what="mode Fault")
        bench.wait_reading(lambda v: v["current_a"] < 1.0, "every module off")
        assert not any(rig.rack.modules[a].on for a in ADDRESSES)
        rig.call(lambda: rig.rack.refuse(ADDRESSES[0], False))
        bench.command("set_mode", mode="Off", phase="Other")  # the charger's answer
        bench.wait_error("power_supply_DC/HardwareFault", active=False)
    finally:
        bench.stop()
        rig.stop()


def test_an_unplugged_adapter_is_a_communication_fault_until_it_is_back(tmp_path, registry):
    rig, bench = _exporting(tmp_path, registry, "WinlinePowerSupply")
    try:
        bench.mark()
        rig.unplug()
        raised = bench.wait_error("power_supply_DC/CommunicationFault")
        assert "CAN channel" in raised.value["message"]
        bench.wait_for(lambda r: r.name == "mode" and r.value == "Fault", what="mode Fault")
        with pytest.raises(Exception, match="CAN channel down"):
            bench.command("set_export_voltage_current", voltage_v=450.0, current_a=20.0)
        bench.mark()
        rig.plug_back()  # fresh modules: off, as after a power cycle
        bench.wait_error("power_supply_DC/CommunicationFault", active=False)
        bench.wait_for(lambda r: r.name == "mode" and r.value == "Off", what="mode Off")
        bench.command("set_export_voltage_current", voltage_v=450.0, current_a=20.0)
        bench.command("set_mode", mode="Export", phase="Charging")
        bench.wait_reading(lambda v: v["current_a"] > 19.0, "current flowing again")
    finally:
        bench.stop()
        rig.stop()


def test_probe_reports_the_modules_that_answer_and_those_that_do_not(tmp_path):
    rig = Rig(tmp_path, "infypower", [3])
    try:
        channel = CanChannel(None, "psu", ModuleCodec(shipped_mapping("infypower")), rig.port,
                             sleep_after_open=0)
        channel.probe_addresses = [3, 9]
        result = channel.probe(timeout_s=1.0)
        assert result.answered, result.reason
        assert result.identity["modules"] == 1
        assert result.identity["silent"] == "9"
        assert result.identity["module3"] == "400 V 0 A"  # the emulated battery, no current
    finally:
        rig.stop()
    missing = CanChannel(None, "psu", ModuleCodec(shipped_mapping("infypower")),
                         str(tmp_path / "no-such-adapter"), sleep_after_open=0).probe(1.0)
    assert not missing.answered
    assert "cannot open" in missing.reason and "no-such-adapter" in missing.reason


def test_a_broken_user_mapping_refuses_the_station_with_both_lines(tmp_path, registry):
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("dbc: nowhere.dbc\naddressing: {request: {shift: 8}, reply: {shift: 0}}\n"
                       "set: {}\nread: {}\nreplies: {}\n", encoding="utf-8")
    station = tmp_path / "station.yaml"
    station.write_text(textwrap.dedent(f"""\
        active_modules:
          psu:
            module: DbcPowerSupply
            config:
              channel: /dev/null
              mapping: "{mapping}"
        """), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_station(station, registry)
    text = str(caught.value)
    assert f"{station}:6: psu: mapping: {mapping}:3:" in text


def test_rig_check_sees_the_emulated_modules_and_names_a_missing_channel(tmp_path):
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry
    from hil.commands import rig_check
    from hil.emulators.host import EmulatorHost
    from hil.rig import load_rig

    shipped = (Path(__file__).parents[3] / "hil/can/rigs/emulated-dc-modules.yaml")
    rig_file = tmp_path / "rig.yaml"
    rig_file.write_text(shipped.read_text(encoding="utf-8").replace(
        "out/rig/", f"{tmp_path}/"), encoding="utf-8")
    said: list[str] = []
    assert rig_check(rig_file, said.append, timeout_s=0.5) == 1
    assert "0 of 2 devices answer" in said[-1]
    assert any("infy_supply" in line and "MISSING" in line and "can-infypower" in line
               for line in said)
    rig = load_rig(rig_file, ModuleRegistry(SchemaRegistry()))
    host = EmulatorHost()
    try:
        for part in rig.parts.values():
            part.backend.emulate(host, part, rig)
        host.start_thread()
        said.clear()
        assert rig_check(rig_file, said.append, timeout_s=2.0) == 0, said
        assert "2 of 2 devices answer" in said[-1]
        assert any("winline_supply" in line and "modules=2" in line for line in said)
    finally:
        host.stop()


def test_a_missing_adapter_is_a_communication_fault_and_no_capabilities(tmp_path, registry):
    bench = Bench(station_yaml("InfyPowerSupply", str(tmp_path / "no-adapter"), tmp_path),
                  tmp_path / "station.yaml", registry)
    try:
        raised = bench.wait_error("power_supply_DC/CommunicationFault")
        assert "cannot open" in raised.value["message"]
        assert "no-adapter" in raised.value["message"]
        bench.run_for(2.0)
        assert not bench.rows("var", "capabilities")  # no session may start
        assert bench.rows("var", "mode")[-1].value == "Fault"
    finally:
        bench.stop()


def test_random_bytes_on_the_adapter_line_never_silence_the_backend(tmp_path, registry):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    rig, bench = _exporting(tmp_path, registry, "WinlinePowerSupply")
    try:

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        @given(noise=st.binary(min_size=1, max_size=80))
        def noise_then_readings(noise: bytes) -> None:
            bench.mark()
            rig.call(lambda: rig.rack.write_raw(noise + b"\r"))
            bench.run_for(0.3)
            bench.mark()
            bench.wait_reading(lambda v: v["current_a"] > 19.0, "readings after the noise")

        noise_then_readings()
        assert not bench.rows("error_raised")
        assert bench.station.modules["psu"].device.rejected > 0
    finally:
        bench.stop()
        rig.stop()
