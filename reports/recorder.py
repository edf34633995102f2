"""The recorder: every bus message and every sampled signal of a run, with its simulated time.

It is the single source of truth of what happened: scenario conditions, expectations, BDD steps
and reports all read it, so nothing ever needs to sleep and look.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import simpy

from charger.framework.bus import Bus
from charger.framework.values import FrozenValue
from reports.model import EVENT_COLUMNS, SIGNAL_COLUMNS, SIGNALS, UNCHANGED

if TYPE_CHECKING:
    import pandas as pd

SAMPLE_PRIORITY = 2  # after every NORMAL (1) event of the same instant: samples see its outcome
# Hard caps on what one run keeps in memory (a timeline row takes about 1.2 kB with its value,
# a signal row about 0.4 kB: together at most about 1.6 GB). A run that reaches one stops
# there, keeping everything recorded so far; scenarios are refused up front when they would
# (evbench.scenario.limits).
MAX_TIMELINE_ROWS = 1_000_000
MAX_SIGNAL_ROWS = 1_000_000


class Row(NamedTuple):
    """One timeline row. A named tuple rather than a frozen dataclass: as immutable, and a run
    records tens of thousands of them, where the dataclass's frozen __init__ costs 4x more."""

    t: float
    source: str
    kind: str
    name: str
    value: Any
    text: str  # value as canonical JSON, frozen when recorded


# A row's fields in EVENT_COLUMNS order (t, source, kind, name, and the value as its text).
_EVENT_FIELDS = itemgetter(*(Row._fields.index(f) for f in ("t", "source", "kind", "name", "text")))

# What json.dumps(value, sort_keys=True, separators=(",", ":"), default=str) builds on every
# call, built once: the same text without the construction. Beneath it, the C encoder it makes
# per call, made once too, without the circular-reference bookkeeping (a circular value, which
# no bus message can be, then recurses until RecursionError and takes the JSONEncoder's path,
# which raises its ValueError).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
_C_CANONICAL = (c_make_encoder(None, str, encode_basestring_ascii, None, ":", ",", True, False,
                               True) if c_make_encoder is not None else None)
_INF = math.inf
# Scalars written directly, as the JSON encoder writes them (it would build its C encoder
# first); keyed by exact type so that subclasses (IntEnum, str enums) take the encoder's path.
_SCALAR_TEXT: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii,
    int: int.__repr__,
    bool: lambda value: "true" if value else "false",
    type(None): lambda _value: "null",
    float: lambda value: (float.__repr__(value) if -_INF < value < _INF
                          else "NaN" if value != value
                          else "Infinity" if value > 0 else "-Infinity"),
}


def _frozen_text(value: FrozenValue) -> str:
    """A FrozenValue's text, made the first time (it is published again unchanged)."""
    if value.memo is None:
        value.memo = "".join(_C_CANONICAL(value, 0)) if _C_CANONICAL is not None \
            else _CANONICAL.encode(value)
    return value.memo


_SCALAR_TEXT[FrozenValue] = _frozen_text


