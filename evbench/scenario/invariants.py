"""Safety invariants: judged on every run, from the recorded timeline at exact event times.

Each invariant is one row of ``INVARIANTS``: its name (the key a scenario uses to switch it off,
with a written reason), what it checks, how it is judged, and the judge. The judges read the
timeline the recorder kept (the board's ``measurement`` rows carry pilot state, PWM duty,
contactor feedback, current and voltage on every change; session events, lock, RCD errors and
the energy tree's requests are rows too), never the 1 s samples, so a violation is found at the
instant it happens. docs/invariants.md explains each one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from charger.iec61851 import (
    CAR_SETTLE_S,
    MIN_CURRENT_A,
    current_from_duty,
    overcurrent_threshold_a,
)
from reports.model import ExpectationResult
from reports.recorder import Row

PHASE_NAMES = ("L1", "L2", "L3")  # site phases, as the energy manager names them
CONTACTOR_OPEN_S = 0.1  # the contactors must open this fast on C->B, unplug, RCD trip
OVERCURRENT_REACTION_S = 3.0  # a car over its allowance must be cut off this fast
DEFAULT_PWM_STOP_TIMEOUT_S = 6.0
DEFAULT_SETTLE_S = 5.0
EPS = 1e-9
MAX_LISTED = 3  # violations named in one verdict; the count says how many there were

HLC_DUTY = (3.0, 7.0)  # a 5 % duty: the current is offered by ISO 15118-2 messages
Violation = tuple[float, str]  # when it began (simulated s), and what happened


# --- what the judges read ----------------------------------------------------------------------
@dataclass
class Segment:
    """One connector's state from ``t`` until the next segment (or the end of the run)."""

    t: float
    cp: str = "A"
    duty: float | None = None
    relays_closed: bool = False
    current: tuple[float, float, float] = (0.0, 0.0, 0.0)
    voltage: tuple[float, float, float] = (0.0, 0.0, 0.0)
    transaction: bool = False
    locked: bool = False
    hlc_limit_a: float = 0.0  # the EVSE manager's limit: the offer under 5 % PWM (ISO 15118-2)

    @property
    def offer_a(self) -> float:
        if self.duty is not None and HLC_DUTY[0] <= self.duty <= HLC_DUTY[1]:
            return self.hlc_limit_a  # digital communication: the offer is EVSEMaxCurrent
        return current_from_duty(self.duty)

    @property
    def power_w(self) -> float:
        return sum(v * i for v, i in zip(self.voltage, self.current))


@dataclass
class ConnectorView:
    connector: int
    evse: str
    segments: list[Segment] = field(default_factory=list)
    has_lock: bool = False
    rcd_trips: list[float] = field(default_factory=list)
    # The state at each closing of the contactors, as the row reporting it showed it (later rows
    # of the same instant may change the outcome, not what the closing found).
    closings: list[Segment] = field(default_factory=list)
    meter: list[tuple[float, float]] = field(default_factory=list)  # (t, register Wh)
    transactions: list[tuple[float, float]] = field(default_factory=list)  # [start, end)
    pwm_stop_timeout_s: float = DEFAULT_PWM_STOP_TIMEOUT_S
    # DC: each closing of the car's contactors (battery onto the cable), with whether this
    # session's cable check had passed and its pre-charge had been reached by then.
    dc_closings: list[tuple[float, bool, bool]] = field(default_factory=list)


@dataclass
class TreeNode:
    uuid: str
    node_type: str
    limit_a: tuple[float, float, float]  # per site phase (inf: not limited)
    evses: tuple[str, ...]  # EVSE uuids (module ids) below this node
    # the site phases each EVSE's phases L1, L2, L3 are on (a 1-phase EVSE: its L1 only)
    evse_phases: dict[str, tuple[int, ...]] = field(default_factory=dict)


