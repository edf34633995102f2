"""A real browser for the tests of web pages: Debian's chromium, driven by playwright (no
browser download); tools/run-tests installs chromium when it is missing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = ("chromium", "chromium-browser")


def chromium_path() -> str:
    for name in CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("chromium is not installed (Debian: apt-get install chromium; tools/run-tests "
                "installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # As root, chromium refuses to start with its sandbox.
        launched = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()