def to_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, ASCII only, anything else as its str()."""
    scalar = _SCALAR_TEXT.get(type(value))
    if scalar is not None:
        return scalar(value)
    if _C_CANONICAL is not None:
        try:
            return "".join(_C_CANONICAL(value, 0))
        except RecursionError:
            pass
    return _CANONICAL.encode(value)


class RowLimit:
    """A cap on the rows of one record; ``reached`` (a simpy event) fires when it is hit."""

    def __init__(self, env: simpy.Environment, what: str, max_rows: int):
        self.what = what
        self.max_rows = max_rows
        self.reached = env.event()
        self.dropped = 0  # rows offered after the cap

    def admits(self, rows: int, now: float) -> bool:
        """Whether a record of ``rows`` rows is within the cap; the first refusal fires
        ``reached``."""
        if rows <= self.max_rows:
            return True
        if not self.reached.triggered:
            self.reached.succeed(now)
        self.dropped += 1
        return False

    def describe(self) -> str:
        return (f"the {self.what} reached its limit of {self.max_rows:,} rows at "
                f"t={self.reached.value:g} s; the run stopped there")


class Recorder:
    """Collects timeline rows; ``watch`` lets a caller see each row as it is recorded.

    At ``max_rows`` it keeps no more (the row that hit the cap is replaced by a log row saying
    so) and fires ``limit.reached``, so that the run can stop instead of exhausting memory."""

    def __init__(self, env: simpy.Environment, max_rows: int | None = None):
        self.env = env
        self.rows: list[Row] = []
        self.limit = RowLimit(env, "timeline", max_rows or MAX_TIMELINE_ROWS)
        self._watchers: list[Callable[[Row], None]] = []

    def attach(self, bus: Bus) -> None:
        bus.add_tap(self.record)

    def record(self, kind: str, source: str, name: str, value: Any, *,
               always: bool = False) -> None:
        """Add a row (``always``: even beyond the cap, for the few rows that close a run)."""
        now = float(self.env.now)
        rows = self.rows
        # Below the cap (nearly always) the limit need not be asked.
        if (not always and len(rows) >= self.limit.max_rows
                and not self.limit.admits(len(rows) + 1, now)):
            if self.limit.dropped == 1:  # the last row says why the timeline ends
                text = f"recording stopped: {self.limit.describe()}"
                rows.append(Row(now, "recorder", "log", "error", text, to_json(text)))
            return
        row = Row(now, source, kind, name, value, to_json(value))
        rows.append(row)
        if self._watchers:
            for watcher in tuple(self._watchers):
                watcher(row)

    def watch(self, watcher: Callable[[Row], None]) -> None:
        self._watchers.append(watcher)

    def unwatch(self, watcher: Callable[[Row], None]) -> None:
        self._watchers.remove(watcher)

    def events_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(map(_EVENT_FIELDS, self.rows)), columns=list(EVENT_COLUMNS))


@dataclass(frozen=True)
class ConnectorProbe:
    """Where one connector's signals are published on the bus."""

    connector: int
    board: tuple[str, str]  # evse_board_support implementation (pilot states, contactors)
    ev_board: tuple[str, str] | None = None  # ev_board_support: pilot voltage and duty
    meter: tuple[str, str] | None = None  # powermeter
    car: tuple[str, str] | None = None  # car_simulator: state of charge


# A sample row's signal values from a {signal name: value} dict, in SIGNAL_COLUMNS order.
_READ_SIGNALS = itemgetter(*(s.name for s in SIGNALS))
assert len(SIGNALS) > 1  # itemgetter of one name would return the value, not a tuple


class _LateTimeout(simpy.events.Event):
    """A timeout that fires after everything else scheduled for the same instant.

    simpy's own Timeout always uses NORMAL priority; this follows its construction (mark the
    event ok and schedule it) with a later priority.
    """

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, SAMPLE_PRIORITY, delay)


