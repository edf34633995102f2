"""Shrinking a violating scenario: drop what is not needed to see the violation again.

Greedy and deterministic: first every step (last to first) is dropped if the violation persists
without it, then every car with the steps on its connector, then the run is cut short after the
last step. Each try is one run, so a scenario with n steps costs about n + cars + 1 runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from evbench.scenario.durations import parse_duration

CAR_ACTIONS = ("plug_in", "unplug", "pause", "resume", "fault", "set_soc", "ev_script")
MARGIN_S = 30.0  # simulated time kept after the last step when cutting the run short


def shrink(doc: dict[str, Any], still_fails: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    best = copy.deepcopy(doc)
    index = len(best["steps"]) - 1
    while index >= 0:
        trial = copy.deepcopy(best)
        del trial["steps"][index]
        if still_fails(trial):
            best = trial
        index -= 1

    for car in list(best["world"]["cars"]):
        if len(best["world"]["cars"]) == 1:
            break
        trial = copy.deepcopy(best)
        trial["world"]["cars"] = [c for c in trial["world"]["cars"]
                                  if c["connector"] != car["connector"]]
        trial["steps"] = [s for s in trial["steps"]
                          if s.get("connector", 1) != car["connector"]
                          or s["do"] not in CAR_ACTIONS]
        if still_fails(trial):
            best = trial

    if best["steps"]:
        last = max(parse_duration(s["at"]) for s in best["steps"] if "at" in s)
        cut = last + MARGIN_S
        if cut < parse_duration(best["duration"]):
            trial = dict(copy.deepcopy(best), duration=f"{cut:g} s")
            if still_fails(trial):
                best = trial
    return best
