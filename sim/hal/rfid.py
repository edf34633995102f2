"""SimRfidReader: presents the tokens a scenario swipes, as a real reader driver would."""

from __future__ import annotations

from charger.framework import Module, command


class SimRfidReader(Module):
    @command("control", "present_token")
    def present_token(self, id_token: str) -> None:
        self.publish("tokens", "provided_token", {"id_token": id_token, "type": "RFID"})