@dataclass
class RunView:
    """What the judges need, extracted once from the timeline."""

    end: float
    connectors: dict[int, ConnectorView]
    trees: list[tuple[float, list[TreeNode]]]  # (since, every non-EVSE node with its limit)
    settle_s: float = DEFAULT_SETTLE_S
    # How far apart (simulated s) two facts from different processes or devices may be recorded
    # out of their true order: 0 in virtual time; on the wall clock, a message's way to the
    # recorder (see judge_invariants).
    observation_lag_s: float = 0.0


@dataclass(frozen=True)
class Wiring:
    """Where each connector's facts are published (module.impl sources), from the station."""

    evse: dict[int, str]  # connector -> EvseManager id
    measurement: dict[int, str]  # connector -> "board.ev_board"
    lock: dict[int, str]  # connector -> "board.lock" (absent: no lock)
    rcd: dict[int, str]  # connector -> "board.rcd"
    meter: dict[int, str]  # connector -> "board.meter"
    pwm_stop_timeout_s: dict[int, float]
    energy_root: str | None = None  # "manager.site": the tree's limits as the manager reads it
    settle_s: float = DEFAULT_SETTLE_S
    ev_dc: dict[int, str] = field(default_factory=dict)  # connector -> the car's DC inlet
    secc: dict[int, str] = field(default_factory=dict)  # connector -> "secc.charger"


def wiring_of(world) -> Wiring:
    """The sources of a built scenario world (evbench.scenario.world.World)."""
    station = world.station
    evse, measurement, lock, rcd, meter, timeouts = {}, {}, {}, {}, {}, {}
    ev_dc: dict[int, str] = {}
    secc: dict[int, str] = {}
    for probe in world.probes:
        c = probe.connector
        evse_id = world.connectors.evse.get(c)
        if evse_id is None:
            continue
        evse[c] = evse_id
        inst = station.modules[evse_id]
        if probe.ev_board:
            measurement[c] = ".".join(probe.ev_board)
        if probe.meter:
            meter[c] = ".".join(probe.meter)
        for requirement, table in (("lock", lock), ("rcd", rcd)):
            targets = inst.connections.get(requirement) or []
            if targets:
                table[c] = _source(targets[0])
        timeouts[c] = float(inst.config.get("pwm_stop_timeout_s", DEFAULT_PWM_STOP_TIMEOUT_S))
        if inst.connections.get("hlc"):
            secc[c] = _source(inst.connections["hlc"][0])
        car = world.connectors.car.get(c)
        if car and station.modules[car].connections.get("ev_dc"):
            ev_dc[c] = _source(station.modules[car].connections["ev_dc"][0])
    root, settle = None, DEFAULT_SETTLE_S
    for inst in station.modules.values():
        if inst.module == "EnergyManager" and inst.connections.get("root"):
            root = f"{inst.id}.site"
            settle = float(inst.config.get("settle_s", DEFAULT_SETTLE_S))
            break
    return Wiring(evse, measurement, lock, rcd, meter, timeouts, root, settle, ev_dc, secc)


def _source(target: tuple[str, str]) -> str:
    return ".".join(target)


