"""Scenario sweeps: a grid of parameter values x seeds over one scenario, each run independent,
on a local process pool or a Dask cluster, gathered into one Parquet table and an HTML page."""

from evbench.sweep.spec import SweepSpec, load_sweep
from evbench.sweep.sweep import run_sweep

__all__ = ["SweepSpec", "load_sweep", "run_sweep"]
