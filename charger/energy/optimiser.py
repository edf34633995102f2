"""Site charging schedules as a linear program (scipy's HiGHS), pure: no bus, no clock.

The formulation is the usual adaptive-scheduling one:

* variables: the current ``r[i, t]`` of EVSE i in period t (amperes per phase it uses), plus the
  grid import ``g[t]`` (W), the peak import (W) and the smallest share of its need any car got;
* bounds: ``0 <= r[i, t] <= max_a[i]`` inside the car's stay, 0 outside it;
* energy: what car i gets over the horizon is at most its remaining need;
* limits: for every row of the tree (a node and a phase) and every period, the currents through
  it stay within its limit for that period; the site's net import within a demand-response cap;
* objective: a weighted sum of energy delivered, charging early, cost (import x price), grid
  import (PV first), the smallest share of need (fairness) and the peak; a policy is a set of
  weights (``POLICIES``).

``plan`` solves it and falls back to water-filling (``flat.share``) for the present period when
the solver finds no solution or runs out of time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from charger.energy.flat import FlatTree, share

WH_PER_WS = 1 / 3600.0
METHOD = "highs"  # HiGHS chooses (dual simplex on these LPs)


@dataclass(frozen=True)
class Weights:
    """Objective weights; energy is in kWh, cost in currency, power in kW."""

    energy: float = 1000.0  # per kWh delivered (dominant: a car's need comes first)
    # per kWh, times how early in the horizon it is delivered. As a tie-breaker (0.05) it is
    # below any price step of half a cent times the cost weight, and it makes the LP far less
    # degenerate (equal prices over many periods): HiGHS solves it about three times faster.
    early: float = 0.0
    cost: float = 0.0  # per currency unit paid for imported energy
    grid_import: float = 0.0  # per kWh imported (so local PV is used first)
    fairness: float = 0.0  # per unit of the smallest share of need, times the total need (kWh)
    peak: float = 0.0  # per kW of peak import


@dataclass(frozen=True)
class Policy:
    name: str
    summary: str
    weights: Weights


POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy("fastest", "every car as early as the limits allow",
           Weights(early=1.0)),
    Policy("cheapest", "every car's need by its departure, in the cheapest periods",
           Weights(cost=10.0, early=0.05)),
    Policy("fair_share", "the same share of its need for every car first, then the rest",
           Weights(fairness=100.0, early=0.05)),
    Policy("pv_first", "local PV before grid import, then the cheapest periods",
           Weights(grid_import=50.0, cost=1.0, early=0.05)),
)}


@dataclass(frozen=True)
class Forecast:
    """What the site expects per period of the horizon (all arrays of length ``periods``).
    Periods are ``period_s`` long, or each as long as ``lengths_s`` says (a plan that is
    detailed near now and coarse beyond: ``coarsened``)."""

    period_s: float
    price: np.ndarray  # currency per kWh imported
    pv_w: np.ndarray  # local production
    base_load_w: np.ndarray  # the site's own consumption
    import_cap_w: np.ndarray  # demand-response caps on net import (inf: none)
    lengths_s: np.ndarray | None = None

    @property
    def periods(self) -> int:
        return len(self.price)

    @property
    def durations_s(self) -> np.ndarray:
        return (np.full(self.periods, self.period_s) if self.lengths_s is None
                else self.lengths_s)

    def coarsened(self, group: np.ndarray) -> Forecast:
        """Periods merged: ``group[k]`` is the new period that period k falls in (ascending,
        from 0). Prices, PV and base load are averaged, a demand-response cap is the lowest."""
        count = np.bincount(group)

        def mean(values: np.ndarray) -> np.ndarray:
            return np.bincount(group, weights=values * self.durations_s) \
                / np.bincount(group, weights=self.durations_s)

        cap = np.full(len(count), np.inf)
        np.minimum.at(cap, group, self.import_cap_w)
        return Forecast(self.period_s, mean(self.price), mean(self.pv_w),
                        mean(self.base_load_w), cap,
                        np.bincount(group, weights=self.durations_s))

    @classmethod
    def flat(cls, periods: int, period_s: float, price: float = 0.0) -> Forecast:
        return cls(period_s, np.full(periods, price), np.zeros(periods), np.zeros(periods),
                   np.full(periods, np.inf))


@dataclass(frozen=True)
class Problem:
    """One solve: the tree, each EVSE's car, and the forecast. EVSE arrays follow tree.evses."""

    tree: FlatTree
    demand_a: np.ndarray  # what each EVSE wants now (0: no car, or not charging)
    # the period the car leaves in (periods if unknown); a fraction: the share of that period
    # it is still there (1.5: all of period 0, half of period 1)
    departure_period: np.ndarray
    energy_wh: np.ndarray  # remaining need (inf: unknown, no energy constraint)
    forecast: Forecast
    voltage_v: float = 230.0
    arrival_period: np.ndarray | None = None  # a known future arrival (default: here now)
    row_cap: np.ndarray | None = None  # rows x periods, when limits change over the horizon
    car_phases: np.ndarray | None = None  # the phases each EVSE's car draws on (default: all)

    @property
    def power(self) -> np.ndarray:
        """W per A of each EVSE: its phases, or fewer when its car draws on fewer."""
        power = watts_per_amp(self.tree, self.voltage_v)
        if self.car_phases is None:
            return power
        return np.minimum(self.tree.phase_use.sum(axis=1), self.car_phases) * self.voltage_v


