"""IEC 61851-1 control-pilot behaviour (tests/features/iec61851.feature)."""

from pytest_bdd import scenarios

scenarios("iec61851.feature")
