"""Car profiles: the shipped library loads and has the DC cars; a malformed profile file is
refused with the line and the reason of each problem; the hlc block's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charger.framework.errors import ConfigError
from sim.car.profiles import (
    HLC_DEFAULTS,
    HLC_FAULTS,
    HLC_OPTIONAL_FIELDS,
    car_profiles,
    hlc_behaviour,
    load_profiles,
)
from tests.support.broken_files import edited, marker_line

GOOD = """\
small-dc:
  description: a small DC car
  phases: 1
  max_current_a: 16
  battery_kwh: 40
  cv_start_soc_pct: 80
  efficiency: 0.9
  dc:
    cells_in_series: 96
    internal_resistance_ohm: 0.1
    max_voltage_v: 410
    max_current_a: 200
    power_curve_kw:
      - [0, 50]
      - [50, 50]
      - [100, 10]
  hlc:
    protocols: [din70121]
    fills: [soc]
    timing: {response_delay_s: 0.05}
    faults:
      - {fault: silent, at: CableCheck}
"""


def _load(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "profiles.yaml"
    path.write_text(text, encoding="utf-8")
    return load_profiles(path)


def test_shipped_profiles_include_400_and_800_volt_dc_cars() -> None:
    profiles = car_profiles()
    dc = {name: p for name, p in profiles.items() if "dc" in p}
    assert len(dc) >= 4
    assert any(p["dc"]["cells_in_series"] >= 170 for p in dc.values())  # an 800 V car
    assert any(p["dc"]["cells_in_series"] <= 110 for p in dc.values())  # a 400 V car
    assert all(hlc_behaviour(p) is not None for p in dc.values())
    # the AC cars are as they were
    assert profiles["sedan-3ph-11kw"]["max_current_a"] == 16 and "dc" not in \
        profiles["sedan-3ph-11kw"]


def test_good_file_and_its_hlc_defaults(tmp_path: Path) -> None:
    profile = _load(tmp_path, GOOD)["small-dc"]
    hlc = hlc_behaviour(profile)
    assert hlc is not None
    assert hlc.protocols == ("din70121",)
    assert hlc.energy_transfer_modes == tuple(HLC_DEFAULTS["energy_transfer_modes"])
    assert hlc.fills == frozenset({"soc"})
    assert hlc.response_delay_s == 0.05
    assert hlc.loop_interval_s == HLC_DEFAULTS["timing"]["loop_interval_s"]
    assert hlc.fault_at("CableCheck") == "silent" and hlc.fault_at("PreCharge") is None
    assert hlc_behaviour({"description": "AC only"}) is None


BROKEN = [
    # (edits, marker of the line the problem is on, words in the reason)
    ((("  phases: 1", "  phases: 4"),), "phases: 4", "phases"),
    ((("  efficiency: 0.9", "  efficiency: 0.9\n  top_speed: 200"),), "top_speed", "unknown key"),
    ((("      - [50, 50]", "      - [50, 50, 3]"),), "[50, 50, 3]", "power_curve_kw"),
    ((("      - [50, 50]", "      - [0, 40]"),), "[0, 40]", "SoC must increase"),
    ((("      - [100, 10]", "      - [90, 10]"),), "power_curve_kw:", "from 0 % to 100 %"),
    ((("    max_voltage_v: 410", "    max_voltage_v: 380"),), "max_voltage_v", "full voltage"),
    ((("    cells_in_series: 96", "    cells_in_series: many"),), "cells_in_series",
     "cells_in_series"),
    ((("    protocols: [din70121]", "    protocols: [iso15118-20]"),), "protocols",
     "iso15118-20"),
    ((("    fills: [soc]", "    fills: [soc, soc]"),), "fills", "non-unique"),
    ((("      - {fault: silent, at: CableCheck}", "      - {fault: silent}"),),
     "{fault: silent}", "needs `at`"),
    ((("      - {fault: silent, at: CableCheck}",
        "      - {fault: slac_no_match, at: PreCharge}"),), "slac_no_match", "takes no `at`"),
    ((("      - {fault: silent, at: CableCheck}", "      - {fault: silent, at: Teleport}"),),
     "Teleport", "Teleport"),
    ((("    protocols: [din70121]", "    protocols: [din70121]\n"
       "    energy_transfer_modes: [AC_three_phase_core]"),), "energy_transfer_modes",
     "carries no AC"),
    ((("    protocols: [din70121]", "    protocols: [din70121]\n"
       "    payment_options: [Contract]"),), "payment_options", "needs iso15118-2"),
    ((("small-dc:", "Small DC:"),), "Small DC", "does not match"),
]


@pytest.mark.parametrize(("edits", "marker", "reason"), BROKEN)
def test_a_broken_profile_is_refused_with_its_line(tmp_path: Path, edits: tuple,
                                                   marker: str, reason: str) -> None:
    text = edited(GOOD, edits)
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    problems = caught.value.problems
    assert any(p.line == marker_line(text, marker) and reason in p.reason for p in problems), \
        [str(p) for p in problems]


def test_dc_extended_needs_a_dc_block(tmp_path: Path) -> None:
    start, end = GOOD.index("  dc:\n"), GOOD.index("  hlc:\n")
    text = GOOD[:start] + GOOD[end:]
    with pytest.raises(ConfigError, match="DC_extended needs a dc block"):
        _load(tmp_path, text)


def test_vocabularies_are_documented() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "dc-hardware.md").read_text(encoding="utf-8")
    for word in [*HLC_OPTIONAL_FIELDS, *HLC_FAULTS]:
        assert f"`{word}`" in doc, word


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.text(max_size=200))
def test_any_text_is_profiles_or_a_located_refusal(tmp_path: Path, junk: str) -> None:
    text = GOOD.replace("  hlc:\n", junk + "\n  hlc:\n", 1)
    try:
        _load(tmp_path, text)
    except ConfigError as exc:
        assert exc.problems and all(p.path.endswith("profiles.yaml") for p in exc.problems)
