"""The README's distributed command passes, and says where its broker is and how far it got."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.mqtt
@pytest.mark.slow
def test_the_documented_distributed_run_passes(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^\.venv/bin/evbench (run .* --bus mqtt .*)$", readme, re.MULTILINE)
    assert commands, "the README shows no distributed run"
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "evbench.cli", *shlex.split(command),
                               "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        assert re.search(r"^broker mqtt://127\.0\.0\.1:\d+", done.stdout, re.MULTILINE)
        assert re.search(r"^  t = \d+ s of \d+ s$", done.stdout, re.MULTILINE)  # progress
