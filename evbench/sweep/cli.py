"""``evbench sweep SWEEP.yaml``: its arguments and what it prints.

Exit codes: 0 every run passed; 1 a run failed (its row says which expectations or why it could
not run); 2 bad input (the sweep file, its scenario, an option, an unreachable Dask scheduler).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path


def add_sweep_command(commands: argparse._SubParsersAction,
                      make_command: Callable[..., argparse.ArgumentParser]) -> None:
    """``sweep``; ``make_command`` is the command line's maker of a subcommand (its help lists
    the exit codes)."""
    parser = make_command(
        commands, "sweep", run,
        "run a scenario over a grid of parameter values x seeds, locally or on a Dask cluster, "
        "into one Parquet table and an HTML summary (docs/sweeps.md)",
        ok="every run passed", failed="a run failed or could not run (see its row)")
    parser.add_argument("sweep", type=Path, help="sweep file (scenario, parameters, seeds)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results directory (default: out/sweep-<sweep file name>)")
    parser.add_argument("--dask", default=None, metavar="SCHEDULER_ADDRESS",
                        help="run on this Dask cluster (tcp://HOST:PORT) instead of locally")
    parser.add_argument("--jobs", type=_positive, default=None,
                        help="local worker processes (default: one per core)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def run(args: argparse.Namespace) -> int:
    """Exit 0 when every run passed, 1 when one failed; bad input raises ConfigError or
    EvbenchError (exit 2)."""
    from evbench.sweep import load_sweep, run_sweep

    spec = load_sweep(args.sweep)
    out = args.out or Path("out") / f"sweep-{args.sweep.stem}"
    result = run_sweep(spec, out, dask=args.dask, jobs=args.jobs)
    print(f"{len(result.table)} runs, {result.failed} failed")
    print(f"results: {result.parquet}")
    print(f"summary: {result.summary}")
    return 1 if result.failed else 0