def build_view(rows: Iterable[Row], wiring: Wiring, end: float) -> RunView:
    by_measurement = {s: c for c, s in wiring.measurement.items()}
    by_lock = {s: c for c, s in wiring.lock.items()}
    by_rcd = {s: c for c, s in wiring.rcd.items()}
    by_meter = {s: c for c, s in wiring.meter.items()}
    by_evse = {f"{e}.evse": c for c, e in wiring.evse.items()}
    views = {c: ConnectorView(c, e, has_lock=c in wiring.lock,
                              pwm_stop_timeout_s=wiring.pwm_stop_timeout_s.get(
                                  c, DEFAULT_PWM_STOP_TIMEOUT_S))
             for c, e in wiring.evse.items()}
    state = {c: Segment(0.0) for c in views}
    by_inlet = {s: c for c, s in wiring.ev_dc.items()}
    cable_check_cmds = {f"{s}.cable_check_finished": c for c, s in wiring.secc.items()}
    dc_facts = {c: {"checked": False, "precharged": False, "closed": False} for c in views}
    opened: dict[int, float] = {}
    trees: list[tuple[float, list[TreeNode]]] = []

    def note(c: int, t: float, **changes) -> None:
        current = state[c]
        new = Segment(**{**current.__dict__, **changes, "t": t})
        if new.relays_closed and not current.relays_closed:
            views[c].closings.append(new)
        state[c] = new
        segments = views[c].segments
        if segments and segments[-1].t == t:
            segments[-1] = new  # same instant: only the outcome lasts
        else:
            segments.append(new)

    for row in rows:
        source, value = row.source, row.value
        if row.kind == "var":
            if row.name == "measurement" and source in by_measurement:
                note(by_measurement[source], row.t, cp=value["cp_state"],
                     duty=value["pwm_duty_pct"], relays_closed=value["relays_closed"],
                     current=tuple(value["current_a"]), voltage=tuple(value["voltage_v"]))
            elif row.name == "measurement" and source in by_inlet:
                facts = dc_facts[by_inlet[source]]
                if value["contactors_closed"] and not facts["closed"]:
                    views[by_inlet[source]].dc_closings.append(
                        (row.t, facts["checked"], facts["precharged"]))
                facts["closed"] = bool(value["contactors_closed"])
            elif row.name == "hlc_phase" and source in by_evse:
                facts = dc_facts[by_evse[source]]
                if value["dc"] in ("Idle", "CableCheck"):  # a new cable check begins
                    facts["checked"] = facts["precharged"] = False
                elif value["dc"] == "WaitingForPowerDelivery":
                    facts["precharged"] = True
            elif row.name == "limits" and source in by_evse:
                note(by_evse[source], row.t, hlc_limit_a=float(value["max_current_a"]))
            elif row.name == "locked" and source in by_lock:
                note(by_lock[source], row.t, locked=bool(value))
            elif row.name == "powermeter" and source in by_meter:
                views[by_meter[source]].meter.append(
                    (row.t, float(value["energy_wh_import"]["total"])))
            elif row.name == "session_event" and source in by_evse:
                c = by_evse[source]
                event = value.get("event") if isinstance(value, dict) else None
                if event == "TransactionStarted" and c not in opened:
                    opened[c] = row.t
                    note(c, row.t, transaction=True)
                elif event == "TransactionFinished" and c in opened:
                    views[c].transactions.append((opened.pop(c), row.t))
                    note(c, row.t, transaction=False)
            elif row.name == "site_limits" and source == wiring.energy_root:
                nodes = _tree_nodes(value, trees[-1][1] if trees else [])
                if trees and trees[-1][0] == row.t:
                    trees[-1] = (row.t, nodes)
                else:
                    trees.append((row.t, nodes))
        elif row.kind == "cmd" and row.name in cable_check_cmds:
            dc_facts[cable_check_cmds[row.name]]["checked"] = bool(
                value.get("args", {}).get("status"))
        elif row.kind == "error_raised" and source in by_rcd:
            views[by_rcd[source]].rcd_trips.append(row.t)
    for c, t in opened.items():
        views[c].transactions.append((t, end))
    return RunView(end, views, trees, wiring.settle_s)


def _tree_nodes(value: dict, before: list[TreeNode]) -> list[TreeNode]:
    """The tree after a ``site_limits`` message: the whole tree (with ``evse_phases``), or new
    limits for some nodes of the tree before."""
    def limits(node: dict) -> tuple[float, float, float]:
        return tuple(math.inf if a is None else float(a)  # type: ignore[return-value]
                     for a in node["limit_per_phase_a"])

    if "evse_phases" not in value:
        changed = {n["uuid"]: limits(n) for n in value["nodes"]}
        return [TreeNode(n.uuid, n.node_type, changed.get(n.uuid, n.limit_a), n.evses,
                         n.evse_phases) for n in before]
    phases = {u: tuple(PHASE_NAMES.index(p) for p in names)
              for u, names in value["evse_phases"].items()}
    return [TreeNode(n["uuid"], n["node_type"], limits(n), tuple(n.get("evses", ())),
                     {u: phases.get(u, (0, 1, 2)) for u in n.get("evses", ())})
            for n in value["nodes"]]


