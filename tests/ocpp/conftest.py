"""Fixtures of the OCPP tests: a real OCPP backend (the ocpp package's central-system side on a
websockets server on a free loopback port) and wall-clock stations talking to it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from ocpp_testkit.csms import TestCsms  # noqa: E402


@pytest.fixture
def csms() -> Iterator[TestCsms]:
    server = TestCsms().start()
    yield server
    server.stop()
