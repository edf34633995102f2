"""FaultyBoard: the simulated board with a driver that refuses, or never answers, chosen
commands, as a broken board link does. It speaks the real bus like any board module."""

from __future__ import annotations

from collections.abc import Generator

from charger.framework import CommandError, CommandErrorType, command
from sim.hal.board import SimBoard


class FaultyBoard(SimBoard):
    def _misbehave(self, cmd: str) -> Generator | None:
        if cmd in self.config["refuse"]:
            raise CommandError(CommandErrorType.HANDLER_EXCEPTION, f"{cmd}: board link broken")
        if cmd in self.config["ignore"]:
            return self.env.event()  # never triggered: no answer
        return None

    @command("board", "pwm_off")
    def pwm_off(self) -> Generator:
        silence = self._misbehave("pwm_off")
        if silence is not None:
            yield silence
        super().pwm_off()

    @command("board", "allow_power_on")
    def allow_power_on(self, value: bool, phase_count: int) -> Generator:
        silence = None if value else self._misbehave("open")
        if silence is not None:
            yield silence
        super().allow_power_on(value, phase_count)
