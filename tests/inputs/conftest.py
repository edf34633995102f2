"""Fixtures of the malformed-input corpus: a directory with the stations its scenarios name."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from tests.inputs.corpus import prepare


@pytest.fixture(scope="session")
def registry() -> ModuleRegistry:
    """Every module class loaded, and what ``evbench run`` imports, so that the in-process cases
    measure what they cost, not the first import of pandas."""
    import evbench.scenario.runner  # noqa: F401
    import reports.writer  # noqa: F401

    registry = ModuleRegistry(SchemaRegistry())
    for name in registry.names():
        registry.get(name)
    return registry


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    prepare(tmp_path)
    return tmp_path


@pytest.fixture
def cached_cli_registries(monkeypatch: pytest.MonkeyPatch, registry: ModuleRegistry) -> None:
    """evbench in-process with this session's registries instead of loading every schema and
    module again on each call (the subprocess cases run the real thing)."""
    monkeypatch.setattr("charger.framework.schema.SchemaRegistry",
                        lambda *args, **kwargs: registry.schemas)
    monkeypatch.setattr("charger.framework.registry.ModuleRegistry", lambda schemas: registry)