@dataclass(frozen=True)
class Schedule:
    current_a: np.ndarray  # EVSEs x periods
    solved: bool  # False: the fallback's share, period 0 only
    reason: str  # "optimal", or why the fallback was used
    objective: float = float("nan")
    extra: dict = field(default_factory=dict)

    @property
    def now_a(self) -> np.ndarray:
        return self.current_a[:, 0]


def watts_per_amp(tree: FlatTree, voltage_v: float) -> np.ndarray:
    return tree.phase_use.sum(axis=1) * voltage_v


def solve(problem: Problem, policy: Policy, time_limit_s: float | None = None) -> Schedule:
    """The LP's schedule, or a Schedule with ``solved`` False saying why there is none."""
    from scipy.optimize import linprog  # here: a station without a policy never loads scipy

    tree, fc = problem.tree, problem.forecast
    n, periods = len(tree.evses), fc.periods
    dt = fc.durations_s  # per period
    w = policy.weights
    arrival = (np.zeros(n, dtype=int) if problem.arrival_period is None
               else problem.arrival_period.astype(int))
    departure = np.minimum(problem.departure_period, periods)
    present = (problem.demand_a > 0) & ~(problem.energy_wh <= 0)  # a car with its need met: 0
    t_index = np.arange(periods)
    stay = present[:, None] & (t_index[None, :] >= arrival[:, None]) & \
        (t_index[None, :] < departure[:, None])
    cars, times = np.nonzero(stay)  # one LP column per EVSE and period of its stay
    m = len(cars)
    # A car leaving partway through a period can take that share of it: its average current.
    upper = np.minimum(problem.demand_a, tree.max_a)[cars] \
        * np.minimum(1.0, departure[cars] - times)
    power = problem.power  # W per A, per EVSE
    kwh = power[cars] * dt[times] * WH_PER_WS / 1000.0  # kWh per A over its period, per column
    # Column layout: r (m) | g (periods) | peak | fair
    g0, peak_col, fair_col = m, m + periods, m + periods + 1
    width = m + periods + 2
    cost = np.zeros(width)
    cost[:m] -= w.energy * kwh
    cost[:m] -= w.early * kwh * (1.0 - times / max(periods, 1))
    cost[g0:g0 + periods] += (w.cost * fc.price + w.grid_import) * dt * WH_PER_WS / 1000.0
    cost[peak_col] += w.peak / 1000.0
    need = problem.energy_wh / 1000.0
    finite_need = np.isfinite(need) & (need > 0) & present
    cost[fair_col] -= w.fairness * float(need[finite_need].sum())

    blocks = _Blocks(width)
    # Energy: at most the remaining need; and the smallest share of need at most each share.
    needy = np.flatnonzero(finite_need)
    car_row = np.full(n, -1)
    car_row[needy] = np.arange(len(needy))
    with_need = np.flatnonzero(car_row[cars] >= 0)
    blocks.add(car_row[cars[with_need]], with_need, kwh[with_need], need[needy])
    if w.fairness:
        rows = car_row[cars[with_need]]
        blocks.add(np.concatenate([rows, np.arange(len(needy))]),
                   np.concatenate([with_need, np.full(len(needy), fair_col)]),
                   np.concatenate([-kwh[with_need], need[needy]]), np.zeros(len(needy)))
    # Tree rows in every period: row (j, t) holds the columns of period t through row j.
    caps = (np.repeat(tree.cap[:, None], periods, axis=1) if problem.row_cap is None
            else problem.row_cap)
    tree_rows, tree_cols = np.nonzero(tree.matrix[:, cars] > 0)
    row_ids = tree_rows * periods + times[tree_cols]
    # A row that even every column at its bound cannot fill is no constraint: leaving it out
    # makes the LP much smaller at sites with room to spare.
    binding = np.bincount(row_ids, weights=upper[tree_cols],
                          minlength=caps.size) > caps.reshape(-1) + 1e-9
    keep = binding[row_ids]
    renumber = np.cumsum(binding) - 1
    blocks.add(renumber[row_ids[keep]], tree_cols[keep], np.ones(int(keep.sum())),
               caps.reshape(-1)[binding])
    # Import, peak and demand-response caps: charging + base - pv.
    p = power[cars]
    site = fc.base_load_w - fc.pv_w
    every = np.arange(m)
    period_rows = np.arange(periods)
    blocks.add(np.concatenate([times, period_rows]), np.concatenate([every, g0 + period_rows]),
               np.concatenate([p, -np.ones(periods)]), -site)
    if w.peak:
        blocks.add(np.concatenate([times, period_rows]),
                   np.concatenate([every, np.full(periods, peak_col)]),
                   np.concatenate([p, -np.ones(periods)]), -site)
    capped = np.isfinite(fc.import_cap_w)
    if capped.any():
        dr_row = np.full(periods, -1)
        dr_row[capped] = np.arange(capped.sum())
        in_dr = np.flatnonzero(capped[times])
        blocks.add(dr_row[times[in_dr]], in_dr, p[in_dr], fc.import_cap_w[capped] - site[capped])
    a_ub, b_ub = blocks.matrix()
    bounds = np.zeros((width, 2))
    bounds[:m, 1] = upper
    bounds[g0:g0 + periods, 1] = np.inf
    bounds[peak_col, 1] = np.inf
    bounds[fair_col, 1] = 1.0 if w.fairness else 0.0
    options = {"presolve": True}
    if time_limit_s is not None:
        options["time_limit"] = float(time_limit_s)
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method=METHOD,
                     options=options)
    if result.status != 0 or result.x is None:
        return Schedule(np.zeros((n, periods)), False, _why(result))
    current = np.zeros((n, periods))
    current[cars, times] = np.clip(result.x[:m], 0.0, upper)
    return Schedule(current, True, "optimal", float(result.fun),
                    {"variables": width, "constraints": a_ub.shape[0]})


