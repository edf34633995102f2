"""EnergyNode: a fuse or grid connection in the energy tree."""

from __future__ import annotations

from charger.framework import Module, command


class EnergyNode(Module):
    def init(self) -> None:
        self.children = self.requirements("children")
        self.requests: dict[int, dict] = {}
        self.supply_limit_a: float | None = None
        self.external_limit_a: float | None = None
        for index, child in enumerate(self.children):
            child.subscribe("energy_flow_request",
                            lambda request, i=index: self._on_child(i, request))
        supply = self.optional("supply")
        if supply:
            supply.subscribe("supply", self._on_supply)
        external = self.optional("external_limits")
        if external:
            external.subscribe("limits", self._on_external_limits)

    def ready(self) -> None:
        self._publish()

    @command("energy", "enforce_limits")
    def enforce_limits(self, limits: dict) -> None:
        for child in self.children:
            child.send("enforce_limits", limits=limits)

    def _on_child(self, index: int, request: dict) -> None:
        self.requests[index] = request
        self._publish()

    def _on_supply(self, supply: dict) -> None:
        self.supply_limit_a = supply["max_current_a"] if supply["available"] else 0.0
        self._publish()

    def _on_external_limits(self, value: dict) -> None:
        if value["max_current_a"] != self.external_limit_a:
            self.external_limit_a = value["max_current_a"]
            self._publish()

    def _publish(self) -> None:
        limit = float(self.config["fuse_limit_a"])
        if self.supply_limit_a is not None:
            limit = min(limit, self.supply_limit_a)
        if self.external_limit_a is not None:
            limit = min(limit, float(self.external_limit_a))
        children = [self.requests[i] for i in sorted(self.requests)]
        self.publish("energy", "energy_flow_request", {
            "uuid": self.id, "node_type": self.config["node_type"], "max_current_a": limit,
            "phases": self.config["phases"],
            "demand_a": float(sum(c["demand_a"] for c in children)), "children": children})