# --- interval helpers --------------------------------------------------------------------------
def _spans(segments: list[Segment], end: float) -> Iterable[tuple[float, float, Segment]]:
    for i, seg in enumerate(segments):
        until = segments[i + 1].t if i + 1 < len(segments) else end
        yield seg.t, until, seg


def _runs(pieces: Iterable[tuple[float, float, bool]]) -> list[tuple[float, float]]:
    """Merge consecutive pieces where the flag holds into maximal [start, end) runs."""
    out: list[tuple[float, float]] = []
    for start, end, flag in pieces:
        if not flag:
            continue
        if out and abs(out[-1][1] - start) <= EPS:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


# --- the judges --------------------------------------------------------------------------------
def contactor_closed_only_when_allowed(view: RunView) -> list[Violation]:
    found: list[Violation] = []
    for c, cv in view.connectors.items():
        spans = list(_spans(cv.segments, view.end))
        conditions: list[tuple[str, Callable[[Segment], bool], float]] = [
            ("the car not in C or D", lambda s: s.cp not in ("C", "D"), CONTACTOR_OPEN_S),
            ("no transaction", lambda s: not s.transaction, CONTACTOR_OPEN_S),
            ("no PWM offering current",
             lambda s: s.offer_a < MIN_CURRENT_A, cv.pwm_stop_timeout_s + CONTACTOR_OPEN_S),
        ]
        for what, lapse, allowance in conditions:
            found += [(seg.t, f"connector {c}: contactor closed at t={seg.t:.3f} s with {what}")
                      for seg in cv.closings if lapse(seg)]
            for start, end in _runs((a, b, s.relays_closed and lapse(s)) for a, b, s in spans):
                if end - start > allowance + EPS:
                    found.append((start, f"connector {c}: contactor closed with {what} from "
                                  f"t={start:.3f} s for {end - start:.3f} s "
                                  f"(allowed {allowance:g} s)"))
    return found


def contactor_opens_in_time(view: RunView) -> list[Violation]:
    found: list[Violation] = []
    for c, cv in view.connectors.items():
        triggers: list[tuple[float, str]] = [(t, "RCD trip") for t in cv.rcd_trips]
        for prev, seg in zip(cv.segments, cv.segments[1:]):
            if prev.cp in ("C", "D") and seg.cp in ("A", "B"):
                triggers.append((seg.t, "unplugging" if seg.cp == "A" else "C->B"))
        for t, what in sorted(triggers):
            closed_at = _state_at(cv.segments, t)
            if closed_at is None or not closed_at.relays_closed:
                continue
            opened = next((s.t for s in cv.segments if s.t >= t and not s.relays_closed),
                          view.end)
            if opened - t > CONTACTOR_OPEN_S + EPS:
                found.append((t, f"connector {c}: contactor opened {opened - t:.3f} s after "
                              f"{what} at t={t:.3f} s (limit {CONTACTOR_OPEN_S * 1000:g} ms)"))
    return found


def _state_at(segments: list[Segment], t: float) -> Segment | None:
    index = bisect.bisect_right(segments, t + EPS, key=lambda s: s.t)
    return segments[index - 1] if index else None


