"""EnergyManager: keeps the tree's flat table and sets every EVSE's limit.

The root's requests carry only what changed below it; the manager keeps the whole table, shares
by water-filling (``flat.share``) or, with a policy, by the schedule of the linear program
(``optimiser``), re-solved whenever something changes and at every period boundary
(model-predictive). Only the limits that changed are sent down.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import replace
from typing import Any

import numpy as np

from charger.energy.flat import FlatTree, share
from charger.energy.messages import PHASES, EnergyRequest, NodeEntry
from charger.energy.optimiser import POLICIES, Forecast, Problem, plan, watts_per_amp
from charger.framework import Module, command
from charger.framework.errors import Problem as ConfigProblem

# A car's need counts as met within this of it. The estimate of what it got adds many small
# steps: a remainder of 1e-12 Wh would schedule its need check ever closer to now, at the same
# instant in floating point, and the run would stand still.
NEED_MET_WITHIN_WH = 1.0


class EnergyManager(Module):
    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[ConfigProblem]:
        """metered_evses names the EVSE of each meter connection: as many as there are."""
        named = len(instance.config.get("metered_evses", []))
        meters = len(instance.connections.get("meters") or [])
        if named == meters:
            return []
        where = instance.line("config", "metered_evses") or instance.line()
        return [ConfigProblem(instance.path, where,
                              f"{instance.id}: metered_evses names {named} EVSEs for {meters} "
                              "meters connected (one each, in the same order)")]

    def init(self) -> None:
        self.root = self.require("root")
        self.entries: dict[str, NodeEntry] = {}
        self.tree: FlatTree | None = None
        self.demand = np.zeros(0)
        self.resend: set[str] = set()
        self.settle_until = 0.0
        self._recheck_pending = False
        self._reshaped = False  # the table changed shape since the tree was built
        self._limits_moved = False  # only nodes' limits changed since
        self._solve_pending = False
        self._reshare_pending = False
        self._solve_timer = False
        self._dirty = False  # something happened that the plan in force did not know of
        self._last_solve = -math.inf
        self._schedule: dict[str, np.ndarray] | None = None  # the last plan, per EVSE
        self._solved_plans: dict[str, tuple] = {}  # the car plans it was made for
        self._solved_for: set[str] = set()  # the EVSEs with a car wanting current then
        self._schedule_t = 0.0  # when it was made (its period 0 starts then)
        self._schedule_group = np.zeros(1, dtype=int)  # each period_s since then: its period
        self._need_check: float | None = None
        self.policy = POLICIES.get(self.config["policy"])
        # EVSE -> (departure time, need Wh, the car's own maximum current per phase, the
        # phases it draws on)
        self.plans: dict[str, tuple[float, float, float, int]] = {}
        self._integrated_at = 0.0
        self.forecast: dict | None = None
        self.site_now = {"pv_w": 0.0, "base_load_w": 0.0}
        self.demand_response: list[dict] = []
        self._published_shape: tuple = ()
        self._published_limits: dict[str, list[float | None]] = {}
        for wire in (self.recall() or {}).get("entries", []):  # after a restart of the process
            entry = NodeEntry.from_wire(wire)
            self.entries[entry.uuid] = entry
        self.demand_index: dict[str, int] = {}
        self._reshaped = bool(self.entries)  # the tree is built when it is first needed
        self.root.subscribe("energy_flow_request", self._on_request)
        self._meter_wh: dict[str, float] = {}  # each metered EVSE's last reading (register Wh)
        self._meter_at_plan: dict[str, float] = {}  # its reading when its car's plan was set
        for meter, evse in zip(self.requirements("meters"), self.config["metered_evses"]):
            meter.subscribe("powermeter", lambda value, e=evse: self._on_meter(e, value))
        grid = self.optional("grid")
        if grid:
            grid.subscribe("forecast", self._on_forecast)
            grid.subscribe("demand_response", self._on_demand_response)
            grid.subscribe("site", self._on_site)

    def ready(self) -> Generator | None:
        if self.policy is not None:
            self.start(self._periods())
        return None

    @command("main", "enforce_limits")
    def enforce_limits(self, limits: dict) -> None:
        """The manager is the top of the tree; nothing above it sets limits."""

    @command("site", "set_car_plan")
    def set_car_plan(self, evse: str, departure_in_s: float, energy_wh: float,
                     max_current_a: float | None, phases: int | None = None) -> None:
        self._integrate()
        car_max = math.inf if max_current_a is None else float(max_current_a)
        self.plans[evse] = (self.env.now + departure_in_s, energy_wh, car_max,
                            3 if phases is None else int(phases))
        self._meter_at_plan[evse] = self._meter_wh.get(evse, 0.0)
        if evse in self.demand_index:  # its column only (cars arrive one at a time)
            self._align_plan(self.demand_index[evse])
        self._request_solve()

    # --- what comes in -------------------------------------------------------------------------
    def _on_request(self, wire: dict) -> None:
        self._integrate()
        request = EnergyRequest.from_wire(wire)
        arrived = False
        for entry in (request.entry(None, "L1"), *request.changed):
            if entry.is_evse:  # it published again: send its limit again, changed or not
                self.resend.add(entry.uuid)
            old = self.entries.get(entry.uuid)
            if old == entry:
                continue
            self.entries[entry.uuid] = entry
            if old is None or old.parent != entry.parent:  # for a restart of this process
                self.remember_soon(self._tree_state)
            if old is not None and not entry.is_evse and old.limit_a != entry.limit_a \
                    and old == replace(entry, limit_a=old.limit_a):
                self._limits_moved = True  # the same tree, new limits
            elif old is None or not entry.is_evse or old.limit_a != entry.limit_a \
                    or old.phases != entry.phases or old.parent != entry.parent \
                    or old.min_current_a != entry.min_current_a:
                self._reshaped = True
            elif not self._reshaped:  # only its demand changed
                i = self.demand_index[entry.uuid]
                arrived |= self.demand[i] <= 0 < entry.demand_a  # a car starts to want
                self.demand[i] = entry.demand_a
        if self._reshaped or arrived:
            self._request_solve()
        else:
            self._request_reshare()

    def _tree_state(self) -> dict:
        return {"entries": [e.to_wire() for e in self.entries.values()]}

    def _refresh(self) -> None:
        """Apply this instant's changes of the table: the tree rebuilt (or only its limits),
        once however many requests brought them (a station starting up sends one per EVSE)."""
        if self._limits_moved and not self._reshaped and self.tree is not None:
            # A grid connection follows the site's load: new limits, the same tree.
            tree = self.tree.with_limits(self.entries)
            if tree is None:
                self._reshaped = True
            else:
                self.tree = tree
                self._publish_site_limits()
        self._limits_moved = False
        if self._reshaped and self.entries:
            self._reshaped = False
            self._rebuild_tree()

    # --- per EVSE, in the tree's column order -----------------------------------------------------
    def _rebuild_tree(self) -> None:
        """A tree of a new shape; what is known per EVSE is carried over to its columns."""
        old: dict[str, tuple[float, bool, float]] = {}
        if self.tree is not None:
            old = dict(zip(self.tree.evses, zip(self._applied.tolist(), self._offered.tolist(),
                                                self._delivered.tolist())))
        self.tree = FlatTree.from_entries(self.entries.values())
        evses = self.tree.evses
        self.demand_index = {u: i for i, u in enumerate(evses)}
        self.demand = np.array([self.entries[u].demand_a for u in evses])
        kept = [old.get(u, (0.0, False, 0.0)) for u in evses]
        self._applied = np.array([k[0] for k in kept])  # the limit each EVSE was last sent
        self._offered = np.array([k[1] for k in kept], dtype=bool)  # sent one at all
        self._delivered = np.array([k[2] for k in kept])  # Wh estimated since its plan was set
        self._publish_site_limits()
        self._align_plans()

    def _align_plans(self) -> None:
        """The cars' plans as columns (after a plan or the tree changed)."""
        assert self.tree is not None
        plans = [self.plans.get(u) for u in self.tree.evses]
        self._planned = np.array([p is not None for p in plans], dtype=bool)
        self._leaves_at = np.array([p[0] if p else math.inf for p in plans])
        self._need_wh = np.array([p[1] if p else 0.0 for p in plans])
        self._car_max = np.array([p[2] if p else math.inf for p in plans])
        self._car_phases = np.array([p[3] if p else 3 for p in plans])
        # W per A of each EVSE with the phases its car draws on
        self._watts_per_a = np.minimum(self.tree.phase_use.sum(axis=1), self._car_phases) \
            * self.config["voltage_v"]
        self._align_schedule()

    def _align_plan(self, i: int) -> None:
        """One EVSE's column after its car's plan was set: counted afresh, and held to the
        schedule only if it was made for this very plan."""
        assert self.tree is not None
        uuid = self.tree.evses[i]
        leaves, need_wh, car_max, phases = self.plans[uuid]
        self._planned[i] = True
        self._leaves_at[i], self._need_wh[i], self._car_max[i] = leaves, need_wh, car_max
        self._car_phases[i] = phases
        self._watts_per_a[i] = min(self.tree.phase_use[i].sum(), phases) \
            * self.config["voltage_v"]
        self._delivered[i] = 0.0
        self._held[i] &= self.plans[uuid] == self._solved_plans.get(uuid)

    def _align_schedule(self) -> None:
        """The last schedule's rows as columns, and which EVSEs are held to them: the planned
        cars the last solve knew, with the plan it was made for."""
        assert self.tree is not None
        schedule = self._schedule or {}
        periods = max((len(row) for row in schedule.values()), default=1)
        rows = np.full((len(self.tree.evses), periods), np.nan)
        held = np.zeros(len(self.tree.evses), dtype=bool)
        for i, uuid in enumerate(self.tree.evses):
            row = schedule.get(uuid)
            if row is not None and uuid in self._solved_for and uuid in self.plans \
                    and self.plans[uuid] == self._solved_plans.get(uuid):
                rows[i, :len(row)] = row
                held[i] = True
        self._schedule_rows, self._held = rows, held

    def _left_wh(self) -> np.ndarray:
        """What each planned car still needs, as counted since its plan was set (0 where
        there is no plan)."""
        return np.where(self._planned, self._need_wh - self._delivered, 0.0)

    def _on_meter(self, evse: str, value: dict) -> None:
        """A metered EVSE's reading replaces the estimate of what its car got since its plan
        was set; a car stopped on the estimate that has not got its need goes on."""
        self._meter_wh[evse] = float(value["energy_wh_import"]["total"])
        i = self.demand_index.get(evse)
        if i is None or not self._planned[i]:
            return
        self._integrate()
        was_met = self._need_wh[i] - self._delivered[i] <= NEED_MET_WITHIN_WH
        self._delivered[i] = self._meter_wh[evse] - self._meter_at_plan.get(evse, 0.0)
        if was_met and self._need_wh[i] - self._delivered[i] > NEED_MET_WITHIN_WH:
            self._dirty = True  # planned for again at the next period boundary at the latest
            self._request_reshare()

    def _on_forecast(self, value: dict) -> None:
        self.forecast = value
        self._request_solve()

    def _on_demand_response(self, value: dict) -> None:
        self.demand_response = list(value["events"])
        for event in self.demand_response:  # decide again as each event starts and ends
            for when in (event["start_s"], event["end_s"]):
                if when > self.env.now:
                    self.start(self._wake_at(when))
        self._request_solve()

    def _on_site(self, value: dict) -> None:
        self.site_now = {"pv_w": value["pv_w"], "base_load_w": value["base_load_w"]}
        if self._import_cap_now() is not None:
            self._request_solve()  # the room under a demand-response cap moved

    def _wake_at(self, when: float) -> Generator:
        yield self.env.timeout(max(0.0, when - self.env.now))
        self._request_solve()

    # --- deciding ------------------------------------------------------------------------------
    @property
    def _throttled(self) -> bool:
        return self.policy is not None and self.config["min_solve_interval_s"] > 0

    def _request_solve(self, force: bool = False) -> None:
        """Solve once at the end of this instant, however many changes it brings.

        With ``min_solve_interval_s`` a solve waits until that long after the last one; until
        then (and for changes that do not need one: demands, limits, a period boundary) the
        plan in force is followed: its currents for the present period, shared again inside
        the limits in force. ``force``: a period boundary."""
        if self._throttled and force:  # the plan's next period, or the solve it waited for
            if self._dirty:
                self._request_solve()
            else:
                self._request_reshare()
            return
        self._dirty = True
        if not self._solve_pending:
            self._solve_pending = True
            self.start(self._solve_soon())

    def _request_reshare(self) -> None:
        """Follow the plan in force again at the end of this instant (a solve when there is
        none, or no throttling)."""
        if not self._throttled or self._schedule is None:
            self._request_solve()
        elif not self._reshare_pending:
            self._reshare_pending = True
            self.start(self._reshare_soon())

    def _reshare_soon(self) -> Generator:
        yield self.env.timeout(0)
        self._reshare_pending = False
        if not self._solve_pending:  # a solve at this instant shares anyway
            self._optimise(replan=False)

    def _solve_soon(self) -> Generator:
        yield self.env.timeout(0)
        self._solve_pending = False
        due = self._last_solve + float(self.config["min_solve_interval_s"])
        if self.env.now >= due or self._schedule is None:
            self._optimise()
            return
        self._optimise(replan=False)
        if not self._solve_timer:
            self._solve_timer = True
            self.start(self._solve_when_due(due))

    def _solve_when_due(self, when: float) -> Generator:
        yield self.env.timeout(max(0.0, when - self.env.now))
        self._solve_timer = False
        if self._dirty:
            self._request_solve()

    def _periods(self) -> Generator:
        period = float(self.config["period_s"])
        while True:
            yield self.env.timeout(period - math.fmod(self.env.now, period))
            self._request_solve(force=True)

    def _import_cap_now(self) -> float | None:
        caps = [e["max_import_w"] for e in self.demand_response
                if e["start_s"] <= self.env.now < e["end_s"]]
        return min(caps) if caps else None

    def _live_tree(self) -> FlatTree:
        """The tree, plus a row for a demand-response cap in force: the chargers' power at most
        the cap less base load plus PV, so the cap holds now, whatever the schedule says."""
        assert self.tree is not None
        cap = self._import_cap_now()
        if cap is None:
            return self.tree
        tree = self.tree
        margin = cap * self.config["demand_response_margin"]  # base load and PV move meanwhile
        room = max(0.0, cap - margin - self.site_now["base_load_w"] + self.site_now["pv_w"])
        row = watts_per_amp(tree, self.config["voltage_v"])
        return FlatTree(tree.evses, tree.nodes, (*tree.rows, ("demand_response", "W")),
                        np.vstack([tree.matrix, row]), np.append(tree.cap, room),
                        tree.max_a, tree.min_a, tree.phase_use)

    def _targets(self, replan: bool = True) -> np.ndarray:
        assert self.tree is not None
        live = self._live_tree()
        if self.policy is None:
            return share(live, self.demand)
        if replan or self._schedule is None:
            self._solve()
        assert self._schedule is not None
        # The plan's currents for now, through water-filling: inside every limit and minimum. A
        # period's average below an EVSE's minimum is charged at the minimum until the need is
        # met (a re-solve then stops it), rather than never. A car whose need is met (as
        # counted since its plan was set) stops without a solve. A car with no plan (nothing
        # known of its departure) or that the last solve did not know is not held back
        # otherwise: it shares what the planned cars leave; after a solver failure nobody is
        # (water-filling decides).
        period = float(self.config["period_s"])
        fine = int((self.env.now - self._schedule_t + 1e-9) // period)
        rows = self._schedule_rows
        now = rows[:, min(int(self._schedule_group[min(fine, len(self._schedule_group) - 1)]),
                          rows.shape[1] - 1)]
        minimum = self.tree.min_a
        cap = np.where(self._held,
                       np.where((now > 1e-3) & (now < minimum), minimum, now) + 1e-6, np.inf)
        cap[self._planned & (self._left_wh() <= NEED_MET_WITHIN_WH)] = 0.0
        return share(live, np.minimum(self._car_demand(), cap))

    def _solve(self) -> None:
        assert self.tree is not None and self.policy is not None
        problem, self._schedule_group = self._problem()
        if (problem.demand_a > 0).any():  # a solve with no car wanting current binds nothing
            self._last_solve = self.env.now
        self._dirty = False
        self._solved_plans = dict(self.plans)
        self._solved_for = {u for u, a in zip(self.tree.evses, problem.demand_a) if a > 0}
        schedule = plan(problem, self.policy, self.config["solver_time_limit_s"])
        self.publish("site", "schedule", {
            "policy": self.policy.name, "solved": schedule.solved, "reason": schedule.reason,
            "charging_a": float(schedule.now_a.sum())})
        self._schedule = (dict(zip(self.tree.evses, schedule.current_a)) if schedule.solved
                          else {})
        self._schedule_t = self.env.now
        self._align_schedule()

    def _optimise(self, replan: bool = True) -> None:
        self._integrate()
        self._refresh()
        if self.tree is None or not len(self.tree.evses):
            return
        target = self._targets(replan)
        applied = self._applied
        lower = target < applied
        if (lower & (self.demand > 0)).any():  # a car may be drawing: give it time to follow
            self.settle_until = max(self.settle_until, self.env.now + self.config["settle_s"])
        new = np.where(lower, target, applied)
        raises = target > applied
        if raises.any():
            if self.env.now >= self.settle_until:
                new = np.where(raises, target, new)
            elif not self._recheck_pending:
                self._recheck_pending = True
                self.start(self._recheck_at(self.settle_until))
        send = ~self._offered | (new != applied)
        for uuid in self.resend:
            if uuid in self.demand_index:
                send[self.demand_index[uuid]] = True
        self.resend.clear()
        self._applied, self._offered[:] = new, True
        if send.any():
            evses = self.tree.evses
            self.root.send("enforce_limits",
                           limits={evses[i]: float(new[i]) for i in np.flatnonzero(send)})
        if self.policy is not None:
            self._solve_when_a_need_is_met()

    def _solve_when_a_need_is_met(self) -> None:
        """Re-solve when the first planned car will have got its need at its present offer,
        so that it stops there and its share goes to the others."""
        watts = np.minimum(self._applied, self._car_max) * self._watts_per_a
        left = self._left_wh()
        finishing = self._planned & (watts > 0) & (left > NEED_MET_WITHIN_WH)
        if not finishing.any():
            return
        first = self.env.now + float((left[finishing] / watts[finishing]).min()) * 3600.0
        if self._need_check is None or first < self._need_check:
            self._need_check = first
            self.start(self._solve_at(first))

    def _solve_at(self, when: float) -> Generator:
        yield self.env.timeout(max(0.0, when - self.env.now))
        if self._need_check == when:
            self._need_check = None
            self._request_solve()

    def _recheck_at(self, when: float) -> Generator:
        yield self.env.timeout(max(0.0, when - self.env.now))
        self._recheck_pending = False
        # The raises of the plan in force (throttled), else of a new solve.
        self._optimise(replan=not self._throttled or self._schedule is None)

    # --- the optimiser's inputs ------------------------------------------------------------------
    def _integrate(self) -> None:
        """Add what each planned car can have taken since the last change (its offer: the
        best estimate without its meter)."""
        hours = (self.env.now - self._integrated_at) / 3600.0
        self._integrated_at = self.env.now
        if hours <= 0 or self.tree is None:
            return
        self._delivered += np.where(
            self._planned, np.minimum(self._applied, self._car_max) * self._watts_per_a * hours,
            0.0)

    def _problem(self) -> tuple[Problem, np.ndarray]:
        """The program to solve now, and the period of it each period_s from now falls in."""
        assert self.tree is not None
        period = float(self.config["period_s"])
        periods = max(1, int(round(self.config["horizon_s"] / period)))
        group = self._grouping(periods)
        ends = np.cumsum(np.bincount(group))  # where each of its periods ends, in period_s
        now = self.env.now
        with np.errstate(invalid="ignore"):  # no plan: leaves at infinity
            periods_left = np.ceil((self._leaves_at - now) / period)
        # The program's period each car leaves in, and the share of it the car is still there
        # (a longer period beyond the detail horizon may end after the car left).
        leaves = np.maximum(1, np.where(self._planned, periods_left, periods))
        full = np.searchsorted(ends, leaves, side="right")  # periods it stays to the end of
        starts = np.concatenate([[0], ends])
        length = np.diff(starts, append=starts[-1] + 1)
        departure = full + (leaves - starts[full]) / length[full]
        left = self._left_wh()
        need = np.where(self._planned, np.where(left > NEED_MET_WITHIN_WH, left, 0.0), np.inf)
        forecast = self._forecast(now, period, periods)
        if len(ends) < periods:
            forecast = forecast.coarsened(group)
        return Problem(self.tree, self._car_demand(), departure, need, forecast,
                       self.config["voltage_v"], car_phases=self._car_phases), group

    def _grouping(self, periods: int) -> np.ndarray:
        """The program's period each period_s of the horizon falls in: one each up to
        ``detail_horizon_s``, then one per ``coarse_period_s`` (a smaller program; the far
        part is solved again, in detail, before it is followed)."""
        index = np.arange(periods)
        detail_s = self.config["detail_horizon_s"]
        if detail_s is None:
            return index
        period = float(self.config["period_s"])
        fine = max(1, int(round(detail_s / period)))
        merged = max(1, int(round(self.config["coarse_period_s"] / period)))
        return np.where(index < fine, index, fine + (index - fine) // merged)

    def _car_demand(self) -> np.ndarray:
        """Each EVSE's demand, no more than its car's own maximum where the plan gives one."""
        return np.minimum(self.demand, self._car_max)

    def _forecast(self, now: float, period: float, periods: int) -> Forecast:
        starts = now + period * np.arange(periods)
        fc = Forecast.flat(periods, period)
        price, pv, base = fc.price, fc.pv_w, fc.base_load_w
        if self.forecast is not None:
            f = self.forecast
            index = np.clip(((starts - f["start_s"]) // f["period_s"]).astype(int), 0,
                            len(f["price_per_kwh"]) - 1)
            price = np.asarray(f["price_per_kwh"])[index]
            pv = np.asarray(f["pv_w"])[index]
            base = np.asarray(f["base_load_w"])[index]
        cap = np.full(periods, np.inf)
        for event in self.demand_response:
            overlap = (starts < event["end_s"]) & (starts + period > event["start_s"])
            cap[overlap] = np.minimum(cap[overlap], event["max_import_w"])
        return Forecast(period, price, pv, base, cap)

    def _depth(self, uuid: str) -> int:
        depth, parent = 0, self.entries[uuid].parent
        while parent is not None and parent in self.entries and depth < len(self.entries):
            depth, parent = depth + 1, self.entries[parent].parent
        return depth

    def _publish_site_limits(self) -> None:
        """The tree's shape and limits when the shape changed; after that only the nodes whose
        limit changed (a grid connection following the site's load changes often)."""
        assert self.tree is not None
        tree = self.tree
        shape = tuple(sorted((e.uuid, e.parent or "", e.phases, e.site_phase)
                             for e in self.entries.values()))
        full = shape != self._published_shape
        nodes = []
        for uuid in sorted(tree.nodes, key=lambda u: (self._depth(u), u)):  # roots first
            rows = tree.node_rows(uuid)
            if not rows:
                continue
            limit: list[float | None] = [None, None, None]
            members: set[int] = set()
            for r in rows:
                limit[PHASES.index(tree.rows[r][1])] = float(tree.cap[r])
                members.update(np.flatnonzero(tree.matrix[r] > 0).tolist())
            if not full and self._published_limits.get(uuid) == limit:
                continue
            self._published_limits[uuid] = limit
            node = {"uuid": uuid, "node_type": self.entries[uuid].node_type,
                    "limit_per_phase_a": limit}
            if full:
                node["evses"] = [tree.evses[i] for i in sorted(members)]
            nodes.append(node)
        if full:
            self._published_shape = shape
            phases = {u: [PHASES[p] for p in np.flatnonzero(tree.phase_use[i])]
                      for i, u in enumerate(tree.evses)}
            self.publish("site", "site_limits", {"nodes": nodes, "evse_phases": phases})
        elif nodes:
            self.publish("site", "site_limits", {"nodes": nodes})
