"""Where a feature's station and scenario files are found.

A name is looked up in the user's repository first, then among the stations and scenarios that
ship with evbench:

- ``stations/mine.yaml`` (any name with a ``/`` or a ``.yaml`` ending) is a path, relative to the
  feature file's folder (or, for a Python test, the test file's folder), then to pytest's rootdir;
- a station ``mine`` is ``mine.yaml`` in the ``stations`` folder beside the feature file, then
  in each folder of the ``evbench_stations`` ini option (relative to the rootdir), then a shipped
  one; a scenario ``mine`` is ``mine.yaml`` beside the test file, in the rootdir, then shipped;
- ``evbench:ac-1-connector`` is a shipped station only (``evbench:free_charging`` a shipped
  scenario), whatever the repository holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent / "shipped"  # the checkout's scenarios/, installed
SHIPPED_PREFIX = "evbench:"
STATIONS = "stations"
YAML = (".yaml", ".yml")


class NotFound(LookupError):
    """No file by that name in any of the places searched."""


def shipped_names(kind: str = STATIONS) -> list[str]:
    """Names of the shipped stations (or, with ``kind="scenarios"``, scenarios)."""
    folder = SHIPPED / STATIONS if kind == STATIONS else SHIPPED
    return sorted(p.stem for p in folder.glob("*.yaml"))


@dataclass
class Places:
    """The folders a name is looked up in, nearest first."""

    near_of: Callable[[], Path | None] = lambda: None  # the feature (or test) file's folder,
    # asked at each look-up: pytest-bdd names the feature file only once the scenario starts
    rootdir: Path | None = None
    station_dirs: Sequence[Path] = field(default_factory=tuple)  # from the ini option

    @property
    def near(self) -> Path | None:
        return self.near_of()

    def station(self, name: str) -> Path:
        return self._find(name, STATIONS)

    def scenario(self, name: str) -> Path:
        return self._find(name, "scenarios")

    def _find(self, name: str, kind: str) -> Path:
        shipped = SHIPPED / STATIONS if kind == STATIONS else SHIPPED
        if name.startswith(SHIPPED_PREFIX):
            bare = name.removeprefix(SHIPPED_PREFIX)
            candidates = [shipped / bare, shipped / f"{bare}.yaml"]
        elif "/" in name or name.endswith(YAML) or Path(name).is_absolute():
            candidates = [base / name for base in self._bases()]
        else:
            if kind == STATIONS:
                folders = [*([self.near / STATIONS] if self.near else []), *self.station_dirs]
            else:
                folders = self._bases()
            candidates = [folder / f"{name}.yaml" for folder in (*folders, shipped)]
        for path in candidates:
            if path.is_file():
                return path.resolve()
        searched = ", ".join(str(p) for p in candidates)
        raise NotFound(f"no {kind[:-1]} file {name!r}: looked for {searched}; shipped "
                       f"{kind}: {', '.join(shipped_names(kind))} "
                       f"(name them as {SHIPPED_PREFIX}NAME)")

    def _bases(self) -> list[Path]:
        return [base for base in (self.near, self.rootdir) if base is not None] or [Path.cwd()]
