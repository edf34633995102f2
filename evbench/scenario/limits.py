"""How much one run may record, checked before it starts.

A run keeps its timeline and its signal samples in memory (conditions and expectations read the
recorded rows), so its size is bounded: the recorder and the sampler stop a run that reaches
their caps (reports.recorder), and a scenario that would reach them is refused up front with the
numbers, instead of running for hours to be cut short.
"""

from __future__ import annotations

import math

from charger.framework.errors import ConfigError, Problem
from charger.framework.yamlio import line_at, load_yaml
from evbench.scenario.model import Scenario
from reports.recorder import MAX_SIGNAL_ROWS, MAX_TIMELINE_ROWS

# Measured on the shipped stations: a connector's meter and its car each publish once per
# simulated second, whatever the sample interval.
TIMELINE_ROWS_PER_CONNECTOR_SECOND = 2
# A fleet's meters and cars report once per metering interval; with the energy tree's traffic,
# measured on the shipped fleet scenarios, at most this many rows per connector per interval.
FLEET_ROWS_PER_CONNECTOR_INTERVAL = 3


def run_size_problems(scenario: Scenario, connectors: int, max_rows: int | None = None
                      ) -> list[Problem]:
    """What in ``scenario`` would make a run on a station with ``connectors`` connectors record
    more than the caps allow (``max_rows``: both caps, instead of the recorder's)."""
    max_signal_rows = max_rows or MAX_SIGNAL_ROWS
    max_timeline_rows = max_rows or MAX_TIMELINE_ROWS
    rate = (TIMELINE_ROWS_PER_CONNECTOR_SECOND if scenario.fleet is None
            else FLEET_ROWS_PER_CONNECTOR_INTERVAL / scenario.fleet.metering_s)
    connectors = max(1, connectors)
    duration, interval = scenario.duration_s, scenario.sample_interval_s
    if not interval > 0 or not math.isfinite(duration):
        return []  # refused by the loader already
    problems = []
    samples = (math.floor(duration / interval) + 1) * connectors
    per = f" × {connectors} connectors" if connectors > 1 else ""
    span = f"{duration:,.0f} s" if duration >= 1 else f"{duration:g} s"
    if samples > max_signal_rows:
        key = "sample_interval" if interval < 1.0 else "duration"
        problems.append(Problem(scenario.path, _line(scenario, key),
                                f"the run would record {samples:,} signal rows (duration "
                                f"{span} / sample_interval {interval:g} s{per}); the "
                                f"limit is {max_signal_rows:,}: shorten the duration or sample "
                                "less often"))
    timeline = math.ceil(duration * connectors * rate)
    if timeline > max_timeline_rows:
        longest = max_timeline_rows / (connectors * rate)
        problems.append(Problem(scenario.path, _line(scenario, "duration"),
                                f"the run would record about {timeline:,} timeline rows "
                                f"({rate:g} per second per "
                                f"connector over {span}{per}); the limit is "
                                f"{max_timeline_rows:,}: at most {longest:,.0f} s "
                                f"({longest / 3600:.1f} h) on this station"))
    return problems


def check_run_size(scenario: Scenario, connectors: int, max_rows: int | None = None) -> None:
    """Raise ConfigError when a run of ``scenario`` would exceed the recording caps."""
    problems = run_size_problems(scenario, connectors, max_rows)
    if problems:
        raise ConfigError(problems)


def _line(scenario: Scenario, key: str) -> int | None:
    # Only on refusal: the scenario model keeps no lines for its top-level keys.
    try:
        return line_at(load_yaml(scenario.path), [key])
    except ConfigError:
        return None
