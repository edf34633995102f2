"""The base class of every module, and the handles it uses to reach other modules.

A module subclasses :class:`Module`, serves the commands of the interfaces it provides with
methods marked ``@command(impl, name)``, and calls the implementations it requires through
:class:`Requirement` handles. It waits only on ``self.env`` (the simpy clock). It never sees the
bus implementation: the same class runs in-process on virtual time and over MQTT on the wall clock.
"""

from __future__ import annotations

import inspect
import random
import traceback
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import simpy

from charger.framework.bus import Bus, CommandError, CommandErrorType, ErrorReport
from charger.framework.errors import EvbenchError
from charger.framework.manifest import Manifest
from charger.framework.schema import CommandSpec, InterfaceSpec, SchemaRegistry


class ModuleDefinitionError(EvbenchError):
    """A module class that does not match its manifest (a programming error in the module)."""


def command(impl: str, name: str) -> Callable:
    """Mark a method as the handler of command ``name`` of the provided implementation ``impl``.

    The method receives the command's arguments as keyword arguments and returns the result. A
    handler that must wait (on simulated time or other commands) is a generator: it yields simpy
    events and ``return``s the result.
    """

    def mark(method: Callable) -> Callable:
        method._evbench_command = (impl, name)  # type: ignore[attr-defined]
        return method

    return mark


@dataclass
class ModuleContext:
    """What the framework hands a module: its identity, configuration, wiring and the bus."""

    module_id: str
    config: dict
    bus: Bus
    schemas: SchemaRegistry
    connections: dict[str, list[tuple[str, str]]]  # requirement -> [(module_id, impl_id)]
    seed: int = 0
    call_timeout_s: float | None = None
    state_dir: Path | None = None  # the run's directory for files that outlive a process


class Requirement:
    """A handle on one implementation this module requires."""

    def __init__(self, owner: Module, name: str, module_id: str, impl_id: str,
                 interface: InterfaceSpec):
        self._owner = owner
        self.name = name
        self.module_id = module_id
        self.impl_id = impl_id
        self.interface = interface

    def __repr__(self) -> str:
        return f"<Requirement {self.name} -> {self.module_id}.{self.impl_id}>"

    def call(self, cmd: str, **args: Any) -> simpy.Event:
        """Call a command; ``yield`` the event for the result (raises CommandError on failure)."""
        if cmd not in self.interface.cmds:
            raise ModuleDefinitionError(f"{self._owner.id}: interface {self.interface.name} "
                                        f"has no command {cmd!r}")
        ctx = self._owner._ctx
        return ctx.bus.call(self._owner.id, self.module_id, self.impl_id, cmd, args,
                            ctx.call_timeout_s)

    def send(self, cmd: str, **args: Any) -> simpy.Event:
        """Call a command without waiting for it; a failure is logged, not raised."""
        event = self.call(cmd, **args)

        def check(ev: simpy.Event) -> None:
            if not ev.ok:
                ev.defused = True
                self._owner.log("warning", f"{self.module_id}.{self.impl_id}.{cmd} failed: "
                                f"{ev.value}")

        event.callbacks.append(check)
        return event

    def notify(self, cmd: str, **args: Any) -> None:
        """Call a command one way: no result comes back (on the in-process bus not even as a
        timeline row); a failure is logged, as with :meth:`send`."""
        if cmd not in self.interface.cmds:
            raise ModuleDefinitionError(f"{self._owner.id}: interface {self.interface.name} "
                                        f"has no command {cmd!r}")

        def failed(error: CommandError) -> None:
            self._owner.log("warning", f"{self.module_id}.{self.impl_id}.{cmd} failed: {error}")

        self._owner._ctx.bus.notify(self._owner.id, self.module_id, self.impl_id, cmd, args,
                                    failed)

    def subscribe(self, var: str, callback: Callable[[Any], None]) -> None:
        """Run ``callback(value)`` for every value of variable ``var``."""
        if var not in self.interface.vars:
            raise ModuleDefinitionError(f"{self._owner.id}: interface {self.interface.name} "
                                        f"has no variable {var!r}")
        self._owner._ctx.bus.subscribe(self.module_id, self.impl_id, var,
                                       self._owner._guard(callback),
                                       self.interface.vars[var].check)

    def on_error(self, callback: Callable[[ErrorReport], None]) -> None:
        """Run ``callback(report)`` for every error raised or cleared by this implementation."""
        self._owner._ctx.bus.subscribe_errors(self.module_id, self.impl_id,
                                              self._owner._guard(callback))


