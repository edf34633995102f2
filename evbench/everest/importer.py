"""Converting an EVerest configuration into an evbench station (and the cars of a scenario),
following the mapping table, and saying what could not be carried over.

The import never refuses what it understands only in part: each module, parameter and
connection is mapped, or reported with its line and what to do, and the station is written
with what was mapped. A module that cannot stand without what was left out (an EVSE manager
whose board was not imported) is left out too, with the reason. Only a file that is not an
EVerest configuration at all is refused (source.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from charger.framework.config import parse_station, resolve_station
from charger.framework.errors import ConfigError, EvbenchError
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaCheck
from evbench.everest import table
from evbench.everest.findings import Coverage, Finding, ItemKind, NotCarried
from evbench.everest.source import Connection, EverestConfig, EverestModule, Setting


@dataclass
class Built:
    """An evbench module instance being built, and where it came from."""

    id: str
    module: str
    source: EverestModule | None  # None: added by the import
    origin: str  # a comment for the written file
    config: dict[str, Any] = field(default_factory=dict)
    connections: dict[str, list[str]] = field(default_factory=dict)  # req -> ["id.impl"]
    config_lines: dict[str, int | None] = field(default_factory=dict)  # evbench key -> line
    connection_lines: dict[str, int | None] = field(default_factory=dict)
    external: bool = False
    token: str | None = None  # a simulated reader: the token the scenario swipes
    in_scenario: bool = False  # a car: written into the scenario, not the station

    def connect(self, requirement: str, target: str, line: int | None = None) -> None:
        targets = self.connections.setdefault(requirement, [])
        if target not in targets:
            targets.append(target)
            self.connection_lines.setdefault(requirement, line)


@dataclass
class Car:
    connector: int
    config: dict[str, Any]
    source: EverestModule


@dataclass
class ImportResult:
    source: EverestConfig
    modules: dict[str, Built]  # the station's, in order
    cars: list[Car]
    findings: list[Finding]
    coverage: Coverage
    free_charging: bool = False
    unserved: set[int] = field(default_factory=set)  # connectors nothing authorizes

    @property
    def partial(self) -> bool:
        return any(f.severity == "unmapped" for f in self.findings)

    @property
    def readers(self) -> list[Built]:
        return [b for b in self.modules.values() if b.module == "SimRfidReader"]


class Importer:
    def __init__(self, source: EverestConfig, registry: ModuleRegistry,
                 wall_clock_modules: bool = False):
        self.source = source
        self.wall_clock_modules = wall_clock_modules  # import modules that need the wall clock
        self.path = source.path
        self.registry = registry
        self.findings: list[Finding] = []
        self.coverage = Coverage()
        self.modules: dict[str, Built] = {}
        self.ids: dict[str, str] = {}  # EVerest module id -> evbench id (imported ones)
        self.cars: list[Car] = []
        self.free_charging = False
        self.unserved: set[int] = set()  # connectors nothing authorizes

    # --- reporting -------------------------------------------------------------------------------
    def report(self, line: int | None, subject: str, reason: str, lost: bool = True) -> None:
        self.findings.append(Finding(self.path, line, "unmapped" if lost else "note", subject,
                                     reason))

    def count(self, kind: ItemKind, outcome: str) -> None:
        self.coverage.count(kind, outcome)  # type: ignore[arg-type]

    def _settle(self, kind: ItemKind, line: int | None, subject: str, reason: str,
                lost: bool) -> None:
        self.count(kind, "unmapped" if lost else "note")
        self.report(line, subject, reason, lost)

    # --- the steps -------------------------------------------------------------------------------
    def run(self) -> ImportResult:
        self._top_keys()
        for module in self.source.modules.values():
            self._module(module)
        for module in self.source.modules.values():
            if module.id in self.ids:
                self._connections(module)
        for rule in table.MODULES:  # wiring beyond renames, in the table's order
            if rule.wiring is None:
                continue
            for module in self.source.modules.values():
                if module.module in rule.everest and module.id in self.ids:
                    rule.wiring(self, module)
        self._check_values()
        self._prune()
        self._energy_managed()
        self._connector_ids()
        self._place_cars()
        self._unauthorized()
        self._backstop()
        station = {k: b for k, b in self.modules.items() if not b.in_scenario}
        self.findings.sort(key=lambda f: (f.line is None, f.line or 0))
        return ImportResult(self.source, station, self.cars, self.findings, self.coverage,
                            self.free_charging, self.unserved)

    def _top_keys(self) -> None:
        for setting in self.source.top_keys:
            rule = table.TOP_KEYS.get(setting.key)
            if rule is None:
                self._settle("setting", setting.line, setting.key,
                             "not a key of EVerest configurations evbench knows: left out", True)
            elif rule.evbench is None:
                self._settle("setting", setting.line, setting.key, rule.note, rule.lost)
            else:
                self.count("setting", "mapped")

    def _module(self, module: EverestModule) -> None:
        rule = table.rule_for(module.module)
        subject = f"{module.id} ({module.module})"
        if rule is not None and rule.evbench is not None and not self.wall_clock_modules \
                and self.registry.get(rule.evbench).manifest.clock == "wall":
            self._settle("module", module.module_line or module.line, subject,
                         f"left out: evbench's {rule.evbench} needs the wall clock, and the "
                         "imported scenario runs in virtual time; import with --api to include "
                         "it (then run the scenario with 'evbench run --bus mqtt', or the "
                         "station with 'evbench station')", False)
            self._count_keys(module, "note")
            return
        if rule is None or rule.evbench is None:
            reason = (f"{rule.role}: no evbench counterpart: {rule.note}" if rule else
                      "an EVerest module the mapping table does not know: left out, with its "
                      "connections; write the part it plays with evbench's modules "
                      "('evbench modules', docs/stations.md)")
            self._settle("module", module.module_line or module.line, subject, reason,
                         rule.lost if rule else True)
            self._count_keys(module, "unmapped" if rule is None or rule.lost else "note")
            return
        self.count("module", "mapped")
        built = self.add(module.id, rule.evbench, module,
                         f"EVerest {module.module} '{module.id}' (line {module.line})")
        for setting in module.config:
            self._param(rule, module, built, setting)
        for setting in module.entry_keys:
            self._entry_key(module, built, setting)

    def _count_keys(self, module: EverestModule, outcome: str) -> None:
        """The keys of a module left out as a whole go with it."""
        for kind, n in (("parameter", len(module.config)), ("entry key", len(module.entry_keys)),
                        ("connection", len(module.connections))):
            for _ in range(n):
                self.count(kind, outcome)  # type: ignore[arg-type]

    def add(self, wanted_id: str, module: str, source: EverestModule | None,
            origin: str) -> Built:
        """A new evbench module, under ``wanted_id`` made valid and unique."""
        base = re.sub(r"[^A-Za-z0-9_-]", "_", wanted_id) or "module"
        if not base[0].isalpha():
            base = f"m_{base}"
        new_id, n = base, 1
        while new_id in self.modules:
            n += 1
            new_id = f"{base}_{n}"
        if source is not None:
            if new_id != wanted_id:
                self.report(source.line, source.id, f"renamed {new_id!r}: evbench's module ids "
                            "are letters, digits, '_' and '-', starting with a letter",
                            lost=False)
            self.ids[source.id] = new_id
        built = Built(new_id, module, source, origin)
        self.modules[new_id] = built
        return built

    def _param(self, rule: table.ModuleRule, module: EverestModule, built: Built,
               setting: Setting) -> None:
        param = table.param_rule(rule, setting.key)
        subject = f"{module.id}: {setting.key}"
        if param is None:
            self._settle("parameter", setting.line, subject,
                         f"a parameter of {module.module} the mapping table does not know: left "
                         f"out (evbench's {rule.evbench} parameters: 'evbench modules', "
                         "docs/everest-import.md)", True)
            return
        try:
            value = param.convert(setting.value) if param.convert else None
        except NotCarried as why:
            self._settle("parameter", setting.line, f"{subject}: {_short(setting.value)}",
                         why.reason, why.lost)
            return
        if param.evbench is None:
            if param.convert is None:
                self._settle("parameter", setting.line, subject, param.note, param.lost)
            else:
                self.count("parameter", "mapped")  # evbench behaves so for this value
            return
        self.count("parameter", "mapped")
        built.config[param.evbench] = value
        built.config_lines[param.evbench] = setting.line

    def _entry_key(self, module: EverestModule, built: Built, setting: Setting) -> None:
        rule = table.ENTRY_KEYS.get(setting.key)
        subject = f"{module.id}: {setting.key}"
        if rule is None:
            self._settle("entry key", setting.line, subject,
                         "not a key of EVerest module entries evbench knows: left out", True)
        elif rule.evbench == "external":
            if isinstance(setting.value, bool):
                built.external = setting.value
                self.count("entry key", "mapped")
            else:
                self._settle("entry key", setting.line, subject, "must be true or false", True)
        else:
            self._settle("entry key", setting.line, subject, rule.note, rule.lost)

    def _connections(self, module: EverestModule) -> None:
        rule = table.rule_for(module.module)
        assert rule is not None
        built = self.modules[self.ids[module.id]]
        for connection in module.connections:
            req = table.req_rule(rule, connection.requirement)
            subject = f"{module.id}: connection {connection.requirement}"
            if req is None:
                self._settle("connection", connection.line, subject,
                             f"a requirement of {module.module} the mapping table does not "
                             "know: left out", True)
            elif req.evbench is None:
                if req.lost:
                    subject += f" -> {connection.module_id}"
                self._settle("connection", connection.line, subject, req.note, req.lost)
            else:
                target = self.target(connection, subject)
                if target is not None:
                    self.count("connection", "mapped")
                    built.connect(req.evbench, target, connection.line)

    def target(self, connection: Connection, subject: str) -> str | None:
        """``"module.impl"`` in evbench terms for an EVerest connection, or None (reported)."""
        source = self.source.modules.get(connection.module_id)
        where = f"{subject} -> {connection.module_id}.{connection.implementation_id}"
        if source is None:
            self._settle("connection", connection.line, where,
                         f"the file has no module {connection.module_id!r}: left out", True)
            return None
        if connection.module_id not in self.ids:
            self._settle("connection", connection.line, where,
                         f"left out with {connection.module_id} ({source.module}), which is "
                         "not imported", True)
            return None
        rule = table.rule_for(source.module)
        assert rule is not None
        impl = rule.provides.get(connection.implementation_id)
        if impl is None:
            self._settle("connection", connection.line, where,
                         f"evbench's {rule.evbench} has no counterpart of the implementation "
                         f"{connection.implementation_id!r}: left out", True)
            return None
        return f"{self.ids[connection.module_id]}.{impl}"

    def built(self, module: EverestModule) -> Built | None:
        new_id = self.ids.get(module.id)
        return self.modules.get(new_id) if new_id else None

    def remove(self, built: Built) -> None:
        """Take a module out, with every connection to it."""
        self.modules.pop(built.id, None)
        for other in self.modules.values():
            for requirement, targets in list(other.connections.items()):
                kept = [t for t in targets if t.partition(".")[0] != built.id]
                if kept:
                    other.connections[requirement] = kept
                else:
                    del other.connections[requirement]

    def modules_of(self, *names: str) -> Iterable[Built]:
        return [b for b in self.modules.values() if b.module in names]

    # --- checks against evbench's manifests ------------------------------------------------------
    def _check_values(self) -> None:
        for built in self.modules.values():
            manifest = self.registry.get(built.module).manifest
            for key, value in list(built.config.items()):
                schema = manifest.config.get(key)
                problem = SchemaCheck(schema)(value) if schema is not None else "unknown"
                if problem:
                    del built.config[key]
                    who = built.source.id if built.source else built.id
                    self.demote(built.config_lines.get(key), f"{who}: {_short(value)}",
                                 f"evbench's {built.module} parameter {key!r} cannot take it "
                                 f"({problem.replace('data', key, 1)}): left out, the default "
                                 "applies")

    def demote(self, line: int | None, subject: str, reason: str) -> None:
        """A key counted as mapped turned out not to be: count and report it as unmapped."""
        self.coverage.recount("parameter", "mapped", "unmapped")
        self.report(line, subject, reason)

    def _prune(self) -> None:
        """Leave out connections evbench would refuse, then modules that miss a connection they
        need, until none does (leaving one out can starve another)."""
        for built in list(self.modules.values()):
            manifest = self.registry.get(built.module).manifest
            for requirement, targets in list(built.connections.items()):
                required = manifest.requires[requirement]
                fitting = []
                for target in targets:
                    if self._interface_of(target) == required.interface:
                        fitting.append(target)
                    else:
                        self.coverage.recount("connection", "mapped", "unmapped")
                        self.report(built.connection_lines.get(requirement),
                                    f"{_who(built)}: connection {requirement} -> {target}",
                                    f"evbench's {requirement} needs a {required.interface}: "
                                    "left out")
                if len(fitting) > required.max_connections:
                    self.report(built.connection_lines.get(requirement),
                                f"{_who(built)}: connection {requirement}",
                                f"evbench's {built.module} takes at most "
                                f"{required.max_connections}: the first ones are kept")
                    for _ in fitting[required.max_connections:]:
                        self.coverage.recount("connection", "mapped", "unmapped")
                    fitting = fitting[:required.max_connections]
                built.connections[requirement] = fitting
                if not fitting:
                    del built.connections[requirement]
        changed = True
        while changed:
            changed = False
            for built in list(self.modules.values()):
                manifest = self.registry.get(built.module).manifest
                for requirement, required in manifest.requires.items():
                    have = len(built.connections.get(requirement, []))
                    if have < required.min_connections:
                        line = built.source.module_line if built.source else None
                        self.report(line, _who(built),
                                    f"left out: evbench's {built.module} needs its "
                                    f"'{requirement}' connected ({required.interface}), and "
                                    "nothing imported provides it")
                        if built.source is not None:
                            self.coverage.recount("module", "mapped", "unmapped")
                        self.remove(built)
                        changed = True
                        break

    def _interface_of(self, target: str) -> str | None:
        module_id, _, impl = target.partition(".")
        built = self.modules.get(module_id)
        if built is None:
            return None
        provided = self.registry.get(built.module).manifest.provides.get(impl)
        return provided.interface if provided else None

    def _energy_managed(self) -> None:
        """An EVSE manager waits for limits only when an energy manager is above it."""
        below: set[str] = set()
        todo = [t.partition(".")[0] for m in self.modules_of("EnergyManager")
                for t in m.connections.get("root", [])]
        while todo:
            node = todo.pop()
            if node in below:
                continue
            below.add(node)
            built = self.modules.get(node)
            if built is not None:
                todo += [t.partition(".")[0] for t in built.connections.get("children", [])]
        for evse in self.modules_of("EvseManager"):
            evse.config["energy_managed"] = evse.id in below

    def _connector_ids(self) -> None:
        """Each EVSE manager needs a connector of its own: a connector_id already taken is
        replaced by the next free one."""
        taken: set[int] = set()
        for evse in self.modules_of("EvseManager"):
            connector = int(evse.config.get("connector_id", 1))
            if connector in taken:
                free = next(n for n in range(1, len(taken) + 2) if n not in taken)
                self.report(evse.config_lines.get("connector_id") or
                            (evse.source.module_line if evse.source else None),
                            f"{_who(evse)}: connector_id {connector}",
                            f"another EVSE manager has connector {connector}: this one becomes "
                            f"connector {free}")
                evse.config["connector_id"] = connector = free
            taken.add(connector)

    def _place_cars(self) -> None:
        """Each car on the connector of the EVSE manager that drives its board."""
        taken: set[int] = set()
        for car in [b for b in self.modules.values() if b.in_scenario]:
            assert car.source is not None
            board = car.connections.get("ev_board", [""])[0].partition(".")[0]
            evse = next((e for e in self.modules_of("EvseManager")
                         if any(t.partition(".")[0] == board
                                for t in e.connections.get("board", []))), None)
            if evse is None:
                self.report(car.source.module_line, _who(car),
                            f"left out of the scenario: its board {board or '(none)'} drives "
                            "no imported EVSE manager")
                continue
            connector = int(evse.config.get("connector_id", 1))
            if connector in taken:
                self.report(car.source.module_line, _who(car),
                            f"left out of the scenario: connector {connector} has a car already")
                continue
            taken.add(connector)
            self.cars.append(Car(connector, dict(car.config), car.source))

    def _unauthorized(self) -> None:
        """An EVSE manager no Auth module serves never charges: say so (and the scenario then
        expects nothing of its car)."""
        served = {t.partition(".")[0] for a in self.modules_of("Auth")
                  for t in a.connections.get("evse_manager", [])}
        for evse in self.modules_of("EvseManager"):
            if evse.id not in served:
                line = evse.source.module_line if evse.source else None
                self.report(line, _who(evse), "no imported Auth module serves it, so nothing "
                            "authorizes a session and its car does not charge: add an Auth "
                            "module (free_charging: true charges every car)")
                self.unserved.add(int(evse.config.get("connector_id", 1)))

    def _backstop(self) -> None:
        """The station as written must pass evbench's own checks; anything the steps above
        missed is reported (the file is still written, so it can be fixed by hand)."""
        from evbench.everest.writer import station_document

        doc = station_document(self.source, [b for b in self.modules.values()
                                             if not b.in_scenario])
        if not doc["active_modules"]:
            return  # nothing to write (the command says so)
        try:
            resolve_station(parse_station(doc, self.path), self.registry)
        except ConfigError as error:
            for problem in error.problems:
                self.report(None, "imported station", f"evbench's check refuses it: "
                            f"{problem.reason}")
        except EvbenchError as error:
            self.report(None, "imported station", f"evbench's check refuses it: {error}")


def _who(built: Built) -> str:
    return f"{built.source.id} ({built.source.module})" if built.source else built.id


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def import_everest(source: EverestConfig, registry: ModuleRegistry,
                   wall_clock_modules: bool = False) -> ImportResult:
    """The import of ``source``; ``wall_clock_modules``: also modules that need the wall clock
    (evbench's Api), whose station then runs only on the wall clock."""
    return Importer(source, registry, wall_clock_modules).run()
