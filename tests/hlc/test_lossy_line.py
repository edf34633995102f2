"""Loss on the simulated power line costs time, not bytes: SLAC repeats its requests and TCP
retransmits lost segments, so the session setup (2-5 s message timeouts) survives 10 % loss,
while the charging loop's 250 ms message timeout does not survive a single lost frame; the
EVSE manager then fails the session with the V2G reason and ends the transaction."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from charger.iso15118.plc import PROTO_TCP, parse_frame
from evbench.scenario import run_scenario

STATION = Path(__file__).resolve().parents[2] / "scenarios" / "stations" / "dc-1-connector.yaml"


def test_setup_survives_loss_and_the_loop_fails_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "lossy.yaml"
    path.write_text(f"""scenario: a lossy line
station: {STATION}
duration: 60 s
module_config:
  plc: {{loss: 0.1}}
world:
  cars:
    - connector: 1
      profile: polestar-2-lr
      soc_pct: 30
steps:
  - at: 1 s
    do: plug_in
  - at: 3 s
    do: swipe
    token: AABBCCDD
expect:
  - happens: {{var: cable_check_finished, source: car1_evcc.ev}}
  - happens: {{var: hlc_phase, value: {{hlc: Failed}}}}
  - happens: {{var: session_event, value: {{event: TransactionFinished, reason: Other}}}}
""", encoding="utf-8")
    result = run_scenario(path)
    assert not [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]
    events = result.events
    sent = events[(events["kind"] == "cmd") & events["name"].str.endswith("send_frame")]
    frames = [json.loads(v)["args"]["frame"] for v in sent["value"]]
    segments = Counter()
    for frame in frames:
        if frame[24:28].upper() == "86DD":
            _dst, packet = parse_frame(bytes.fromhex(frame))
            if packet.proto == PROTO_TCP and packet.payload:
                segments[(packet.src, packet.seq, packet.payload)] += 1
    assert max(segments.values()) > 1  # a lost V2G segment was retransmitted
    phases = [json.loads(v) for v in events[events["name"] == "hlc_phase"]["value"]]
    failed = next(p for p in phases if p["hlc"] == "Failed")
    assert failed["reason"].startswith("V2G: ")
    # the message the loop's timer gave up on is the car's, 250 ms after its request
    car_end = events[(events["source"] == "car1_evcc.ev") &
                     (events["name"] == "session_finished")]["value"].iloc[0]
    assert "within 0.25 s" in car_end
