"""EnergyManager: recomputes EVSE limits whenever the tree's requests change."""

from __future__ import annotations

from collections.abc import Generator

from charger.energy.allocation import allocate, evse_values
from charger.framework import Module, command


class EnergyManager(Module):
    def init(self) -> None:
        self.root = self.require("root")
        self.tree: dict | None = None
        self.applied: dict[str, float] = {}
        self.settle_until = 0.0
        self._recheck_pending = False
        self.root.subscribe("energy_flow_request", self._on_request)

    @command("main", "enforce_limits")
    def enforce_limits(self, limits: dict) -> None:
        """The manager is the top of the tree; nothing above it sets limits."""

    def _on_request(self, tree: dict) -> None:
        self.tree = tree
        self._optimise()

    def _optimise(self) -> None:
        if self.tree is None:
            return
        target = allocate(self.tree)
        demand = evse_values(self.tree, "demand_a")
        new = dict(self.applied)
        for uuid, amps in target.items():
            if amps < self.applied.get(uuid, 0.0):
                new[uuid] = amps
                if demand.get(uuid, 0.0) > 0:  # a car may be drawing: give it time to follow
                    self.settle_until = max(self.settle_until,
                                            self.env.now + self.config["settle_s"])
        raises = {u: a for u, a in target.items() if a > self.applied.get(u, 0.0)}
        if raises:
            if self.env.now >= self.settle_until:
                new.update(raises)
            elif not self._recheck_pending:
                self._recheck_pending = True
                self.start(self._recheck_at(self.settle_until))
        if new != self.applied:
            self.applied = new
            self.root.send("enforce_limits", limits=dict(new))

    def _recheck_at(self, when: float) -> Generator:
        yield self.env.timeout(max(0.0, when - self.env.now))
        self._recheck_pending = False
        self._optimise()

