"""LocalAllowList: a token validator with a fixed list of accepted and blocked tokens."""

from __future__ import annotations

from charger.framework import Module, command


class LocalAllowList(Module):
    def init(self) -> None:
        self.accepted = {t.upper() for t in self.config["tokens"]}
        self.blocked = {t.upper() for t in self.config["blocked"]}
        self.unknown_status = self.config["unknown_status"]

    @command("main", "validate_token")
    def validate_token(self, provided_token: dict) -> dict:
        token = provided_token["id_token"].upper()
        if token in self.blocked:
            return {"authorization_status": "Blocked"}
        if token in self.accepted:
            return {"authorization_status": "Accepted"}
        return {"authorization_status": self.unknown_status, "reason": "not on the local list"}
