"""The dashboard in a real browser (Debian's chromium through playwright), against a running
station: press "plug in" and "swipe" as a user would, and see charging start on the page, with
its energy counting and its plot drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import RunningStation

pytestmark = pytest.mark.browser


def test_plug_in_and_swipe_from_the_page_start_charging(browser, station: RunningStation,
                                                        tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto(station.dashboard)

    state = page.get_by_test_id("connector-1-state")
    state.wait_for()
    assert state.inner_text() == "Idle"
    page.get_by_test_id("connector-1-plug_in").click()
    page.get_by_test_id("reader-1-swipe").click()
    page.wait_for_function(
        "document.querySelector('[data-testid=connector-1-state]').textContent === 'Charging'",
        timeout=60_000)
    assert page.get_by_test_id("connector-1-session").inner_text() == "AABBCCDD"
    assert page.get_by_test_id("connector-2-state").inner_text() == "Idle"
    # The energy counts up and the plot receives the live current.
    page.wait_for_function(
        "parseFloat(document.querySelector('[data-testid=connector-1-energy]').textContent) > 0",
        timeout=60_000)
    page.wait_for_function(
        "document.getElementById('plot-1').data[0].y.some(v => v > 0)", timeout=60_000)
    assert page.locator("#plot-1 .main-svg").count() > 0
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"dashboard screenshot: {shot}")
    assert problems == []
    page.close()


def test_without_the_token_the_page_asks_for_it(browser, station: RunningStation) -> None:
    page = browser.new_page()
    page.goto(station.dashboard.split("#")[0])
    page.locator("#login").wait_for()
    assert page.get_by_test_id("connector-1-state").count() == 0
    page.fill("#token", "test-token-1234")
    page.click("#login-button")
    page.get_by_test_id("connector-1-state").wait_for()
    page.close()
