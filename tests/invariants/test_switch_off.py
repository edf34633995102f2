"""A scenario switches an invariant off only with a written reason, and every report says so."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from charger.framework.errors import ConfigError
from evbench.cli import main
from evbench.scenario.invariants import INVARIANT_NAMES
from evbench.scenario.loader import load_scenario
from tests.invariants.conftest import STATIONS

OVERDRAW = f"""\
scenario: a car that over-draws on purpose
station: {STATIONS}/ac-1-connector.yaml
duration: 30 s
module_config: {{auth: {{free_charging: true}}}}
world: {{cars: [{{connector: 1, profile: suv-3ph-22kw}}]}}
invariants:
  current_within_offer: {{off_because: "the over-current reaction is what this scenario looks at"}}
steps:
  - at: 1 s
    do: ev_script
    script: "draw_power_fixed 45,3"
"""


def test_the_reason_is_shown_in_summary_report_and_junit(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "overdraw.yaml"
    path.write_text(OVERDRAW, encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    off = summary["invariants"]["switched_off"]
    assert list(off.values()) == ["switched off by the scenario: the over-current reaction is "
                                  "what this scenario looks at"]
    assert summary["invariants"]["judged"] == len(INVARIANT_NAMES) - 1
    assert summary["invariants"]["violated"] == []
    assert {e["kind"] for e in summary["expectations"]} == {"implicit", "invariant",
                                                             "invariant-off"}
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    skipped = junit.findall(".//testcase/skipped")
    assert [s.get("message") for s in skipped] == list(off.values())
    assert junit.find("testsuite").get("skipped") == "1"
    html = (tmp_path / "out" / "report.html").read_text()
    assert 'id="invariants"' in html and "what this scenario looks at" in html


def test_without_the_switch_the_same_run_fails_on_the_invariant(tmp_path: Path) -> None:
    # The charger trips after 2 s, within the 3 s allowed: the switch above is not needed for
    # the charger's sake. With the trip delay raised past it, the invariant catches the car.
    text = OVERDRAW.replace('invariants:\n  current_within_offer: {off_because: "the over-current '
                            'reaction is what this scenario looks at"}\n',
                            "")
    text = text.replace("{auth: {free_charging: true}}",
                        "{auth: {free_charging: true}, evse1: {overcurrent_trip_delay_s: 5}}")
    path = tmp_path / "slow_trip.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert len(summary["invariants"]["violated"]) == 1
    assert "over-drawing car is cut off" in summary["invariants"]["violated"][0]


@pytest.mark.parametrize(("setting", "message"), [
    ("{lock_is_great: {off_because: because}}", "unknown invariant 'lock_is_great' (known: "),
    ("{current_within_offer: {}}", "'off_because' is a required property"),
    ("{current_within_offer: {off_because: ''}}", "is too short"),
    ("{current_within_offer: true}", "is not of type 'object'"),
])
def test_a_switch_without_a_reason_or_for_no_invariant_is_refused_with_its_line(
        tmp_path: Path, setting: str, message: str) -> None:
    switch = OVERDRAW.splitlines(keepends=True)[5:7]
    text = OVERDRAW.replace("".join(switch), f"invariants: {setting}\n")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    problems = caught.value.problems
    assert any(message in p.reason and p.line == 6 for p in problems), problems


def test_every_invariant_can_be_named(write_scenario: Callable[[str], Path]) -> None:
    for name in INVARIANT_NAMES:
        scenario = load_scenario(write_scenario(
            OVERDRAW.replace("current_within_offer:", f"{name}:")))
        assert list(scenario.invariants_off) == [name]


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[str], Path]:
    def _write(text: str) -> Path:
        path = tmp_path / "s.yaml"
        path.write_text(text, encoding="utf-8")
        return path
    return _write