class SignalSampler:
    """Keeps every published value of each signal as it changes, and renders the samples.

    What each signal is and where it comes from is the signal table (reports.model.SIGNALS).
    Signals are piecewise: each holds the latest value published before a sample (the sample
    comes after everything else of its instant), and a signal with a slope (state of charge,
    the simulated board's meter energy) rises from that value at the slope its message gave.
    The samples every ``interval_s`` (signals.csv, the plots) are rendered from this record
    when the run ends (:meth:`finish`), not taken by a ticking process; a step waiting for a
    signal condition is checked on each sample time while it waits (``on_sample``).
    """

    def __init__(self, env: simpy.Environment, bus: Bus, probes: list[ConnectorProbe],
                 grid: tuple[str, str] | None, interval_s: float = 1.0,
                 max_rows: int | None = None):
        self.env = env
        self.interval_s = interval_s
        self._columns: dict[str, list] = {}  # rendered by finish(), by column
        # Like the recorder's: at the cap no more samples are kept and ``limit.reached`` fires.
        self.limit = RowLimit(env, "signal record", max_rows or MAX_SIGNAL_ROWS)
        self.latest: dict[int, dict[str, Any]] = {}
        self.site: dict[str, Any] = {s.name: s.initial for s in SIGNALS if s.source == "grid"}
        self.last_sample: list[tuple] = []  # the rows of the latest live sample (on_sample)
        # Every change: (t, connector or None for the site, signal, value, slope per second).
        self.changes: list[tuple[float, int | None, str, Any, float]] = []
        self._sloped: dict[tuple[int | None, str], tuple[float, float]] = {}  # (since, slope)
        self._watchers: list[Callable[[], None]] = []
        self._ticking = False
        for probe in probes:
            latest = self.latest[probe.connector] = {
                s.name: s.initial for s in SIGNALS if s.source != "grid"}
            # The simulated board's meter reports every change of current, so its energy
            # rises at the reported power until the next reading.
            simulated = probe.meter is not None and probe.ev_board is not None \
                and probe.meter[0] == probe.ev_board[0]
            for part in {s.source for s in SIGNALS if s.source != "grid"}:
                where = getattr(probe, part)
                if where is not None:
                    self._subscribe(bus, where, part, latest, probe.connector,
                                    slopes=part != "meter" or simulated)
        self._initial = {c: dict(values) for c, values in self.latest.items()}
        self._initial_site = dict(self.site)
        if grid:
            self._subscribe(bus, grid, "grid", self.site, None, slopes=True)

    @property
    def grid_limit_a(self) -> float:
        return self.site.get("grid_limit_a", math.nan)

    def start(self) -> simpy.Event | None:
        """Watch the record's size: the first sample over the cap ends the run there."""
        per_sample = len(self.latest)
        if not per_sample:
            return None
        samples = self.limit.max_rows // per_sample  # the samples within the cap
        # The first sample over the cap: stop the run there.
        over = _LateTimeout(self.env, samples * self.interval_s)
        over.callbacks.append(lambda _e: self.limit.admits((samples + 1) * per_sample,
                                                           float(self.env.now)))
        return over

    def on_sample(self, watcher: Callable[[], None]) -> None:
        """Call ``watcher`` on each sample time from now on (``last_sample`` holds the rows)."""
        self._watchers.append(watcher)
        if not self._ticking:
            self._ticking = True
            self.env.process(self._tick())

    def off_sample(self, watcher: Callable[[], None]) -> None:
        self._watchers.remove(watcher)

    def _tick(self) -> Generator:
        """Live samples while a step waits for a signal condition, on the same grid as the
        rendered ones (0, one interval, two intervals, ... accumulated as the clock does)."""
        t = 0.0
        while self._watchers:
            while t < self.env.now:
                t += self.interval_s
            yield _LateTimeout(self.env, t - self.env.now)
            if self.limit.reached.triggered:
                break
            now = float(self.env.now)
            self.last_sample = [self._row(now, c, self.latest[c], self.site)
                                for c in sorted(self.latest)]
            for watcher in tuple(self._watchers):
                watcher()
            t += self.interval_s
        self._ticking = False

    def _row(self, t: float, connector: int, values: dict, site: dict) -> tuple:
        merged = {**values, **site}
        for (key, name), (since, slope) in self._sloped.items():
            if key is None or key == connector:
                merged[name] = round(merged[name] + slope * (t - since), _DECIMALS[name])
        return (t, connector, *_READ_SIGNALS(merged))

    def finish(self) -> None:
        """Render the samples from the recorded changes: one every ``interval_s`` from 0 up to
        now, and one now (where the run ended); column by column, each a run of constant or
        linearly rising pieces between changes."""
        end = float(self.env.now)
        connectors = sorted(self.latest)
        per_sample = len(connectors)
        self._columns = {}
        self.last_sample = []
        if not per_sample:
            return
        times: list[float] = []
        t = 0.0
        while t < end:  # the sample times as the clock adds them up
            times.append(t)
            t += self.interval_s
        times.append(end)
        within = self.limit.max_rows // per_sample  # samples within the cap
        if len(times) > within:
            self.limit.admits((within + 1) * per_sample, times[within])
            del times[within:]
        # Each signal's changes, per connector (None: the site's, on every connector).
        pieces: dict[tuple[int | None, str], list[tuple[float, Any, float]]] = {}
        for ct, key, name, value, slope in self.changes:
            pieces.setdefault((key, name), []).append((ct, value, slope))
        at = np.array(times)
        per_connector = []
        for c in connectors:
            initial = {**self._initial[c], **self._initial_site}
            columns = []
            for signal in SIGNALS:
                key = None if signal.source == "grid" else c
                columns.append(_render(at, initial[signal.name],
                                       pieces.get((key, signal.name), ()), signal.decimals))
            per_connector.append(columns)
        if per_sample == 1:
            merged = per_connector[0]
            self._columns = {"t": times, "connector": connectors * len(times)}
        else:  # rows go sample by sample, connector by connector within a sample
            merged = [[v for values in zip(*(cols[j] for cols in per_connector)) for v in values]
                      for j in range(len(SIGNALS))]
            self._columns = {"t": [t for t in times for _ in connectors],
                             "connector": connectors * len(times)}
        for signal, column in zip(SIGNALS, merged):
            self._columns[signal.name] = column
        total = len(self._columns["t"])
        self.last_sample = [tuple(self._columns[c][i] for c in SIGNAL_COLUMNS)
                            for i in range(total - per_sample, total)] if times else []

    @property
    def row_count(self) -> int:
        return len(self._columns["t"]) if self._columns else 0

    @property
    def rows(self) -> list[tuple]:
        """The rendered samples as rows (t, connector, signals...), in SIGNAL_COLUMNS order."""
        if not self._columns:
            return []
        return list(zip(*(self._columns[c] for c in SIGNAL_COLUMNS)))

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        if not self._columns:
            return pd.DataFrame([], columns=list(SIGNAL_COLUMNS))
        return pd.DataFrame({c: self._columns[c] for c in SIGNAL_COLUMNS})

    # --- what each source contributes ----------------------------------------------------------
    def _subscribe(self, bus: Bus, where: tuple[str, str], source: str, into: dict,
                   key: int | None, slopes: bool) -> None:
        signals = [s for s in SIGNALS if s.source == source]
        env, changes, sloped = self.env, self.changes, self._sloped
        for var in dict.fromkeys(s.var for s in signals):
            readers = [(s.name, s.read, s.slope if slopes else None)
                       for s in signals if s.var == var]

            def update(value: dict, readers: list = readers) -> None:
                now = env.now
                for name, read, slope_of in readers:
                    new = read(value)
                    if new is UNCHANGED:
                        continue
                    slope = slope_of(value) if slope_of is not None else 0.0
                    if slope:
                        sloped[key, name] = (now, slope)
                    elif (key, name) in sloped:
                        del sloped[key, name]
                    elif new == into[name] or (new != new and into[name] != into[name]):
                        continue  # nothing changed (NaN stays NaN)
                    into[name] = new
                    changes.append((now, key, name, new, slope))
            bus.subscribe(*where, var, update)


_DECIMALS = {s.name: s.decimals for s in SIGNALS}


def _render(times: np.ndarray, initial: Any, changes: Sequence[tuple[float, Any, float]],
            decimals: int) -> list:
    """One signal's samples at ``times`` from its changes (time, value, slope per second): a
    sample holds the latest change at or before it, risen by its slope since (rounded to the
    signal's decimals)."""
    out: list = []
    value, since, slope = initial, 0.0, 0.0
    k, n = 0, len(times)
    starts = np.searchsorted(times, [c[0] for c in changes], side="left").tolist() \
        if len(changes) else []
    for upto, (ct, new, new_slope) in zip(starts, changes):
        if upto > k:  # the samples before this change
            if slope:
                out.extend(np.round(value + slope * (times[k:upto] - since), decimals).tolist())
            else:
                out.extend([value] * (upto - k))
            k = upto
        value, since, slope = new, ct, new_slope
    if n > k:
        if slope:
            out.extend(np.round(value + slope * (times[k:] - since), decimals).tolist())
        else:
            out.extend([value] * (n - k))
    return out