class Module:
    """Base class of all modules. Subclasses override :meth:`init`, :meth:`ready`, :meth:`shutdown`.

    Lifecycle: the framework constructs every module of a station, calls ``init()`` on all
    (subscribe to requirements here; no commands yet), marks each ready, then calls ``ready()``
    (start processes, call commands). ``shutdown()`` runs when the station stops.
    """

    manifest: ClassVar[Manifest]

    def __init__(self, ctx: ModuleContext):
        self._ctx = ctx
        self.id = ctx.module_id
        self.env: simpy.Environment = ctx.bus.env
        self.config: dict = ctx.config
        self.rng = random.Random(f"{ctx.seed}:{ctx.module_id}")
        self.exceptions: list[str] = []
        self._var_specs: dict[tuple[str, str], Any] = {}
        self._to_remember: Callable[[], dict] | None = None  # remember_soon's, until it runs
        self._requirements: dict[str, list[Requirement]] = {}
        for req_name, targets in ctx.connections.items():
            interface = ctx.schemas.interface(self.manifest.requires[req_name].interface)
            self._requirements[req_name] = [Requirement(self, req_name, m, i, interface)
                                            for m, i in targets]
        self._serve_commands()

    # --- lifecycle hooks -------------------------------------------------------------------
    def init(self) -> None:
        """Subscribe to what this module needs; do not call commands yet."""

    def ready(self) -> Generator | None:
        """Every module is ready: start work. May be a generator, run as a process."""
        return None

    def shutdown(self) -> None:
        """The station is stopping."""

    # --- requirements ----------------------------------------------------------------------
    def require(self, name: str) -> Requirement:
        """The single implementation connected to requirement ``name``."""
        connected = self._requirements.get(name, [])
        if len(connected) != 1:
            raise ModuleDefinitionError(f"{self.id}: requirement {name!r} has {len(connected)} "
                                        "connections; use requirements() for several")
        return connected[0]

    def requirements(self, name: str) -> list[Requirement]:
        """Every implementation connected to requirement ``name`` (possibly none)."""
        return list(self._requirements.get(name, []))

    def optional(self, name: str) -> Requirement | None:
        connected = self._requirements.get(name, [])
        return connected[0] if connected else None

    # --- own variables and errors ----------------------------------------------------------
    def publish(self, impl: str, var: str, value: Any) -> None:
        spec = self._var_specs.get((impl, var))
        if spec is None:
            spec = self._interface(impl).vars.get(var)
            if spec is None:
                raise ModuleDefinitionError(f"{self.id}.{impl} has no variable {var!r}")
            self._var_specs[(impl, var)] = spec  # looked up once (some publish at 10 Hz)
        problem = spec.check(value)
        if problem:
            raise ModuleDefinitionError(f"{self.id}.{impl}.{var}: value violates its schema: "
                                        f"{problem}")
        self._ctx.bus.publish(self.id, impl, var, value, spec.telemetry)

    def raise_error(self, impl: str, name: str, message: str = "", severity: str = "high") -> None:
        self._report_error(impl, name, message, severity, True)

    def clear_error(self, impl: str, name: str) -> None:
        self._report_error(impl, name, "", "high", False)

    def _report_error(self, impl: str, name: str, message: str, severity: str,
                      active: bool) -> None:
        interface = self._interface(impl)
        if name not in interface.errors:
            raise ModuleDefinitionError(f"{self.id}.{impl}: interface {interface.name} declares "
                                        f"no error {name!r}")
        report = ErrorReport(interface.error_type(name), message, severity, f"{self.id}.{impl}",
                             active)
        self._ctx.bus.report_error(self.id, impl, report)

    def log(self, level: str, message: str) -> None:
        self._ctx.bus.log(self.id, level, message)

    # --- state kept across a restart of this module's process ------------------------------
    def remember(self, state: dict) -> None:
        """Keep ``state`` (JSON) for this module's next start after its process died."""
        self._ctx.bus.remember(self.id, state)

    def remember_soon(self, state: Callable[[], dict]) -> None:
        """Remember ``state()`` at the end of this instant, once however often it is asked
        for then (a station starting up changes a state one child at a time)."""
        if self._to_remember is None:
            self.start(self._remember_at_end_of_instant())
        self._to_remember = state

    def _remember_at_end_of_instant(self) -> Generator:
        yield self.env.timeout(0)
        state, self._to_remember = self._to_remember, None
        if state is not None:
            self.remember(state())

    def recall(self) -> dict | None:
        """What this module remembered before its process was restarted (None: first start)."""
        return self._ctx.bus.recall(self.id)

    def state_file(self, name: str) -> str:
        """Where to keep a file that outlives this process (``name`` from the configuration):
        a relative name lives in the run's state directory, so that runs do not share state by
        accident; an absolute path is used as it is; SQLite's ``:memory:`` stays in memory.
        Without a state directory (a module built by hand), relative to the working directory."""
        if name == ":memory:" or Path(name).is_absolute() or self._ctx.state_dir is None:
            return name
        return str(self._ctx.state_dir / name)

    # --- processes -------------------------------------------------------------------------
    def start(self, generator: Generator) -> simpy.Process:
        """Run a generator as a simpy process; an exception in it is logged, not fatal."""

        def guarded() -> Generator:
            try:
                return (yield from generator)
            except simpy.Interrupt:
                return None
            except Exception as exc:  # noqa: BLE001 - a module bug must not stop the station
                self._record_exception(exc)
                return None

        return self.env.process(guarded())

    def _guard(self, callback: Callable) -> Callable:
        def guarded(value: Any) -> None:
            try:
                callback(value)
            except Exception as exc:  # noqa: BLE001
                self._record_exception(exc)
        return guarded

    def _record_exception(self, exc: BaseException) -> None:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        self.exceptions.append(text)
        self._ctx.bus.log(self.id, "exception", text)

    # --- plumbing --------------------------------------------------------------------------
    def _interface(self, impl: str) -> InterfaceSpec:
        provided = self.manifest.provides.get(impl)
        if provided is None:
            raise ModuleDefinitionError(f"{self.id} provides no implementation {impl!r}")
        return self._ctx.schemas.interface(provided.interface)

    @classmethod
    def handler_methods(cls) -> dict[tuple[str, str], str]:
        found = {}
        for attr, value in inspect.getmembers(cls, inspect.isfunction):
            marker = getattr(value, "_evbench_command", None)
            if marker:
                found[marker] = attr
        return found

    @classmethod
    def station_problems(cls, instance: Any, station: Any) -> list[Any]:
        """Problems of one configured instance (a ``config.ModuleInstance``) that only the whole
        station (a ``config.StationConfig``, wiring resolved) shows, as ``errors.Problem``s with
        file and line. Checked when a station is loaded; none by default."""
        return []

    @classmethod
    def check_definition(cls, schemas: SchemaRegistry) -> None:
        """Every provided command has exactly one handler, and no handler serves nothing."""
        handlers = cls.handler_methods()
        wanted = {(impl, cmd) for impl, p in cls.manifest.provides.items()
                  for cmd in schemas.interface(p.interface).cmds}
        missing = sorted(wanted - set(handlers))
        extra = sorted(set(handlers) - wanted)
        if missing or extra:
            parts = [f"no handler for {i}.{c}" for i, c in missing]
            parts += [f"handler for {i}.{c}, which the manifest does not provide" for i, c in extra]
            raise ModuleDefinitionError(f"module {cls.manifest.name}: " + "; ".join(parts))

    def _serve_commands(self) -> None:
        for (impl, cmd), attr in self.handler_methods().items():
            spec = self._interface(impl).cmds[cmd]
            self._ctx.bus.serve(self.id, impl, cmd, self._make_handler(getattr(self, attr), spec))

    def _make_handler(self, method: Callable, spec: CommandSpec) -> Callable:
        defaults = spec.defaults()
        label = f"{self.id}.{spec.name}"

        def checked_result(value: Any) -> Any:
            problem = spec.check_result(value)
            if problem:
                raise CommandError(CommandErrorType.SCHEMA_VIOLATION,
                                   f"result of {label} violates its schema: {problem}")
            return value

        def failed(exc: Exception) -> CommandError:
            self._record_exception(exc)
            return CommandError(CommandErrorType.HANDLER_EXCEPTION, f"{label}: {exc!r}")

        def run(generator: Generator) -> Generator:
            try:
                value = yield from generator
            except CommandError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise failed(exc) from None
            return checked_result(value)

        def handler(args: Any, origin: str) -> Any:
            if not isinstance(args, dict):
                raise CommandError(CommandErrorType.SCHEMA_VIOLATION,
                                   f"arguments of {label} must be an object")
            problem = spec.check_arguments(args)
            if problem:
                raise CommandError(CommandErrorType.SCHEMA_VIOLATION,
                                   f"arguments of {label}: {problem}")
            try:
                outcome = method(**{**defaults, **args})
            except CommandError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise failed(exc) from None
            if inspect.isgenerator(outcome):
                return self.env.process(run(outcome))
            return checked_result(outcome)

        return handler
