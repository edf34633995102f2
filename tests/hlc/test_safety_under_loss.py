"""Whatever the power line loses and whenever the car is unplugged, a DC session keeps every
safety invariant (the DC contactors only after a passed cable check and pre-charge among them)
and no module raises."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evbench.scenario import run_scenario

STATION = Path(__file__).resolve().parents[2] / "scenarios" / "stations" / "dc-1-connector.yaml"


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), loss=st.sampled_from([0.0, 0.01, 0.03, 0.08]),
       unplug_at=st.floats(2.0, 40.0), profile=st.sampled_from(
           ["tesla-model3-lr", "polestar-2-lr", "hyundai-ioniq5-72"]))
def test_dc_sessions_keep_the_invariants(tmp_path: Path, seed: int, loss: float,
                                         unplug_at: float, profile: str) -> None:
    path = tmp_path / f"fuzz_{seed}.yaml"
    path.write_text(f"""scenario: DC under loss
station: {STATION}
duration: 50 s
seed: {seed}
module_config:
  plc: {{loss: {loss}}}
world:
  cars:
    - connector: 1
      profile: {profile}
      soc_pct: 40
steps:
  - at: 1 s
    do: plug_in
  - at: 2 s
    do: swipe
    token: AABBCCDD
  - at: {unplug_at:.3f} s
    do: unplug
""", encoding="utf-8")
    result = run_scenario(path)
    failed = [f"{e.name}: {e.detail}" for e in result.expectations if not e.passed]
    assert not failed
    assert any("DC contactors" in e.name for e in result.expectations)
