"""A long run shows a progress bar of simulated time on a terminal, and nowhere else.

The terminal is a real pseudo-terminal (one that reports no size, as a bare pty does); the bar's
figures are read back from what was drawn on it.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
LONG_RUN = REPO / "benchmarks" / "ac_session_4h.yaml"  # 4 h simulated, under a wall second
HOURS = 16  # the long run stretched: a few wall seconds, so that the bar is drawn again and again
BAR = re.compile(r"\r *(\d+)%\|[^|]*\| t = (\d+) of (\d+) s, ([\d,]+)x real time \[")

pytestmark = pytest.mark.slow


def _on_a_terminal(argv: list[str]) -> tuple[int, str]:
    main_end, child_end = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "evbench.cli", *argv], cwd=REPO,
                               stdin=child_end, stdout=child_end, stderr=child_end)
    os.close(child_end)
    chunks = []
    while True:
        try:
            chunk = os.read(main_end, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_end)
    return process.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def _longer_run(tmp_path: Path) -> Path:
    doc = yaml.safe_load(LONG_RUN.read_text(encoding="utf-8"))
    doc["station"] = str((LONG_RUN.parent / doc["station"]).resolve())
    doc["duration"] = f"{HOURS} h"
    path = tmp_path / "long_run.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_a_long_run_on_a_terminal_draws_the_bar_then_clears_it(tmp_path: Path) -> None:
    code, out = _on_a_terminal(["run", str(_longer_run(tmp_path)), "--out", str(tmp_path / "out")])
    assert code == 0, out
    bars = BAR.findall(out)
    assert len(bars) >= 2, out[:2000]
    times = [int(t) for _, t, _, _ in bars]
    assert {int(total) for _, _, total, _ in bars} == {HOURS * 3600}
    assert times == sorted(times) and 0 < times[-1] <= HOURS * 3600
    assert all(int(ratio.replace(",", "")) > 1 for _, _, _, ratio in bars)  # faster than real
    last_bar = out.rindex("x real time")
    assert out.index("Four-hour AC session") > last_bar  # cleared before the summary
    assert out.rstrip().endswith("PASSED")


def test_quiet_turns_the_bar_off(tmp_path: Path) -> None:
    code, out = _on_a_terminal(["run", str(LONG_RUN), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 0, out
    assert out.strip() == "PASSED"


def test_no_bar_when_stdout_is_not_a_terminal(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "evbench.cli", "run", str(LONG_RUN),
                           "--out", str(tmp_path / "out")], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout + done.stderr
    assert "real time [" not in done.stdout
    assert done.stdout.rstrip().endswith("PASSED")


def test_fuzzing_on_a_terminal_counts_the_runs(tmp_path: Path) -> None:
    station = REPO / "scenarios" / "stations" / "ac-1-connector.yaml"
    code, out = _on_a_terminal(["fuzz", str(station), "--runs", "10", "--jobs", "1",
                                "--out", str(tmp_path / "fuzz")])
    assert code == 0, out
    done = [int(n) for n in re.findall(r"\| (\d+) of 10 runs \[", out)]
    assert done and done == sorted(done) and done[-1] == 10, out[:2000]
    assert out.index("10 runs, 0 invariant violations") > out.rindex(" of 10 runs [")
