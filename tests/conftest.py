"""Fixtures shared by the test folders."""

pytest_plugins = ["tests.support.browser"]  # browser: Debian's chromium through playwright
