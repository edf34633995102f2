"""Random but valid scenarios for one station, from a seeded generator.

``station_facts`` reads what a station offers (connectors, RFID readers, a simulated grid and
OCPP backend, known tokens, an Auth module); ``generate_scenario`` draws a scenario document
(the same dict a scenario file holds) from a ``random.Random``: cars with random profiles and
states on 1 to all connectors, and steps from ``actions.ACTIONS`` at random times over a few
minutes of simulated time. The same seed and index always give the same document.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charger.framework.config import load_station
from charger.framework.registry import ModuleRegistry
from evbench.fuzz.actions import ACTIONS, FuzzAction
from sim.car.profiles import car_profiles

MIN_DURATION_S, MAX_DURATION_S = 60, 300  # short: thousands of runs stay cheap


@dataclass(frozen=True)
class StationFacts:
    path: str  # the station file, absolute
    connectors: tuple[int, ...]  # connectors with an EVSE manager and a simulated board
    readers: bool
    grid: bool
    csms: bool
    tokens: tuple[str, ...]  # tokens some module of the station knows
    auth_module: str | None  # an Auth module (its free-charging mode is drawn)

    def offers(self, action: FuzzAction) -> bool:
        # (a car is put on every connector a step names; "module" and None are not drawn)
        return {"car": True, "evse": True, "reader": self.readers, "grid": self.grid,
                "csms": self.csms}.get(action.needs or "", False)


def station_facts(path: str | Path, registry: ModuleRegistry) -> StationFacts:
    """What the station at ``path`` offers a generated scenario (raises ConfigError if bad)."""
    station = load_station(path, registry)

    def provides(inst, interface: str) -> bool:
        manifest = registry.get(inst.module).manifest
        return any(p.interface == interface for p in manifest.provides.values())

    connectors, tokens, auth = [], [], None
    for inst in station.modules.values():
        if provides(inst, "evse_manager"):
            board = (inst.connections.get("board") or [None])[0]
            board_id = board[0] if isinstance(board, tuple) else str(board).split(".")[0]
            board_inst = station.modules.get(board_id)
            if board_inst is not None and provides(board_inst, "ev_board_support"):
                connectors.append(int(inst.config.get("connector_id", 1)))
        found = inst.config.get("tokens")
        if isinstance(found, dict):
            tokens += [t for t, status in found.items() if status == "Accepted"]
        elif isinstance(found, list):
            tokens += [str(t) for t in found]
        if inst.module == "Auth":
            auth = inst.id
    return StationFacts(
        path=str(Path(path).resolve()), connectors=tuple(sorted(set(connectors))),
        readers=any(provides(i, "rfid_simulator") for i in station.modules.values()),
        grid=any(provides(i, "grid_simulator") for i in station.modules.values()),
        csms=any(provides(i, "csms_simulator") for i in station.modules.values()),
        tokens=tuple(dict.fromkeys(tokens)), auth_module=auth)


def _car(rng: random.Random, connector: int) -> dict[str, Any]:
    car: dict[str, Any] = {"connector": connector,
                           "profile": rng.choice(sorted(car_profiles())),
                           "soc_pct": rng.choice([10, 20, 50, 80, 97]),
                           # The standard gives a car 5 s to follow a lower duty.
                           "reaction_time_s": rng.choice([0.2, 1.0, 2.0, 4.5])}
    if rng.random() < 0.2:
        car["target_soc_pct"] = rng.choice([60, 90])
    return car


def generate_scenario(facts: StationFacts, rng: random.Random, title: str = "fuzz",
                      station_ref: str | None = None, seed: int = 0) -> dict[str, Any]:
    """A random scenario document for the station. ``station_ref`` is how the document names
    the station (default: its absolute path)."""
    if not facts.connectors:
        raise ValueError(f"{facts.path}: no connector with a simulated board to fuzz")
    count = rng.randint(1, len(facts.connectors))
    connectors = sorted(rng.sample(list(facts.connectors), count))
    duration = rng.randint(MIN_DURATION_S, MAX_DURATION_S)
    doc: dict[str, Any] = {
        "scenario": title,
        "station": station_ref or facts.path,
        "duration": f"{duration} s",
        "seed": seed,
        "world": {"cars": [_car(rng, c) for c in connectors]},
    }
    if facts.auth_module and rng.random() < 0.4:
        doc["module_config"] = {facts.auth_module: {"free_charging": True}}

    usable = [a for a in ACTIONS if facts.offers(a)]
    weights = [a.weight for a in usable]
    times = sorted(round(rng.uniform(0.5, duration - 1), 1)
                   for _ in range(rng.randint(2, 24)))
    steps = []
    for t in times:
        action = rng.choices(usable, weights)[0]
        # Most sessions begin with a plug-in: bias the first steps towards it.
        if len(steps) < count and rng.random() < 0.6:
            action = next(a for a in ACTIONS if a.action == "plug_in")
        step: dict[str, Any] = {"at": f"{t:g} s", "do": action.action}
        if action.needs in ("car", "evse", "csms") and action.action != "csms":
            step["connector"] = rng.choice(connectors)
        step.update(action.args(rng, facts))
        if action.action == "csms" and "connector" not in step["args"]:
            step["connector"] = rng.choice(connectors)
        steps.append(step)
    doc["steps"] = steps
    return doc


def station_ref_from(directory: str | Path, station_path: str) -> str:
    """How a scenario file in ``directory`` names the station: relative when possible."""
    try:
        return os.path.relpath(station_path, directory)
    except ValueError:  # another drive
        return station_path
