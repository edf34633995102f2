"""evbench's own BDD suites run through the installed plugin (evbench.bdd.plugin); this file
only adds the project's ``@known_bug`` tag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

KNOWN_BUG = "known_bug"


def pytest_bdd_apply_tag(tag: str, function: Callable[..., Any]) -> Callable[..., Any] | None:
    """``@known_bug`` marks a scenario that shows a product bug (described in a comment above
    it): expected to fail, and strictly, so that the fix is noticed and the tag removed."""
    if tag == KNOWN_BUG:
        marker = pytest.mark.xfail(strict=True, reason="known product bug, see the comment "
                                                       "above the scenario in its feature file")
        return marker(function)
    return None
