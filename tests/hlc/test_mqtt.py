"""A DIN DC session with every module its own process on MQTT (wall clock): SLAC, SDP and TCP
over the simulated power line's frames, cable check, pre-charge, current demand and the car's
stop work on the MQTT bus as in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.broker import PrivateBroker
from evbench.scenario.runner import run_scenario

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
SCRIPT = ("sleep 1;iso_wait_slac_matched;iso_start_v2g_session DC;iso_wait_pwr_ready;"
          "iso_wait_for_stop 10;iso_wait_v2g_session_stopped;unplug")
STATION = Path(__file__).resolve().parents[2] / "scenarios" / "stations" / "dc-1-connector.yaml"


def test_a_dc_session_over_mqtt(tmp_path: Path) -> None:
    path = tmp_path / "mqtt_dc.yaml"
    path.write_text(f"""scenario: DC DIN over MQTT
station: {STATION}
duration: 45 s
world:
  cars:
    - connector: 1
      profile: tesla-model3-lr
      soc_pct: 30
      script: "{SCRIPT}"
steps:
  - at: 3 s
    do: swipe
    token: AABBCCDD
expect:
  - happens: {{session: ChargingStarted}}
  - happens: {{var: session_finished, source: secc1.charger, value: "stopped by the car"}}
  - happens: {{var: hlc_phase, value: {{dc: Finished}}}}
""", encoding="utf-8")
    # Real time: the V2G message timers (250 ms in the charging loop) hold in wall seconds.
    with PrivateBroker() as broker:
        result = run_scenario(path, bus_url=broker.url, factor=1.0, log_dir=tmp_path / "logs")
    failed = [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]
    assert not failed
    assert result.energy_wh[1] > 50
