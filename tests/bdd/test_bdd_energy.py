"""Energy management: grid limits and shared fuses (tests/features/energy.feature)."""

from pytest_bdd import scenarios

scenarios("energy.feature")
