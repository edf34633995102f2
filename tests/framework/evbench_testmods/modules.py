"""Test-only module classes; each has its manifest ``<Name>.yaml`` beside this file."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from charger.framework import Module, command

ACCEPTED = {"authorization_status": "Accepted"}


class Probe(Module):
    """``validate_token`` behaves according to the token id it is given."""

    @command("validator", "validate_token")
    def validate_token(self, provided_token: dict) -> Any:
        token = provided_token["id_token"]
        if token == "boom":
            raise RuntimeError("probe exploded")
        if token == "bad-result":
            return {"authorization_status": "Maybe"}
        if token == "slow":
            return self._slow(ACCEPTED)
        if token == "slow-boom":
            return self._slow(None, explode=True)
        if token == "slow-bad-result":
            return self._slow({"authorization_status": "Accepted", "extra": 1})
        return ACCEPTED

    def _slow(self, result: Any, explode: bool = False) -> Generator:
        yield self.env.timeout(2.0)
        if explode:
            raise ValueError("probe exploded later")
        return result

    @command("control", "present_token")
    def present_token(self, id_token: str) -> str | None:
        if id_token == "answer":
            return "yes"  # the interface declares no result
        kind = "Bogus" if id_token == "bad-publish" else "RFID"
        self.publish("tokens", "provided_token", {"id_token": id_token, "type": kind})
        return None


class TwinValidator(Module):
    @command("first", "validate_token")
    def validate_first(self, provided_token: dict) -> dict:
        return ACCEPTED

    @command("second", "validate_token")
    def validate_second(self, provided_token: dict) -> dict:
        return ACCEPTED


class MissingHandler(Module):
    """Provides auth_token_validator but serves none of its commands."""


class ExtraHandler(Module):
    @command("validator", "validate_token")
    def validate_token(self, provided_token: dict) -> dict:
        return ACCEPTED

    @command("validator", "revoke_token")
    def revoke_token(self) -> None:
        """Not a command of auth_token_validator."""


class Lifecycle(Module):
    """Records, at ``init`` and ``ready``, whether it and its peers were ready."""

    def init(self) -> None:
        self.seen: list[tuple[str, float, dict[str, bool]]] = []
        self._observe("init")
        supply = self.optional("supply")
        if supply is not None:
            supply.subscribe("supply", self._on_supply)
        if self.config["crash"] == "init":
            raise RuntimeError("crash in init")

    def ready(self) -> Generator | None:
        self._observe("ready")
        crash = self.config["crash"]
        if crash == "ready":
            raise RuntimeError("crash in ready")
        if crash == "process":
            self.start(self._crash_later())
        return self._tick()

    def _tick(self) -> Generator:
        while True:
            yield self.env.timeout(1.0)
            self._observe("tick")

    def _crash_later(self) -> Generator:
        yield self.env.timeout(self.config["crash_at_s"])
        raise RuntimeError("crash in a process")

    def _on_supply(self, supply: dict) -> None:
        self._observe("supply")
        if self.config["crash"] == "callback":
            raise RuntimeError("crash in a callback")

    def _observe(self, what: str) -> None:
        bus = self._ctx.bus
        ready = {m: bus.is_ready(m) for m in [self.id, *self.config["peers"]]}
        self.seen.append((what, float(self.env.now), ready))
