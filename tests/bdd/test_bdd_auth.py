"""Authorization by card and free charging (tests/features/auth.feature)."""

from pytest_bdd import scenarios

scenarios("auth.feature")
