"""The BDD suites' fixtures and step library (the steps live in the ``steps`` package)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .steps.bench import Bench
from .steps.given import *  # noqa: F403 - step definitions are fixtures pytest must see here
from .steps.then import *  # noqa: F403
from .steps.when import *  # noqa: F403

KNOWN_BUG = "known_bug"


@pytest.fixture
def bench(tmp_path: Path, request: pytest.FixtureRequest) -> Bench:
    """The scenario a feature builds; each test has its own, in its own temporary directory."""
    return Bench(workdir=tmp_path, title=request.node.name)


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> Callable[..., Any] | None:
    """``@known_bug`` marks a scenario that shows a product bug (described in a comment above
    it): expected to fail, and strictly, so that the fix is noticed and the tag removed."""
    if tag == KNOWN_BUG:
        marker = pytest.mark.xfail(strict=True, reason="known product bug, see the comment "
                                                       "above the scenario in its feature file")
        return marker(function)
    return None