def current_within_offer(view: RunView) -> list[Violation]:
    found: list[Violation] = []
    for c, cv in view.connectors.items():
        # Breakpoints: every change, and every moment an offer stops counting (5 s after it
        # ended), so the allowance is constant between two of them.
        segs = cv.segments
        points = {s.t for s in segs}
        for prev, seg in zip(segs, segs[1:]):
            if seg.offer_a != prev.offer_a:
                points.add(seg.t + CAR_SETTLE_S)
        points = sorted(p for p in points if p < view.end)
        pieces = []
        for i, t in enumerate(points):
            until = points[i + 1] if i + 1 < len(points) else view.end
            seg = _state_at(segs, t)
            if seg is None:
                continue
            allowed = _allowance(segs, t)
            pieces.append((t, until, max(seg.current) > overcurrent_threshold_a(allowed) + EPS))
        for start, end in _runs(pieces):
            if end - start > OVERCURRENT_REACTION_S + EPS:
                seg = _state_at(segs, start)
                assert seg is not None
                found.append((start, f"connector {c}: {max(seg.current):g} A from "
                              f"t={start:.3f} s for {end - start:.3f} s, above "
                              f"{_allowance(segs, start):.1f} A offered plus tolerance (cut-off "
                              f"allowed after {OVERCURRENT_REACTION_S:g} s)"))
    return found


def _allowance(segments: list[Segment], t: float) -> float:
    """The highest offer in effect during [t - CAR_SETTLE_S, t]."""
    best = 0.0
    first = max(0, bisect.bisect_right(segments, t - CAR_SETTLE_S + EPS, key=lambda s: s.t) - 1)
    for i in range(first, len(segments)):
        seg = segments[i]
        if seg.t > t + EPS:
            break
        until = segments[i + 1].t if i + 1 < len(segments) else float("inf")
        if until > t - CAR_SETTLE_S + EPS:
            best = max(best, seg.offer_a)
    return best


def no_energy_outside_transaction(view: RunView) -> list[Violation]:
    found: list[Violation] = []
    for c, cv in view.connectors.items():
        spans = list(_spans(cv.segments, view.end))
        for start, end in _runs((a, b, s.power_w > 0 and not s.transaction)
                                for a, b, s in spans):
            # The board's last reading before its contactors opened may reach the recorder
            # after the EVSE manager's end of the transaction, which it caused.
            if end - start > max(EPS, view.observation_lag_s):
                wh = sum(s.power_w * (min(b, end) - max(a, start))
                         for a, b, s in spans if b > start and a < end) / 3600.0
                found.append((start, f"connector {c}: {wh:.3f} Wh flowed outside a "
                              f"transaction from t={start:.3f} s for {end - start:.3f} s"))
        for (t1, e1), (t2, e2) in zip(cv.meter, cv.meter[1:]):
            if e2 - e1 > 1e-3 and not any(s < t2 and e > t1 for s, e in cv.transactions):
                found.append((t1, f"connector {c}: the meter registered {e2 - e1:.3f} Wh "
                              f"between t={t1:.3f} s and t={t2:.3f} s, outside any transaction"))
    return found


def lock_engaged_while_powered(view: RunView) -> list[Violation]:
    found: list[Violation] = []
    for c, cv in view.connectors.items():
        spans = _spans(cv.segments, view.end)
        for start, end in _runs((a, b, s.relays_closed and not s.locked) for a, b, s in spans):
            if end - start > EPS:
                reason = "" if cv.has_lock else " (no lock is connected)"
                found.append((start, f"connector {c}: contactor closed with the plug unlocked "
                              f"from t={start:.3f} s for {end - start:.3f} s{reason}"))
    return found


