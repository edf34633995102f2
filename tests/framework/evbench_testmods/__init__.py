"""Modules that exist only for the framework's tests (registered by the tests' own registry)."""
