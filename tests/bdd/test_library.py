"""The step library's tables and docs/bdd-steps.md are one: every phrase the page shows is
understood by the step that documents it, and the page is what the generator writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from evbench.bdd import given, then, when
from evbench.bdd.bench import BenchError
from evbench.bdd.library import STEPS, Step
from evbench.bdd.phrases import HAPPENINGS, connector_of, parse_happening
from evbench.bdd.vocabulary import TABLES, rewrite

PAGE = Path(__file__).resolve().parents[2] / "docs" / "bdd-steps.md"
EXAMPLES = [(step, example) for step in STEPS for example in step.examples]
# Steps whose "what" and "since" arguments are happenings (docs/bdd-steps.md, last table).
TIMING_STEPS = {"within", "within_first", "after_delay", "shows", "never_shows", "wait_for"}
HAPPENING_EXAMPLES = [(form, example) for form in HAPPENINGS for example in form.examples]


def test_the_committed_page_is_what_the_generator_writes() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for name in TABLES:
        assert f"<!-- bdd:{name} -->" in text, name
    assert rewrite(text) == text, (
        "docs/bdd-steps.md is out of date: python -m evbench.bdd.vocabulary --write "
        "docs/bdd-steps.md")


def test_a_new_step_changes_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page is read from the table: a step added to it is missing from the page."""
    text = PAGE.read_text(encoding="utf-8")
    extra = Step("then", "honks", ("the car honks",), "The car honks.", STEPS[0].parser)
    monkeypatch.setattr("evbench.bdd.library.STEPS", [*STEPS, extra])
    rewritten = rewrite(text)
    assert rewritten != text
    assert "`the car honks` | The car honks. |" in rewritten


def test_every_step_definition_is_in_the_table() -> None:
    """A step declared with pytest-bdd's own decorator would be missing from the docs."""
    registered = [name for module in (given, when, then) for name in vars(module)
                  if name.startswith("pytestbdd_stepdef_")]
    assert len(registered) == len(STEPS) > 60


@pytest.mark.parametrize(("step", "example"), EXAMPLES,
                         ids=[f"{s.kind}:{e}" for s, e in EXAMPLES])
def test_every_example_is_understood_by_its_step(step: Step, example: str) -> None:
    assert step.understands(example), f"{step.name} does not read {example!r}"
    arguments = step.parser.parse_arguments(example) or {}
    for key in ("what", "since"):  # the happenings a timing step names must be readable too
        if step.name in TIMING_STEPS and arguments.get(key):
            parse_happening(arguments[key])


@pytest.mark.parametrize(("form", "example"), HAPPENING_EXAMPLES,
                         ids=[e for _, e in HAPPENING_EXAMPLES])
def test_every_happening_example_is_read_by_its_own_form(form, example: str) -> None:
    """The first form that matches is the documented one (an earlier form would shadow it)."""
    from evbench.bdd.phrases import _matches

    text, _ = connector_of(example)
    text = text.removeprefix("the session event ")
    first = next(f for f in HAPPENINGS if _matches(f, text))
    assert first is form
    assert parse_happening(example).text == example


def test_a_phrase_nobody_understands_names_the_forms() -> None:
    with pytest.raises(BenchError) as refusal:
        parse_happening("the moon rises")
    message = str(refusal.value)
    assert "'the moon rises'" in message
    for form in HAPPENINGS:
        assert form.examples[0] in message


def test_a_happening_on_a_connector_selects_it() -> None:
    happening = parse_happening("the contactor closing on connector 2")
    assert happening.selector == {"contactor": "closed", "connector": 2}
    duty = parse_happening("the PWM duty changes to 16.67 %").selector
    assert duty is not None and duty["signal"] == "pwm_duty_pct" and duty["connector"] == 1
    assert duty["ge"] == pytest.approx(16.665) and duty["le"] == pytest.approx(16.675)
