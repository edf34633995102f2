"""The resource bombs of the corpus, each run as ``evbench`` in its own process under a memory
limit: an alias bomb, deep nesting, a self-containing alias, a huge file, a run that would record
millions of rows, a station whose energy node is its own child. Each must end with exit code 2
and its file:line message, without a traceback, within the memory limit. The timeout only turns
a hang into a failure; no test asserts on elapsed time."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.inputs.corpus import CASES, REPO, Case, check_output, materialise

BOMBS = [c for c in CASES if c.bomb]
MEMORY_LIMIT = 512 << 20  # address space: evbench running a whole scenario fits in 400 MB
HANG_S = 120


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_limited(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "evbench.cli", *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=HANG_S,
                          preexec_fn=_limit_memory)


@pytest.mark.parametrize("case", BOMBS, ids=lambda c: c.id)
def test_a_resource_bomb_is_refused_within_a_memory_limit(case: Case, corpus_dir: Path) -> None:
    path, argv = materialise(case, corpus_dir)
    done = run_limited(argv)
    check_output(case, path, corpus_dir, done.returncode, done.stdout, done.stderr)
    assert "MemoryError" not in done.stderr


def test_the_memory_limit_leaves_room_for_a_real_run(corpus_dir: Path) -> None:
    """The limit is tight enough to catch exhaustion, not so tight that evbench cannot work."""
    from tests.inputs.corpus import GOOD_SCENARIO

    good = corpus_dir / "good.yaml"
    good.write_text(GOOD_SCENARIO, encoding="utf-8")
    done = run_limited(["run", str(good), "--out", str(corpus_dir / "out"), "--quiet"])
    assert done.returncode in (0, 1), done.stderr
    assert (corpus_dir / "out" / "timeline.csv").is_file()
