"""Auth: validates tokens and hands them to the connector they belong to."""

from __future__ import annotations

from collections.abc import Generator

from charger.framework import CommandError, Module, command


class Auth(Module):
    def init(self) -> None:
        self.evses = self.requirements("evse_manager")
        self.validators = self.requirements("token_validator")
        self.timeout_s = float(self.config["connection_timeout_s"])
        self.waiting: dict[int, str] = {}  # evse index -> session waiting for a token
        self.charging: dict[int, str] = {}  # evse index -> token of its transaction
        self.pending: tuple[dict, float] | None = None  # validated token waiting for a car
        self.connector_of: dict[int, int] = {}  # evse index -> its connector id
        for provider in self.requirements("token_provider"):
            provider.subscribe("provided_token", lambda t: self.start(self._on_token(t)))
        for index, evse in enumerate(self.evses):
            evse.subscribe("session_event", lambda e, i=index: self._on_session_event(i, e))
            evse.subscribe("state", lambda s, i=index: self._on_state(i, s))

    @command("main", "set_connection_timeout")
    def set_connection_timeout(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def _status(self, token: dict, status: str, connector: int | None = None) -> None:
        value = {"id_token": token["id_token"], "status": status}
        if connector is not None:
            value["connector"] = connector
        self.publish("main", "token_validation_status", value)

    def _on_session_event(self, index: int, event: dict) -> None:
        name = event["event"]
        self.connector_of[index] = event["connector"]
        if name == "SessionStarted":
            self.waiting[index] = event.get("session_id", "")
            if self.config["free_charging"]:
                token = {"id_token": self.config["free_token"], "type": "FreeService"}
                self.start(self._authorize(index, token))
            elif self.pending and self.env.now <= self.pending[1]:
                token, self.pending = self.pending[0], None
                self.start(self._authorize(index, token))
        elif name == "TransactionStarted":
            self.waiting.pop(index, None)
            self.charging[index] = event.get("id_token", "")
        elif name in ("TransactionFinished", "SessionFinished"):
            self.charging.pop(index, None)
            if name == "SessionFinished":
                self.waiting.pop(index, None)

    def _on_state(self, index: int, state: str) -> None:
        # An idle connector has no session, whatever this module remembers (e.g. its EVSE
        # manager was restarted and never reported the end of the old one).
        if state == "Idle":
            self.charging.pop(index, None)
            self.waiting.pop(index, None)

    def _on_token(self, token: dict) -> Generator:
        self._status(token, "Processing")
        for index, running in list(self.charging.items()):
            # Readers differ in letter case; a backend's (Central) token never stops.
            if running.upper() == token["id_token"].upper() and token.get("type") != "Central":
                stopped = yield from self._call(self.evses[index], "stop_transaction",
                                                reason="Local")
                if stopped:
                    self._status(token, "UsedToStop", self._connector(index))
                    return
                self.charging.pop(index, None)  # nothing to stop there: treat it as new
        accepted = yield from self._validate(token)
        if not accepted:
            self._status(token, "Rejected")
            return
        self._status(token, "Accepted")
        candidates = [i for i in sorted(self.waiting) if self._allowed(token, i)]
        if candidates:
            yield from self._authorize(candidates[0], token)
            return
        # No car yet: the token waits for the next plug-in, for a while.
        deadline = self.env.now + self.timeout_s
        self.pending = (token, deadline)
        yield self.env.timeout(self.timeout_s)
        if self.pending and self.pending[0] is token:
            self.pending = None
            self._status(token, "TimedOut")

    def _validate(self, token: dict) -> Generator:
        for validator in self.validators:
            result = yield from self._call(validator, "validate_token", provided_token=token)
            if result and result["authorization_status"] == "Accepted":
                return True
        return False

    def _authorize(self, index: int, token: dict) -> Generator:
        accepted = yield from self._call(self.evses[index], "authorize", token=token)
        if not accepted:
            self._status(token, "Rejected", self._connector(index))

    def _allowed(self, token: dict, index: int) -> bool:
        connectors = token.get("connectors")
        return not connectors or self._connector(index) in connectors

    def _connector(self, index: int) -> int:
        return self.connector_of.get(index, index + 1)

    def _call(self, target, cmd: str, **args) -> Generator:
        try:
            return (yield target.call(cmd, **args))
        except CommandError as error:
            self.log("warning", f"{target.module_id}.{cmd} failed: {error}")
            return None
