"""EnergyNode: a grid connection, transformer, breaker or fuse in the energy tree.

Upwards it publishes its own aggregate and only the entries below it that changed
(``messages.EnergyRequest``); downwards it passes each child only the limits of the EVSEs below
that child.
"""

from __future__ import annotations

import math

from charger.energy.messages import PHASES, EnergyRequest, NodeEntry, PerPhase, per_phase
from charger.framework import Module, command

NOMINAL_VOLTAGE_V = 230.0  # for a transformer's rating before the supply's voltage is known


class EnergyNode(Module):
    def init(self) -> None:
        self.children = self.requirements("children")
        self.entries: dict[str, NodeEntry] = {}  # every entry below this node, by uuid
        self.route: dict[str, int] = {}  # EVSE uuid -> index of the child it is below
        self.child_demand: dict[int, tuple[int, str, PerPhase]] = {}  # phases, site phase, A
        self.pending: dict[str, NodeEntry] = {}  # changed since the last publication
        self.supply: dict | None = None
        self.site_load_a: list[float] = [0.0, 0.0, 0.0]  # base load less PV, per phase
        self.external_limit_a: float | None = None
        self.published: EnergyRequest | None = None
        # After a restart of this module's process: the tree below as it was (its shape only
        # changes rarely; demands are refreshed as children publish).
        remembered = self.recall() or {}
        for wire in remembered.get("entries", []):
            entry = NodeEntry.from_wire(wire)
            self.entries[entry.uuid] = entry
            self.pending[entry.uuid] = entry
        self.route.update(remembered.get("route", {}))
        for index, child in enumerate(self.children):
            child.subscribe("energy_flow_request",
                            lambda request, i=index: self._on_child(i, request))
        supply = self.optional("supply")
        if supply:
            supply.subscribe("supply", self._on_supply)
            supply.subscribe("site", self._on_site)
        external = self.optional("external_limits")
        if external:
            external.subscribe("limits", self._on_external_limits)

    def ready(self) -> None:
        self._publish(force=True)

    @command("energy", "enforce_limits")
    def enforce_limits(self, limits: dict) -> None:
        by_child: dict[int, dict[str, float]] = {}
        for uuid, amps in limits.items():
            index = self.route.get(uuid)
            if index is not None:
                by_child.setdefault(index, {})[uuid] = amps
        for index, part in sorted(by_child.items()):
            self.children[index].send("enforce_limits", limits=part)

    # --- what comes in -------------------------------------------------------------------------
    def _on_child(self, index: int, wire: dict) -> None:
        request = EnergyRequest.from_wire(wire)
        wiring = self.config["single_phase_children"]
        own = request.entry(self.id, wiring.get(request.uuid, "L1"))
        reshaped = False
        for entry in (own, *request.changed):
            old = self.entries.get(entry.uuid)
            # An EVSE's entry goes up even unchanged: an EVSE that publishes again (after a
            # restart) gets its limit sent again.
            if old != entry or (entry is own and entry.is_evse):
                self.entries[entry.uuid] = entry
                self.pending[entry.uuid] = entry
                reshaped |= old is None or old.parent != entry.parent
            if entry.is_evse:
                self.route[entry.uuid] = index
        if reshaped:  # for a restart of this module's process
            self.remember_soon(self._subtree_state)
        self.child_demand[index] = (request.phases, own.site_phase, request.demand_a)
        self._publish()

    def _subtree_state(self) -> dict:
        return {"entries": [e.to_wire() for e in self.entries.values()], "route": dict(self.route)}

    def _on_supply(self, supply: dict) -> None:
        self.supply = supply
        self._publish()

    def _on_site(self, site: dict) -> None:
        self.site_load_a = list(site["site_load_a"])
        self._publish()

    def _on_external_limits(self, value: dict) -> None:
        if value["max_current_a"] != self.external_limit_a:
            self.external_limit_a = value["max_current_a"]
            self._publish()

    # --- what goes up --------------------------------------------------------------------------
    def limit_a(self) -> PerPhase:
        """This node's limit per phase: its fuse, the supply (less the site's own load on a grid
        connection), a transformer's rating and an external limit, whichever is lowest."""
        limits = list(per_phase(float(self.config["fuse_limit_a"])))
        if self.supply is not None:
            connection = self.supply["max_current_a"] if self.supply["available"] else 0.0
            for p in range(3):
                limits[p] = min(limits[p], max(0.0, connection - self.site_load_a[p]))
        if self.config["rating_kva"] is not None:
            volts = float(self.supply["voltage_v"]) if self.supply else NOMINAL_VOLTAGE_V
            rated = self.config["rating_kva"] * 1000.0 / (3 * volts) if volts > 0 else 0.0
            limits = [min(a, rated) for a in limits]
        if self.external_limit_a is not None:
            limits = [min(a, float(self.external_limit_a)) for a in limits]
        return tuple(limits)  # type: ignore[return-value]

    def _aggregate_demand(self, limit: PerPhase) -> PerPhase:
        demand = [0.0, 0.0, 0.0]
        for phases, site_phase, amps in self.child_demand.values():
            if phases == 3:
                demand = [d + a for d, a in zip(demand, amps)]
            else:
                demand[PHASES.index(site_phase)] += max(amps)
        return tuple(min(d, a) if not math.isinf(a) else d  # type: ignore[return-value]
                     for d, a in zip(demand, limit))

    def _publish(self, force: bool = False) -> None:
        limit = self.limit_a()
        request = EnergyRequest(self.id, self.config["node_type"], self.config["phases"], limit,
                                self._aggregate_demand(limit),
                                changed=tuple(self.pending[u] for u in sorted(self.pending)))
        unchanged = (self.published is not None and not request.changed
                     and self.published.limit_a == request.limit_a
                     and self.published.demand_a == request.demand_a)
        if unchanged and not force:
            return
        self.pending.clear()
        self.published = request
        self.publish("energy", "energy_flow_request", request.to_wire())
