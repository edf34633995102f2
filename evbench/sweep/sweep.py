"""Running every run of a sweep on a process pool or a Dask cluster, and gathering the results:
``results.parquet`` (one row per run) and ``summary.html`` (metric distributions)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from charger.framework.errors import EvbenchError
from evbench.sweep.runner import run_one
from evbench.sweep.spec import Run, SweepSpec
from evbench.sweep.summary import write_summary

CONNECT_TIMEOUT_S = 20  # to reach the Dask scheduler


@dataclass
class SweepResult:
    table: pd.DataFrame
    parquet: Path
    summary: Path

    @property
    def failed(self) -> int:
        return int((~self.table["passed"]).sum()) if len(self.table) else 0


def run_sweep(spec: SweepSpec, out: Path, *, dask: str | None = None, jobs: int | None = None,
              progress: bool | None = None) -> SweepResult:
    """Every run, on a local pool (``jobs`` processes) or the Dask scheduler at ``dask``."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EvbenchError(f"--out {out}: cannot create the directory: "
                           f"{exc.strerror or exc}") from None
    runs = spec.runs()
    show = sys.stdout.isatty() if progress is None else progress
    rows = list(_with_progress(_execute(spec, runs, out, dask, jobs), len(runs), show))
    table = pd.DataFrame(rows).sort_values("run").reset_index(drop=True)
    parquet = out / "results.parquet"
    table.to_parquet(parquet, engine="pyarrow", index=False)
    summary = write_summary(table, spec, out / "summary.html")
    return SweepResult(table, parquet, summary)


def _execute(spec: SweepSpec, runs: list[Run], out: Path, dask: str | None,
             jobs: int | None) -> Iterator[dict[str, Any]]:
    args = [(str(spec.scenario), r.overrides, r.seed, r.index, str(out.resolve())) for r in runs]
    if dask:
        from distributed import Client
        from distributed import as_completed as dask_completed

        try:
            client = Client(dask, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise EvbenchError(f"--dask {dask}: cannot reach the Dask scheduler: {exc}") from None
        with client:
            futures = [client.submit(run_one, *a, pure=True) for a in args]
            for future in dask_completed(futures):
                yield future.result()
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, *a) for a in args]
        for future in as_completed(futures):
            yield future.result()


def _with_progress(rows: Iterator[dict], total: int, show: bool) -> Iterator[dict]:
    """A bar of the runs done and failed, drawn like ``evbench fuzz``'s (on a terminal only)."""
    from tqdm import tqdm

    from evbench.progress import FUZZ_FORMAT

    failed = 0
    with tqdm(total=total, file=sys.stdout, bar_format=FUZZ_FORMAT, disable=not show,
              leave=False, mininterval=0.1, delay=0.5) as bar:
        for row in rows:
            if not row.get("passed"):
                failed += 1
                bar.set_postfix_str(f"{failed} failed", refresh=False)
            bar.update(1)
            yield row
