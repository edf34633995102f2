"""The fuzzer's actions: one table, one entry per scenario action it draws.

Each entry names a scenario action (``do:``), how often it is drawn and how its arguments are
drawn; what the station must have for it (a car, a reader, a grid, a backend) comes from the
scenario vocabulary (``evbench.scenario.actions.ACTIONS``), so the two cannot disagree. Adding
an action to the fuzzer is adding a row here.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evbench.scenario.actions import ACTIONS as SCENARIO_ACTIONS

# Drawn from what the scenario vocabulary admits, so a new fault or reason is fuzzed too.
FAULTS = tuple(SCENARIO_ACTIONS["fault"].arguments["fault"]["enum"])
STOP_REASONS = tuple(SCENARIO_ACTIONS["stop_transaction"].arguments["reason"]["enum"])
CSMS_OPERATIONS = ("remote_start", "remote_stop", "set_charging_profile",
                   "clear_charging_profile", "go_offline", "go_online")


@dataclass(frozen=True)
class FuzzAction:
    action: str  # the scenario action (``do:``)
    weight: int  # relative frequency
    args: Callable[[random.Random, Any], dict[str, Any]]  # (rng, StationFacts) -> arguments

    @property
    def needs(self) -> str | None:
        """What of the station the action needs, as the scenario vocabulary declares it."""
        return SCENARIO_ACTIONS[self.action].needs


def _none(rng: random.Random, facts: Any) -> dict[str, Any]:
    return {}


def _swipe(rng: random.Random, facts: Any) -> dict[str, Any]:
    tokens = list(facts.tokens) + ["UNKNOWN1"]
    return {"token": rng.choice(tokens)}


def _fault(rng: random.Random, facts: Any) -> dict[str, Any]:
    fault = rng.choice(FAULTS)
    args: dict[str, Any] = {"fault": fault, "active": rng.random() < 0.6}
    if fault == "rcd" and args["active"]:
        args["current_ma"] = rng.choice([10, 30, 45, 100])
        args["dc"] = rng.random() < 0.3
    return args


def _set_soc(rng: random.Random, facts: Any) -> dict[str, Any]:
    return {"soc_pct": rng.choice([5, 30, 60, 85, 95, 99.5])}


def _grid(rng: random.Random, facts: Any) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.3:
        return {"available": rng.random() < 0.5}
    if roll < 0.4:
        return {"voltage_v": rng.choice([207.0, 230.0, 253.0])}
    return {"max_current_a": rng.choice([0, 4, 6, 10, 16, 20, 32, 40, 63])}


def _ev_script(rng: random.Random, facts: Any) -> dict[str, Any]:
    # Mostly well-behaved; sometimes a car that draws more than it is offered.
    amps = rng.choice([6, 10, 16, 32])
    phases = rng.choice([1, 3])
    roll = rng.random()
    if roll < 0.35:
        script = f"draw_power_fixed {rng.choice([10, 20, 32, 45])},{phases}"
    elif roll < 0.7:
        script = f"iec_wait_pwr_ready;draw_power_regulated {amps},{phases}"
    elif roll < 0.85:
        script = f"draw_power_regulated {amps},{phases};sleep {rng.randint(5, 60)};pause"
    else:
        script = f"sleep {rng.randint(1, 30)};unplug"
    return {"script": script}


def _stop(rng: random.Random, facts: Any) -> dict[str, Any]:
    return {"reason": rng.choice(STOP_REASONS)}


def _csms(rng: random.Random, facts: Any) -> dict[str, Any]:
    operation = rng.choice(CSMS_OPERATIONS)
    args: dict[str, Any] = {}
    if operation == "remote_start":
        args = {"id_token": rng.choice(list(facts.tokens) or ["REMOTE01"])}
    elif operation == "set_charging_profile":
        args = {"purpose": rng.choice(["TxDefault", "ChargePointMax"]),
                "profile_id": rng.randint(1, 3), "limit": rng.choice([0, 6, 10, 16, 32])}
        if args["purpose"] == "ChargePointMax":
            args["connector"] = 0
    return {"operation": operation, "args": args}


ACTIONS: tuple[FuzzAction, ...] = (
    FuzzAction("plug_in", 12, _none),
    FuzzAction("unplug", 8, _none),
    FuzzAction("pause", 4, _none),
    FuzzAction("resume", 4, _none),
    FuzzAction("swipe", 10, _swipe),
    FuzzAction("fault", 4, _fault),
    FuzzAction("set_soc", 2, _set_soc),
    FuzzAction("ev_script", 4, _ev_script),
    FuzzAction("grid", 5, _grid),
    FuzzAction("charger_pause", 3, _none),
    FuzzAction("charger_resume", 3, _none),
    FuzzAction("stop_transaction", 3, _stop),
    FuzzAction("enable", 2, _none),
    FuzzAction("disable", 2, _none),
    FuzzAction("csms", 6, _csms),
)
