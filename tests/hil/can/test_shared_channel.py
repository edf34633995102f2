"""Two connectors' supplies whose modules share one CAN bus: one channel device for both, each
backend drives and watches only its own modules, and a station that gives one module to both is
refused with the line."""

from __future__ import annotations

import textwrap

import pytest

from charger.framework.config import load_station
from charger.framework.errors import ConfigError
from charger.framework.wallclock import WallClockEnvironment
from hil.can.emulator import PowerModuleRack
from hil.emulators.host import EmulatorHost
from hil.emulators.pty import PtyPair
from tests.hil.can.conftest import FACTOR, Bench, _ensure_socat

pytestmark = pytest.mark.slow


def two_supplies(port: str, a_modules: list[int], b_modules: list[int]) -> str:
    return f"""\
        active_modules:
          psu_a:
            module: InfyPowerSupply
            config: {{channel: "{port}", modules: {a_modules}}}
          psu_b:
            module: InfyPowerSupply
            config: {{channel: "{port}", modules: {b_modules}}}
        """


def test_two_supplies_share_a_channel_and_keep_to_their_own_modules(tmp_path, registry):
    _ensure_socat()
    port = str(tmp_path / "can-host")
    pair = PtyPair(port, tmp_path / "can-device").start()
    host = EmulatorHost(FACTOR)
    rack = host.add(PowerModuleRack(host.env, "infypower", str(tmp_path / "can-device"),
                                    [1, 2, 5], outputs=[[1, 2], [5]]))
    host.start_thread()
    bench = Bench(two_supplies(port, [1, 2], [5]), tmp_path / "station.yaml", registry)
    try:
        a, b = bench.station.modules["psu_a"], bench.station.modules["psu_b"]
        assert a.device is b.device and sorted(a.device.probe_addresses) == [1, 2, 5]
        bench.wait_for(lambda r: r.name == "capabilities" and r.source == "psu_b.main",
                       what="psu_b's capabilities")
        caps = {r.source: r.value for r in bench.rows("var", "capabilities")}
        assert caps["psu_a.main"]["max_export_current_a"] == 200.0  # two modules
        assert caps["psu_b.main"]["max_export_current_a"] == 100.0  # one
        for supply, amps in (("psu_a", 30.0), ("psu_b", 10.0)):
            bench.call(supply, "main", "set_export_voltage_current", voltage_v=450.0,
                          current_a=amps)
            bench.call(supply, "main", "set_mode", mode="Export", phase="Charging")
        for supply, amps in (("psu_a", 30.0), ("psu_b", 10.0)):
            bench.wait_for(lambda r, s=supply, i=amps: r.name == "voltage_current"
                           and r.source == f"{s}.main"
                           and r.value["current_a"] == pytest.approx(i, abs=0.1),
                           what=f"{supply} delivering {amps} A")
        assert [rack.module_output(m)[1] for m in (1, 2, 5)] == \
            pytest.approx([15.0, 15.0, 10.0], abs=0.1)
        bench.mark()
        host.call(lambda: rack.silence(5))
        raised = bench.wait_error("power_supply_DC/CommunicationFault")
        assert raised.source == "psu_b.main"
        bench.run_for(1.0)
        assert [r.source for r in bench.rows("error_raised")] == ["psu_b.main"]
        assert rack.modules[1].on and rack.modules[2].on  # the other connector goes on
    finally:
        bench.stop()
        host.stop()
        pair.stop()
    assert not a.device._threads  # the last backend to stop closed it


def test_a_module_given_to_two_supplies_is_refused_with_its_line(tmp_path, registry):
    station = tmp_path / "station.yaml"
    station.write_text(textwrap.dedent(two_supplies("/dev/ttyACM0", [1, 2], [2, 3])),
                       encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_station(station, registry)
    assert f"{station}:7: psu_b: module(s) 2 on /dev/ttyACM0 are driven by psu_a too" in \
        str(caught.value)


def test_different_protocols_cannot_share_a_channel(tmp_path, registry):
    from hil.can.channel import CanChannel
    from hil.can.codec import ModuleCodec
    from hil.can.mapping import shipped_mapping
    from hil.device import DeviceUnavailable

    env = WallClockEnvironment(FACTOR)
    first = CanChannel.shared(env, "a", ModuleCodec(shipped_mapping("infypower")), "x")
    try:
        with pytest.raises(DeviceUnavailable, match="must speak the same protocol"):
            CanChannel.shared(env, "b", ModuleCodec(shipped_mapping("winline")), "x")
    finally:
        first.stop()
