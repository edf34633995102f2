"""Importing EVerest configurations: ``evbench import everest`` (docs/everest-import.md)."""

from evbench.everest.importer import ImportResult, import_everest
from evbench.everest.source import read_everest

__all__ = ["ImportResult", "import_everest", "read_everest"]