def energy_tree_limits(view: RunView) -> list[Violation]:
    """One sweep through time: at each change of a connector's currents only the nodes above it
    are added up again, and at each new tree (its limits or shape) every node is, so a depot's
    day costs its changes times the tree's depth, not its changes times its connectors."""
    found: list[Violation] = []
    if not view.trees:
        return found
    connector_of = {cv.evse: c for c, cv in view.connectors.items()}
    changes = sorted(((s.t, c, s.current) for c, cv in view.connectors.items()
                      for prev, s in zip((None, *cv.segments), cv.segments)
                      if prev is None or s.current != prev.current),
                     key=lambda change: change[0])  # stable: a connector's own order is kept
    points = sorted({t for t, _ in view.trees} | {t for t, _, _ in changes})
    points = [p for p in points if p < view.end]
    current: dict[int, tuple[float, float, float]] = {}
    nodes: list[TreeNode] = []
    above: dict[int, list[int]] = {}  # connector -> indices of the nodes it is below
    sums: list[list[float]] = []
    over_since: dict[str, tuple[float, float, float]] = {}  # node -> (since, amperes, limit)
    runs: list[tuple[str, float, float, float, float]] = []
    next_change = next_tree = 0

    def add(k: int, c: int, sign: float) -> None:
        node = nodes[k]
        for site, amps in zip(node.evse_phases.get(view.connectors[c].evse, (0, 1, 2)),
                              current.get(c, (0.0, 0.0, 0.0))):
            sums[k][site] += sign * amps

    def close(uuid: str, t: float) -> None:
        since, amps, limit = over_since.pop(uuid)
        runs.append((uuid, since, t, amps, limit))

    for t in points:
        touched: set[int] = set()
        while next_change < len(changes) and changes[next_change][0] <= t + EPS:
            _, c, amps = changes[next_change]
            next_change += 1
            for k in above.get(c, ()):
                add(k, c, -1.0)
            current[c] = amps
            for k in above.get(c, ()):
                add(k, c, 1.0)
                touched.add(k)
        tree = None
        while next_tree < len(view.trees) and view.trees[next_tree][0] <= t + EPS:
            tree = view.trees[next_tree][1]
            next_tree += 1
        if tree is not None:  # a new tree: every node added up afresh
            nodes, above, sums = list(tree), {}, []
            for k, node in enumerate(nodes):
                sums.append([0.0, 0.0, 0.0])
                for uuid in node.evses:
                    c = connector_of.get(uuid)
                    if c is not None:
                        above.setdefault(c, []).append(k)
                        add(k, c, 1.0)
            for uuid in set(over_since) - {n.uuid for n in nodes}:
                close(uuid, t)
            touched = set(range(len(nodes)))
        for k in touched:
            node = nodes[k]
            excess = [a - limit for a, limit in zip(sums[k], node.limit_a)]
            worst = max(range(3), key=lambda p: excess[p])
            if excess[worst] > 1e-6:
                over_since.setdefault(node.uuid, (t, sums[k][worst], node.limit_a[worst]))
            elif node.uuid in over_since:
                close(node.uuid, t)
    for uuid in list(over_since):
        close(uuid, view.end)
    for uuid, start, end, amps, limit in sorted(runs, key=lambda run: (run[1], run[0])):
        if end - start > view.settle_s + OVERCURRENT_REACTION_S + EPS:
            found.append((start, f"{uuid}: {amps:g} A against a {limit:g} A limit from "
                          f"t={start:.3f} s for {end - start:.3f} s (allowed: settle "
                          f"window {view.settle_s:g} s + {OVERCURRENT_REACTION_S:g} s to cut "
                          "off a car that does not follow)"))
    return found


def dc_contactors_after_cable_check_and_precharge(view: RunView) -> list[Violation]:
    found: list[Violation] = []
    for c, cv in view.connectors.items():
        for t, checked, precharged in cv.dc_closings:
            missing = [what for what, done in (("a passed cable check", checked),
                                               ("pre-charge", precharged)) if not done]
            if missing:
                found.append((t, f"connector {c}: the car's DC contactors closed at t={t:.3f} s "
                              f"without {' and '.join(missing)}"))
    return found


