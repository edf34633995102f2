"""Errors a user can cause with input files, reported as ``file:line: reason``."""

from __future__ import annotations

from dataclasses import dataclass, field


class EvbenchError(Exception):
    """Base class of every error evbench reports to a user without a traceback."""


@dataclass
class Problem:
    """One thing wrong in an input file."""

    path: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


@dataclass
class ConfigError(EvbenchError):
    """A scenario, station configuration, manifest or rig file that cannot be used.

    Carries every problem found, so a user fixes them in one round.
    """

    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def single(cls, path: str, line: int | None, reason: str) -> ConfigError:
        return cls([Problem(str(path), line, reason)])

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __post_init__(self) -> None:
        super().__init__(str(self))
