"""Scenario files: load and check them, run them on the simulated world, judge expectations."""

from typing import Any

from evbench.scenario.loader import load_scenario


def run_scenario(*args: Any, **kwargs: Any) -> Any:
    """See :func:`evbench.scenario.runner.run_scenario` (imported on use: it needs pandas)."""
    from evbench.scenario.runner import run_scenario as run

    return run(*args, **kwargs)


__all__ = ["load_scenario", "run_scenario"]