@dataclass(frozen=True)
class Invariant:
    name: str  # the key a scenario uses under ``invariants:``
    title: str  # shown as the verdict's name
    judged: str  # how it is judged, for the docs
    judge: Callable[[RunView], list[Violation]]


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "contactor_closed_only_when_allowed",
        "the contactor is closed only in C or D, with PWM offered and a transaction running",
        "contactor feedback (measurement rows) against pilot state, PWM duty and the "
        "TransactionStarted/Finished events: closing without all three is a violation; once "
        "closed, 100 ms to open after the car leaves C/D or the transaction ends, and "
        "pwm_stop_timeout_s (+100 ms) after the PWM stops with the car still in C",
        contactor_closed_only_when_allowed),
    Invariant(
        "contactor_opens_in_time",
        "the contactor opens within 100 ms of C->B, unplugging and an RCD trip",
        "from each C/D->B or C/D->A pilot change (measurement rows) and each RCD error of the "
        "connector's RCD, to the first row with the contactor open",
        contactor_opens_in_time),
    Invariant(
        "current_within_offer",
        "after the car's 5 s settle window, the current stays within the PWM offer plus "
        "10 % (at least 1 A); an over-drawing car is cut off within 3 s",
        "each phase current (measurement rows) against the highest offer of the last 5 s "
        "(duty -> current, IEC 61851-1 Annex A) plus the tolerance; an excursion above it may "
        "last at most 3 s",
        current_within_offer),
    Invariant(
        "no_energy_outside_transaction",
        "no energy flows outside a transaction",
        "power (voltage x current, measurement rows) while no transaction is open on the "
        "connector, and any increase of the meter register between two readings with no "
        "transaction open in between",
        no_energy_outside_transaction),
    Invariant(
        "lock_engaged_while_powered",
        "the lock is engaged while power is on",
        "contactor closed (measurement rows) while the connector lock last reported unlocked",
        lock_engaged_while_powered),
    Invariant(
        "energy_tree_limits",
        "no fuse or limit in the energy tree is exceeded after its settle window",
        "for each node of the tree the energy manager reads (it publishes every node's limit "
        "per phase), the sum of its connectors' currents on each site phase against the node's "
        "limit; an excursion may last at most the energy manager's settle_s plus the 3 s the "
        "charger has to cut off a car that does not follow",
        energy_tree_limits),
    Invariant(
        "dc_contactors_after_cable_check_and_precharge",
        "the DC contactors connect the battery only after a passed cable check and pre-charge",
        "each closing of the car's DC contactors (its inlet's measurement rows) against the "
        "EVSE manager's cable_check_finished(true) command to the SECC and its DC sub-machine "
        "reaching WaitingForPowerDelivery (pre-charged within 20 V) in the same cable check",
        dc_contactors_after_cable_check_and_precharge),
)
INVARIANT_NAMES: tuple[str, ...] = tuple(i.name for i in INVARIANTS)
KIND, KIND_OFF = "invariant", "invariant-off"


def judge_invariants(rows: list[Row], wiring: Wiring, end: float,
                     switched_off: dict[str, str] | None = None,
                     observation_lag_s: float = 0.0) -> list[ExpectationResult]:
    """One verdict per invariant; a switched-off one passes and says why it was switched off.
    ``observation_lag_s``: see RunView (0 in virtual time)."""
    switched_off = switched_off or {}
    view = replace(build_view(rows, wiring, end), observation_lag_s=observation_lag_s)
    results = []
    for invariant in INVARIANTS:
        if invariant.name in switched_off:
            results.append(ExpectationResult(
                f"invariant: {invariant.title}", True,
                f"switched off by the scenario: {switched_off[invariant.name]}", None,
                kind=KIND_OFF))
            continue
        found = invariant.judge(view)
        if found:
            listed = "; ".join(text for _, text in found[:MAX_LISTED])
            more = f" (and {len(found) - MAX_LISTED} more)" if len(found) > MAX_LISTED else ""
            detail = f"{len(found)} violation{'s' if len(found) > 1 else ''}: {listed}{more}"
            t = min(when for when, _ in found)
        else:
            detail, t = "held throughout", None
        results.append(ExpectationResult(f"invariant: {invariant.title}", not found, detail, t,
                                         kind=KIND))
    return results

