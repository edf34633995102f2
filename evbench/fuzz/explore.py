"""Run many generated scenarios, judge the invariants, keep and shrink what violates them.

Run ``index`` of seed ``S`` is drawn from ``random.Random(f"{S}:{index}")``, so a run is the
same whichever worker process runs it and whatever ``--runs`` says. Runs are spread over worker
processes when there are many; each violating scenario is shrunk (steps, then cars, dropped
while the same invariant still fails) and written as a scenario file next to nothing else it
needs but the station, which it names by a path relative to itself.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.fuzz.generate import (
    StationFacts,
    generate_scenario,
    station_facts,
    station_ref_from,
)
from evbench.fuzz.shrink import shrink
from evbench.scenario.invariants import KIND
from evbench.scenario.loader import load_scenario
from evbench.scenario.runner import ScenarioRun

PARALLEL_FROM = 50  # fewer runs than this stay in this process: starting workers costs more
EXCEPTION_CHECK = "no module raised an exception"
# A run is minutes of simulated time, well under a second of wall time: one that takes this long
# has stopped advancing its clock (a zero-delay loop), which is a finding of its own.
STALL_S = 30.0
STALL_CHECK = "the simulation keeps advancing"


class _Stalled(Exception):
    pass


def _stalled(*_args) -> None:
    raise _Stalled


@dataclass
class Violation:
    index: int
    failed: list[str]  # names of the failed invariants
    detail: str
    file: str | None = None  # the shrunk scenario written for it


@dataclass
class FuzzReport:
    runs: int
    violations: list[Violation] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return f"{self.runs} runs, {len(self.violations)} invariant violations"


def failed_invariants(results) -> list[tuple[str, str]]:
    """(name, detail) of each failed invariant, and of a module exception (a crash is never
    safe either)."""
    return [(r.name, r.detail) for r in results if not r.passed
            and (r.kind == KIND or r.name == EXCEPTION_CHECK)]


class _Worker:
    """Per-process state: one module registry and a scratch directory for scenario files."""

    def __init__(self, station: str, seed: int, out: str | None):
        self.registry = ModuleRegistry(SchemaRegistry())
        self.facts: StationFacts = station_facts(station, self.registry)
        self.seed = seed
        self.out = Path(out) if out else None
        self.scratch = Path(tempfile.mkdtemp(prefix="evbench-fuzz-"))

    def document(self, index: int) -> dict[str, Any]:
        rng = random.Random(f"{self.seed}:{index}")
        return generate_scenario(self.facts, rng, title=f"fuzz seed {self.seed} run {index}",
                                 seed=index)

    def failures(self, doc: dict[str, Any], name: str = "run") -> list[tuple[str, str]]:
        path = self.scratch / f"{name}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        scenario = load_scenario(path)
        watch = hasattr(signal, "setitimer")  # (POSIX; this is each worker's main thread)
        if watch:
            previous = signal.signal(signal.SIGALRM, _stalled)
            signal.setitimer(signal.ITIMER_REAL, STALL_S)
        try:
            result = ScenarioRun(scenario, registry=self.registry).run()
        except _Stalled:
            return [(STALL_CHECK, f"no end after {STALL_S:g} s of wall time: the simulated "
                                  "clock stopped advancing")]
        finally:
            if watch:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        return failed_invariants(result.expectations)

    def run(self, index: int) -> Violation | None:
        doc = self.document(index)
        found = self.failures(doc)
        if not found:
            return None
        names = {name for name, _ in found}
        small = shrink(doc, lambda d: bool(names & {n for n, _ in self.failures(d, "shrink")}))
        small_found = self.failures(small, "shrink") or found
        violation = Violation(index, [n for n, _ in small_found],
                              "; ".join(d for _, d in small_found))
        if self.out is not None:
            violation.file = str(self._write(index, small, small_found))
        return violation

    def _write(self, index: int, doc: dict[str, Any], found: list[tuple[str, str]]) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        path = self.out / f"violation-seed{self.seed}-run{index}.yaml"
        doc = dict(doc, station=station_ref_from(self.out.resolve(), self.facts.path))
        header = [f"# Found by: evbench fuzz (seed {self.seed}, run {index}), shrunk.",
                  f"# Reproduce: evbench run {path.name}"]
        header += [f"# Violated: {name}" for name, _ in found]
        path.write_text("\n".join(header) + "\n" + yaml.safe_dump(doc, sort_keys=False),
                        encoding="utf-8")
        return path


_worker: _Worker | None = None


def _init(station: str, seed: int, out: str | None) -> None:
    global _worker
    _worker = _Worker(station, seed, out)


def _run(index: int) -> Violation | None:
    assert _worker is not None
    return _worker.run(index)


def fuzz(station: str | Path, runs: int, seed: int = 0, out: str | Path | None = None,
         jobs: int | None = None,
         progress: Callable[[int, Violation | None], None] | None = None) -> FuzzReport:
    """Run ``runs`` generated scenarios on ``station``; violations are written into ``out``."""
    station, out_text = str(station), (str(out) if out is not None else None)
    station_facts(station, ModuleRegistry(SchemaRegistry()))  # a bad station fails here, once
    jobs = jobs or os.cpu_count() or 1
    report = FuzzReport(runs)
    for done, violation in enumerate(_results(station, seed, out_text, runs, jobs), 1):
        if violation is not None:
            report.violations.append(violation)
        if progress is not None:
            progress(done, violation)
    report.violations.sort(key=lambda v: v.index)
    return report


def _results(station: str, seed: int, out: str | None, runs: int,
             jobs: int) -> Iterator[Violation | None]:
    if jobs <= 1 or runs < PARALLEL_FROM:
        worker = _Worker(station, seed, out)
        for index in range(runs):
            yield worker.run(index)
        return
    context = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    with context.Pool(jobs, initializer=_init, initargs=(station, seed, out)) as pool:
        yield from pool.imap_unordered(_run, range(runs), chunksize=8)
