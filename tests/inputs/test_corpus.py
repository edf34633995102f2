"""Every case of the malformed-input corpus ends with exit code 2 and one clear message naming
file and line (or a usage message), without a traceback, quickly and with bounded memory.

The plain cases run in-process through ``evbench.cli.main`` (fast); the resource bombs run as
processes under a memory limit (test_bombs.py).
"""

from __future__ import annotations

import contextlib
import io
import signal
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from evbench.cli import main
from tests.inputs.corpus import CASES, Case, check_output, materialise

PLAIN = [c for c in CASES if not c.bomb]
HANG_S = 60  # only to turn a hang into a failure; never a timing assertion
MEMORY_MB = 64  # Python allocations of one in-process case (the registries are shared)


@contextlib.contextmanager
def hang_guard(seconds: int) -> Iterator[None]:
    def hung(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_in_process(argv: list[str]) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, peak bytes allocated) of ``evbench ARGV``."""
    out, err = io.StringIO(), io.StringIO()
    tracemalloc.start()
    try:
        with hang_guard(HANG_S), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 2
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return code, out.getvalue(), err.getvalue(), peak


@pytest.mark.parametrize("case", PLAIN, ids=lambda c: f"{c.category}/{c.id}")
def test_malformed_input_is_refused_with_exit_2_and_file_line(
        case: Case, corpus_dir: Path, cached_cli_registries: None) -> None:
    path, argv = materialise(case, corpus_dir)
    code, out, err, peak = run_in_process(argv)
    check_output(case, path, corpus_dir, code, out, err)
    assert peak < MEMORY_MB << 20, f"{peak / 1e6:.0f} MB allocated"


def test_the_corpus_has_at_least_100_cases_in_every_category() -> None:
    counts = Counter(c.category for c in CASES)
    assert sum(counts.values()) >= 100
    assert set(counts) == {"yaml-syntax", "resource-bombs", "scenario-structure",
                           "station-structure", "wiring", "wrong-file-kind", "cli-arguments"}
    assert min(counts.values()) >= 5
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_good_files_the_corpus_breaks_are_accepted(
        corpus_dir: Path, cached_cli_registries: None) -> None:
    """Each broken file differs from a valid one by its edit only."""
    from tests.inputs.corpus import GOOD_SCENARIO, ONE_CONNECTOR, TWO_CONNECTORS

    files = []
    for name, text in (("good.yaml", GOOD_SCENARIO), ("stations/one.yaml", ONE_CONNECTOR),
                       ("stations/two.yaml", TWO_CONNECTORS)):
        (corpus_dir / name).write_text(text, encoding="utf-8")
        files.append(str(corpus_dir / name))
    code, out, err, _peak = run_in_process(["validate", *files])
    assert (code, err) == (0, ""), err
    assert out.count(": ok") == 3
