"""junit.xml: the expectations of a run as JUnit test cases, for CI systems to display."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import PurePath

from reports.formatting import format_float
from reports.model import RunResult, is_missing, named_expectations

# Characters XML 1.0 cannot carry at all, even escaped; they would make the file unparsable.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MESSAGE_CHARS = 200


def _clean(text: object) -> str:
    return _INVALID_XML.sub("\ufffd", "" if text is None else str(text))


def classname(scenario_file: str) -> str:
    """The scenario file's stem ("scenarios/ac_basic.yaml" -> "ac_basic")."""
    stem = PurePath(scenario_file.replace("\\", "/")).stem if scenario_file else ""
    return stem or "scenario"


def junit_xml(result: RunResult) -> str:
    """The text of junit.xml; `time` attributes are simulated seconds, not wall time."""
    exps = result.expectations
    failures = len(result.failed_expectations)
    skipped = sum(e.kind == "invariant-off" for e in exps)
    sim_time = format_float(result.sim_time_s, 3) or "0.000"
    counts = {
        "tests": str(len(exps)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": sim_time,
    }
    root = ET.Element("testsuites", {"name": _clean(result.scenario), **counts})
    suite = ET.SubElement(root, "testsuite", {"name": _clean(result.scenario), **counts})
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("scenario_file", result.scenario_file),
        ("station", result.station),
        ("seed", str(result.seed)),
        ("time_base", "simulated"),
    ):
        ET.SubElement(props, "property", {"name": name, "value": _clean(value)})
    cls = _clean(classname(result.scenario_file))
    for named in named_expectations(exps):
        e = named.result
        # Safety invariants are their own class; one switched off (with its reason) is skipped.
        case_class = f"{cls}.invariants" if e.kind.startswith("invariant") else cls
        case = ET.SubElement(suite, "testcase", {"classname": case_class,
                                                 "name": _clean(named.name), "time": "0.000"})
        at = f"t = {format_float(e.t, 3)} s: " if not is_missing(e.t) else ""
        text = at + _clean(e.detail)
        if e.kind == "invariant-off":
            ET.SubElement(case, "skipped", {"message": _clean(e.detail)})
        elif e.passed:
            ET.SubElement(case, "system-out").text = text
        else:
            message = text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "…"
            failure = ET.SubElement(case, "failure", {"message": message,
                                                      "type": "ExpectationFailed"})
            failure.text = text
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
