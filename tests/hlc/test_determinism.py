"""An HLC run repeats exactly: SLAC keys and run ids, TCP sequence numbers and ports, session
ids all come from the run's seeded generator, in another process with another hash seed too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "scenarios" / "dc_cable_check_failure.yaml"


def _run(out: Path, hash_seed: str) -> bytes:
    done = subprocess.run([sys.executable, "-m", "evbench.cli", "run", str(SCENARIO), "--quiet",
                           "--out", str(out)], cwd=out.parent,
                          env={**os.environ, "PYTHONHASHSEED": hash_seed},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return (out / "timeline.csv").read_bytes()


def test_an_hlc_run_repeats_byte_for_byte(tmp_path: Path) -> None:
    first, second = _run(tmp_path / "a", "1"), _run(tmp_path / "b", "4242")
    assert b"IPv6 TCP" in first and b"SessionSetupReq" in first
    assert first == second
