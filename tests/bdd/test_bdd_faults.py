"""Fault handling and refused scenarios (tests/features/faults.feature)."""

from pytest_bdd import scenarios

scenarios("faults.feature")
