"""junit.xml: one test case per expectation, failures carry the detail."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from reports import ExpectationResult, RunResult, empty_events, empty_signals, write_report
from reports.junit import classname


def test_junit_counts_and_cases(run: RunResult, tmp_path: Path) -> None:
    root = ET.parse(write_report(run, tmp_path)["junit"]).getroot()
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    assert suite.get("name") == run.scenario
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    assert suite.get("errors") == "0"
    assert suite.get("time") == "299.000"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [e.name for e in run.expectations]
    assert {c.get("classname") for c in cases} == {"two_cars_shared_grid"}
    failures = suite.findall("testcase/failure")
    assert len(failures) == 1
    assert "MREC2GroundFailure raised at 120.000 s" in (failures[0].text or "")
    assert "MREC2GroundFailure" in (failures[0].get("message") or "")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["seed"] == "7" and props["time_base"] == "simulated"


def test_junit_survives_control_characters(tmp_path: Path) -> None:
    exp = ExpectationResult("odd \x1b[31mname", False, "bad\x00byte </failure> & <x>", 1.0)
    run = RunResult("s", "dir/case.yml", "st", 1, empty_events(), empty_signals(), [exp])
    root = ET.parse(write_report(run, tmp_path)["junit"]).getroot()
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "</failure> & <x>" in (failure.text or "")


def test_junit_without_expectations(tmp_path: Path) -> None:
    run = RunResult("s", "", "st", 1, empty_events(), empty_signals(), [])
    suite = ET.parse(write_report(run, tmp_path)["junit"]).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "0"


def test_classname_is_file_stem() -> None:
    assert classname("scenarios/ac/basic.yaml") == "basic"
    assert classname("C:\\runs\\dc_fast.yaml") == "dc_fast"
    assert classname("") == "scenario"
