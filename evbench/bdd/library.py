"""The step library's one table: every step, the examples that document it, and what it does.

Steps are declared with :func:`given`, :func:`when` and :func:`then` from this module instead of
pytest-bdd's own decorators. They register the step with pytest-bdd exactly as its decorators do,
and also in :data:`STEPS`, which docs/bdd-steps.md is generated from
(``python -m evbench.bdd.vocabulary``). Each step names at least one example phrase, and a test
checks that every example is understood by its own step, so the page cannot describe a phrase
the library does not read.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest_bdd
from pytest_bdd.parsers import StepParser, get_parser

F = TypeVar("F", bound=Callable[..., Any])
KINDS = ("given", "when", "then")
_DECORATORS = {"given": pytest_bdd.given, "when": pytest_bdd.when, "then": pytest_bdd.then}


@dataclass(frozen=True)
class Step:
    """One step of the library, as the documentation shows it."""

    kind: str  # given, when or then
    name: str  # the step function's name
    examples: tuple[str, ...]  # phrases the step understands, the forms the docs show
    summary: str  # the step function's docstring
    parser: StepParser

    def understands(self, text: str) -> bool:
        return bool(self.parser.is_matching(text))


STEPS: list[Step] = []


def _declare(kind: str) -> Callable[..., Callable[[F], F]]:
    def declare(pattern: str | StepParser, *examples: str) -> Callable[[F], F]:
        parser = get_parser(pattern)

        def register(func: F) -> F:
            summary = inspect.getdoc(func)
            if not examples or not summary:
                raise TypeError(f"step {func.__name__} needs an example phrase and a docstring: "
                                "docs/bdd-steps.md is written from them")
            STEPS.append(Step(kind, func.__name__, examples, summary, parser))
            # stacklevel 2: pytest-bdd puts the step's fixture into the module that declares it.
            return _DECORATORS[kind](parser, stacklevel=2)(func)
        return register
    return declare


given = _declare("given")
when = _declare("when")
then = _declare("then")


def steps_of(kind: str) -> list[Step]:
    return [step for step in STEPS if step.kind == kind]