class _Blocks:
    """Constraint rows ``A @ x <= b`` added a block at a time (rows numbered within a block)."""

    def __init__(self, width: int):
        self.width = width
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rhs: list[np.ndarray] = []
        self.count = 0

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, rhs: np.ndarray) -> None:
        self.rows.append(np.asarray(rows, dtype=int) + self.count)
        self.cols.append(np.asarray(cols, dtype=int))
        self.vals.append(np.asarray(vals, dtype=float))
        self.rhs.append(np.asarray(rhs, dtype=float))
        self.count += len(rhs)

    def matrix(self):  # -> (scipy.sparse.csr_matrix, numpy array)
        from scipy import sparse

        a = sparse.csr_matrix((np.concatenate(self.vals),
                               (np.concatenate(self.rows), np.concatenate(self.cols))),
                              shape=(self.count, self.width))
        return a, np.concatenate(self.rhs)


def _why(result) -> str:
    reasons = {1: "the solver ran out of time or iterations", 2: "no schedule fits every limit",
               3: "the problem is unbounded", 4: "the solver had numerical difficulties"}
    return reasons.get(result.status, f"the solver failed ({result.message})")


def plan(problem: Problem, policy: Policy | None, time_limit_s: float | None = None
         ) -> Schedule:
    """The policy's schedule; water-filling for the present period when there is no policy, or
    the solver has no solution or no time."""
    if policy is not None:
        schedule = solve(problem, policy, time_limit_s)
        if schedule.solved:
            return schedule
        reason = schedule.reason
    else:
        reason = "water-filling"
    now = share(problem.tree, problem.demand_a)
    current = np.zeros((len(now), problem.forecast.periods))
    current[:, 0] = now
    return Schedule(current, False, reason)


def evaluate(problem: Problem, current_a: np.ndarray) -> dict[str, float]:
    """What a schedule means for the site: energy delivered and unmet, cost, peak import."""
    fc = problem.forecast
    power = problem.power
    charging_w = (current_a * power[:, None]).sum(axis=0)
    net_w = charging_w + fc.base_load_w - fc.pv_w
    import_w = np.maximum(net_w, 0.0)
    hours = fc.durations_s / 3600.0  # per period
    delivered = (current_a * power[:, None] * hours).sum(axis=1)
    need = np.where(np.isfinite(problem.energy_wh), problem.energy_wh, delivered)
    return {"delivered_kwh": float(delivered.sum() / 1000.0),
            "unmet_kwh": float(np.maximum(need - delivered, 0.0).sum() / 1000.0),
            "cost": float((import_w * fc.price * hours).sum() / 1000.0),
            "peak_kw": float(import_w.max(initial=0.0) / 1000.0),
            "pv_used_kwh": float((np.minimum(charging_w, np.maximum(fc.pv_w - fc.base_load_w, 0))
                                  * hours).sum() / 1000.0)}


def water_filling_schedule(problem: Problem) -> np.ndarray:
    """What water-filling alone does over the horizon: each period, the present cars that still
    need energy share what the tree allows (the baseline the policies are compared with)."""
    tree, fc = problem.tree, problem.forecast
    n, periods = len(tree.evses), fc.periods
    arrival = (np.zeros(n, dtype=int) if problem.arrival_period is None
               else problem.arrival_period.astype(int))
    need = problem.energy_wh.copy()
    wh_per_a = problem.power * fc.period_s * WH_PER_WS
    current = np.zeros((n, periods))
    for t in range(periods):
        here = (problem.demand_a > 0) & (arrival <= t) & (t < problem.departure_period) \
            & (need > 1e-6)
        wanted = np.where(here, np.minimum(problem.demand_a, need / wh_per_a), 0.0)
        row_cap = tree.cap if problem.row_cap is None else problem.row_cap[:, t]
        current[:, t] = share(FlatTree(tree.evses, tree.nodes, tree.rows, tree.matrix, row_cap,
                                       tree.max_a, tree.min_a, tree.phase_use), wanted)
        need -= current[:, t] * wh_per_a
    return current
