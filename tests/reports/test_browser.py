"""report.html in a real browser: Debian's chromium, driven by playwright (no browser download).

The page is opened from disk as a user would open it (file://, offline). The test draws a box on
one plot as a user zooms, and clicks a failed-expectation label as a user would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from reports import RunResult, write_report

pytestmark = pytest.mark.browser

def _with_ocpp(run: RunResult) -> RunResult:
    def frame(t: float, direction: str, kind: str, action: str) -> tuple:
        value = {"direction": direction, "message_type": kind, "action": action,
                 "unique_id": f"id-{t:g}", "payload": {}}
        return (t, "ocpp.main", "var", "ocpp_message", json.dumps(value))

    # More messages than the diagram shows at once (40 rows), so that it has to scroll.
    rows = [frame(1.0, "tx", "Call", "BootNotification"),
            frame(1.1, "rx", "CallResult", "BootNotification"),
            *(frame(float(t), "tx", "Call", "MeterValues") for t in range(5, 300, 5))]
    extra = pd.DataFrame(rows, columns=list(run.events.columns))
    run.events = pd.concat([run.events, extra], ignore_index=True).sort_values(
        "t", kind="stable").reset_index(drop=True)
    return run


def _ranges(page) -> dict[str, list[float]]:
    return page.evaluate("""() => Object.fromEntries(window.evbenchReport.plots.map(
        d => [d.id, d._fullLayout.xaxis.range.slice()]))""")


def test_report_in_chromium(browser, make_run: Callable[..., RunResult],
                            tmp_path: Path) -> None:
    run = _with_ocpp(make_run())
    report = write_report(run, tmp_path / "run")["report"]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(report.as_uri())

    # Every plot is drawn: plotly.js made its SVG with one group per line.
    plots = page.locator("div.plot")
    page.wait_for_function("document.querySelectorAll('div.plot .main-svg').length > 0")
    count = plots.count()
    assert count >= 10  # the signal panels, and the sequence diagram
    for i in range(count):
        assert plots.nth(i).locator("g.trace").count() > 0, plots.nth(i).get_attribute("id")

    # Zoom: draw a box across the middle of the current plot, as a user does with the mouse.
    before = _ranges(page)
    assert len(before) == count - 1
    page.locator("#plot-current").scroll_into_view_if_needed()
    area = page.locator("#plot-current .nsewdrag").bounding_box()  # in the viewport
    y = area["y"] + area["height"] / 2
    page.mouse.move(area["x"] + area["width"] * 0.3, y)
    page.mouse.down()
    page.mouse.move(area["x"] + area["width"] * 0.45, y, steps=5)
    page.mouse.move(area["x"] + area["width"] * 0.6, y, steps=5)
    page.mouse.up()
    page.wait_for_function("""() => window.evbenchReport.plots.every(
        d => d._fullLayout.xaxis.range[1] - d._fullLayout.xaxis.range[0] < 200)""")
    after = _ranges(page)
    zoomed = after["plot-current"]
    assert 60 < zoomed[0] < 120 and 150 < zoomed[1] < 210, zoomed
    for plot_id, r in after.items():
        assert r == pytest.approx(zoomed, abs=1e-6), plot_id
        assert r != before[plot_id]
    # The sequence diagram scrolled to the span's first message.
    times = [1.0, 1.1, *range(5, 300, 5)]
    first = next(i for i, t in enumerate(times) if t >= zoomed[0])
    rows = page.evaluate(
        "() => document.getElementById('sequence-diagram')._fullLayout.yaxis.range")
    assert rows[1] == pytest.approx(first - 0.9) and rows[0] == pytest.approx(first + 39.5)
    band = page.evaluate(
        "() => document.getElementById('sequence-diagram')._fullLayout.shapes[0]")
    last = max(i for i, t in enumerate(times) if t <= zoomed[1])
    assert band["visible"] and (band["y0"], band["y1"]) == (first - 0.5, last + 0.5)

    # A failed expectation's label sits on the plots; clicking it shows its row.
    failed = next(e for e in run.expectations if not e.passed)
    page.evaluate("() => window.evbenchReport.setTimeRange('auto', null)")
    label = page.locator("#plot-current g.annotation", has_text=failed.name[:20]).first
    label.click()
    page.wait_for_function("location.hash.length > 1")
    anchor = page.evaluate("location.hash").lstrip("#")
    row = page.locator(f"tr#{anchor}")
    assert failed.name in row.inner_text()
    assert "fail" in (row.get_attribute("class") or "")
    assert page.evaluate(f"""() => {{ const r = document.getElementById('{anchor}')
        .getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }}""")

    # The event table's filter keeps the rows holding the text.
    page.locator("#events summary").click()
    page.locator("#ev-filter").fill("mrec2groundfailure")
    visible = page.locator("#ev-table tbody tr:visible")
    assert visible.count() == 2 and "MREC2GroundFailure" in visible.first.inner_text()

    shot = tmp_path / "report.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot of the report: {shot}")
    page.close()
    assert problems == []
