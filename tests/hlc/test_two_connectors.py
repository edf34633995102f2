"""Two ISO 15118-2 connectors on one power line with crosstalk: each car matches its own EVSE by
SLAC, and its V2G session (SDP, TCP, every message) reaches its own SECC only, although the
neighbour's EVSE hears its SLAC sounds."""

from __future__ import annotations

import json
from pathlib import Path

from evbench.scenario import run_scenario

HERE = Path(__file__).resolve().parent
SCRIPT = ("sleep {delay};iso_wait_slac_matched;iso_start_v2g_session AC;iso_wait_pwr_ready;"
          "iso_draw_power_regulated 16,3;sleep 30;iso_stop_charging;"
          "iso_wait_v2g_session_stopped;unplug")


def test_each_car_talks_to_its_own_charger(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(f"""scenario: two ISO 15118-2 cars side by side
station: {HERE / 'stations' / 'ac-2-connectors-iso15118.yaml'}
duration: 2 min
world:
  cars:
    - connector: 1
      profile: hyundai-ioniq5-72
      script: "{SCRIPT.format(delay=1)}"
    - connector: 2
      profile: hyundai-ioniq5-72
      script: "{SCRIPT.format(delay=1.5)}"
steps:
  - at: 110 s
    do: end
expect:
  - happens: {{session: ChargingStarted, connector: 1}}
  - happens: {{session: ChargingStarted, connector: 2}}
""", encoding="utf-8")
    result = run_scenario(path)
    failed = [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]
    assert not failed
    events = result.events

    def values(source: str, name: str) -> list:
        rows = events[(events["source"] == source) & (events["name"] == name)]
        return [json.loads(v) for v in rows["value"]]

    # The EVSEs both heard each car's sounds (crosstalk): SLAC frames crossed connectors...
    received = values("plc.evse", "received")
    assert {r["port"] for r in received if r["decoded"].get("message") == "CM_MNBC_SOUND.IND"
            } == {1, 2}
    # ...but each SECC's session is with its own car, and data frames never crossed.
    for connector in (1, 2):
        car_id = values(f"car{connector}_evcc.ev", "v2g_message")
        assert car_id, connector
        secc_ids = values(f"secc{connector}.charger", "evcc_id")
        setup = [m for m in values(f"car{connector}_evcc.ev", "v2g_message")
                 if m["name"] == "SessionSetupReq"]
        sent_id = json.dumps(setup[0]["message"])
        assert len(secc_ids) == 1 and secc_ids[0].replace(":", "") in sent_id.upper()
    data = [r for r in received if r["decoded"].get("message", "").startswith("IPv6")]
    evse_hosts = {r["port"]: set() for r in data}
    for r in data:
        evse_hosts[r["port"]].add(r["decoded"]["src"])
    # each EVSE port received IPv6 from exactly one host (its own car)
    assert all(len(hosts) == 1 for hosts in evse_hosts.values())
    assert evse_hosts[1] != evse_hosts[2]
