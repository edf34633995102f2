"""Test support for the OCPP tests: a real backend on loopback and wall-clock stations."""
