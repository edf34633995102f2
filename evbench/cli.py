"""The ``evbench`` command line.

Exit codes: 0 success (every expectation held), 1 an expectation failed, 2 bad input (the
message names file, line and reason; no traceback), 3 an internal error (a bug; ``--debug``
shows its traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from charger.framework.errors import ConfigError, EvbenchError

if TYPE_CHECKING:
    from evbench.scenario.runner import ScenarioRun

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it
# What every command's exit codes 2 and 3 mean; each command says what its 0 and 1 mean.
BAD_INPUT = ("bad input: a file, an option or a station was refused (the message names the file, "
             "line and reason)")
INTERNAL = "internal error: a bug in evbench (one line; --debug shows the traceback)"

Handler = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as error:
        _traceback_if(args)
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except EvbenchError as error:
        _traceback_if(args)
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (evbench modules | head): nothing to say
        with contextlib.suppress(OSError, ValueError):  # and no second error when exiting
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # a bug: one line for the user, the traceback only on request
        _traceback_if(args)
        what = " ".join(f"{type(error).__name__}: {error}".split())
        print(f"error: internal error ({what}); run again with --debug for the traceback",
              file=sys.stderr)
        return EXIT_INTERNAL


def _traceback_if(args: argparse.Namespace) -> None:
    if getattr(args, "debug", False):
        traceback.print_exc()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evbench", description="EV-charger simulation workbench: run scenarios and "
        "stations, check files, explore with random scenarios.",
        epilog="Run 'evbench COMMAND --help' for a command's arguments and exit codes "
        "(0 success, 1 a check failed, 2 bad input, 3 internal error).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}",
                        help="print the installed evbench version and exit")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error (for reporting a bug)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = _command(commands, "run", _run, "run a scenario and write its report",
                   ok="the run finished and every expectation held",
                   failed="an expectation failed")
    run.add_argument("scenario", type=Path, help="scenario file (docs/scenarios.md)")
    run.add_argument("--out", type=Path, default=None,
                     help="report directory (default: out/<scenario name>)")
    run.add_argument("--seed", type=_seed, default=None, help="override the scenario's seed")
    run.add_argument("--quiet", action="store_true",
                     help="print only the verdict (no progress bar, no expectation lines)")
    run.add_argument("--state-dir", type=Path, default=None,
                     help="keep the modules' state files (OCPP's queue) here across runs "
                     "(default: OUT/state, emptied before each run)")
    _bus_options(run)
    run.add_argument("--rig", type=Path, default=None,
                     help="run on the wall clock against this bench rig (docs/rig.md)")

    station = _command(commands, "station", _station,
                       "run a station on the wall clock, no scenario",
                       ok="the station ran until --until or Ctrl-C and stopped")
    station.add_argument("config", type=Path, help="station configuration or scenario file")
    station.add_argument("--until", type=_seconds, default=None,
                         help="stop after this many simulated seconds (default: until Ctrl-C)")
    station.add_argument("--seed", type=_seed, default=0,
                         help="seed of the simulated world's randomness (default: 0)")
    station.add_argument("--state-dir", type=Path, default=Path("state"),
                         help="where the modules keep files that outlive a restart, such as "
                         "OCPP's queue and transactions (default: ./state)")
    station.add_argument("--logs", type=Path, default=None,
                         help="directory for the module processes' output (MQTT bus)")
    _bus_options(station)

    module = _command(commands, "module", _module,
                      "run some modules of a station as one process",
                      ok="the modules ran until the station stopped them")
    module.add_argument("module_ids", nargs="+", metavar="ID",
                        help="module ids of the station configuration to run in this process")
    module.add_argument("--config", type=Path, default=None,
                        help="station configuration or scenario file (default: ask the "
                        "station's manager over MQTT)")
    module.add_argument("--bus", type=_broker_url, required=True,
                        help="the station's MQTT broker, mqtt://HOST:PORT")
    module.add_argument("--factor", type=_factor, default=None,
                        help="wall seconds per simulated second (default: the station's, from "
                        "its manager)")
    module.add_argument("--seed", type=_seed, default=None,
                        help="seed of the modules' randomness (default: the station's)")

    from evbench.monitor import add_arguments as monitor_arguments

    monitor_arguments(_command(commands, "monitor", _monitor,
                               "print the live traffic of a running station",
                               ok="the monitor was stopped with Ctrl-C"),
                      bus_type=_broker_url)

    validate = _command(commands, "validate", _validate, "check scenario or station files",
                        ok="every file is valid")
    validate.add_argument("files", type=Path, nargs="+",
                          help="scenario or station files (every problem of every file is "
                          "reported)")

    modules = _command(commands, "modules", _modules,
                       "show each module's requirements, parameters and error types, and the "
                       "interfaces", ok="the modules were listed")
    modules.add_argument("names", nargs="*", metavar="MODULE",
                         help="only these modules (default: every module, then the interfaces)")

    fuzz = _command(commands, "fuzz", _fuzz,
                    "run random scenarios on a station and judge the safety invariants",
                    ok="no invariant was violated",
                    failed="an invariant was violated (the scenarios are in --out)")
    fuzz.add_argument("station", type=Path, help="station configuration")
    fuzz.add_argument("--runs", type=_positive_int, default=100,
                      help="how many random scenarios to run (default: 100)")
    fuzz.add_argument("--seed", type=_seed, default=0,
                      help="seed of the scenario generator (default: 0); the same seed draws "
                      "the same scenarios")
    fuzz.add_argument("--out", type=Path, default=Path("out/fuzz"),
                      help="where violating scenarios are written (default: out/fuzz)")
    fuzz.add_argument("--jobs", type=_positive_int, default=None,
                      help="worker processes (default: one per core)")

    compare = _command(commands, "compare", _compare,
                       "put two runs of one scenario side by side (e.g. simulated against a "
                       "bench): state sequences, timing, energy, verdicts, overlaid plots",
                       ok="the runs agree within the tolerances",
                       failed="a difference exceeds the tolerances (listed)")
    compare.add_argument("run_a", type=Path, metavar="RUN_A", help="a run directory (--out)")
    compare.add_argument("run_b", type=Path, metavar="RUN_B", help="another run directory")
    compare.add_argument("--time-tolerance", type=_seconds, default=0.5, metavar="S",
                         help="how far apart in simulated time matching events may be "
                         "(default: 0.5)")
    compare.add_argument("--energy-tolerance", type=_seconds, default=2.0, metavar="PCT",
                         help="how far apart each connector's energy may be, in %% of RUN_A's "
                         "(default: 2)")
    compare.add_argument("--out", type=Path, default=None,
                         help="the HTML page's path (default: RUN_B/compare.html)")

    from evbench.everest.command import add_import_command

    add_import_command(commands, _command)
    from evbench.sweep.cli import add_sweep_command

    add_sweep_command(commands, _command)
    from hil.cli import add_rig_commands

    add_rig_commands(commands, _command, _factor)
    return parser


def _command(commands: argparse._SubParsersAction, name: str, handler: Handler, summary: str,
             ok: str, failed: str | None = None) -> argparse.ArgumentParser:
    """A subcommand whose help ends with its exit codes; ``handler(args)`` runs it."""
    codes = [(EXIT_OK, ok), *([(EXIT_FAILED, failed)] if failed else []),
             (EXIT_BAD_INPUT, BAD_INPUT), (EXIT_INTERNAL, INTERNAL)]
    epilog = "exit codes:\n" + "\n".join(
        textwrap.fill(meaning, 78, initial_indent=f"  {code}  ", subsequent_indent=" " * 5)
        for code, meaning in codes)
    command = commands.add_parser(name, help=summary, description=summary, epilog=epilog,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    # Accepted after the command too; SUPPRESS keeps a --debug given before it.
    command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show the traceback of an error (for reporting a bug)")
    command.set_defaults(handler=handler)
    return command


def _compare(args: argparse.Namespace) -> int:
    from evbench.compare import Tolerances, compare_runs, write_page

    comparison = compare_runs(args.run_a, args.run_b,
                              Tolerances(args.time_tolerance, args.energy_tolerance))
    print(comparison.summary())
    page = args.out or args.run_b / "compare.html"
    try:
        print(f"page: {write_page(comparison, page)}")
    except OSError as exc:
        raise EvbenchError(f"--out: cannot write {page}: {exc.strerror or exc}") from None
    return EXIT_FAILED if comparison.problems() else EXIT_OK


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("evbench")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _fuzz(args: argparse.Namespace) -> int:
    """Random scenarios on a station; exit 1 when an invariant was violated."""
    from evbench.fuzz import fuzz

    # Checked (and created) before the first run: a violation found must not be lost.
    _out_dir(args.out, "--out", "directory for violating scenarios")
    with _fuzz_progress(args.runs) as progress:
        report = fuzz(args.station, args.runs, seed=args.seed, out=args.out, jobs=args.jobs,
                      progress=progress)
    for violation in report.violations:
        print(f"run {violation.index}: {', '.join(violation.failed)} -> {violation.file}",
              file=sys.stderr)
    print(report.summary)
    return EXIT_FAILED if report.violations else EXIT_OK


@contextmanager
def _fuzz_progress(runs: int) -> Iterator[Callable[[int, object], None] | None]:
    """On a terminal, a bar of the runs done; elsewhere nothing (logs stay free of it)."""
    if not sys.stdout.isatty():
        yield None
        return
    from evbench.progress import RunCountBar

    bar = RunCountBar(runs, sys.stdout)
    try:
        yield bar
    finally:
        bar.close()


def _bus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bus", type=_bus, default="inproc",
                        help="inproc (default: one process, virtual time for scenarios), mqtt "
                        "(a private Mosquitto for this run), or mqtt://HOST:PORT")
    parser.add_argument("--factor", type=_factor, default=1.0,
                        help="on the wall clock: wall seconds per simulated second "
                        "(0.1 runs ten times faster than real time)")


# --- argument types: a bad value is a usage error (exit 2) before anything starts -------------
MAX_FACTOR = 1000.0  # slower than that, one simulated second takes over 16 wall minutes


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text!r}")
    return value


def _factor(text: str) -> float:
    value = _number(text)
    if not 0 < value <= MAX_FACTOR:
        raise argparse.ArgumentTypeError(
            f"wall seconds per simulated second must be above 0 and at most {MAX_FACTOR:g} "
            f"(0.1 runs ten times faster than real time), not {text!r}")
    return value


def _seconds(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
    return value


def _whole(minimum: int) -> Callable[[str], int]:
    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {text!r}")
        return value
    return whole


_seed, _positive_int = _whole(0), _whole(1)


def _broker_url(text: str) -> str:
    from charger.framework.mqtt import parse_bus_url

    try:
        parse_bus_url(text)
    except EvbenchError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _bus(text: str) -> str:
    return text if text in ("inproc", "mqtt") else _broker_url(text)


@contextmanager
def _broker(bus: str) -> Iterator[str | None]:
    """The bus URL to use: None in-process, a private broker for 'mqtt', or the given URL."""
    if bus == "inproc":
        yield None
    elif bus == "mqtt":
        from charger.framework.broker import PrivateBroker

        with PrivateBroker() as broker:
            yield broker.url
    else:
        from charger.framework.mqtt import parse_bus_url

        parse_bus_url(bus)
        yield bus


def _run(args: argparse.Namespace) -> int:
    from charger.framework.yamlio import load_yaml
    from evbench.filekind import expect_kind
    from evbench.scenario import load_scenario
    from evbench.scenario.runner import ScenarioRun
    from reports import write_report

    doc = load_yaml(args.scenario)
    expect_kind(doc, args.scenario, "run")
    scenario = load_scenario(args.scenario, doc)
    out = args.out or Path("out") / args.scenario.stem
    created = _out_dir(out, "--out")
    state_dir = args.state_dir or _fresh_state_dir(out / "state")
    try:
        with _broker(args.bus) as url:
            run = ScenarioRun(scenario, args.seed, bus_url=url, factor=args.factor,
                              log_dir=out / "logs" if url else None,
                              state_dir=state_dir.resolve(), rig=args.rig)
            with _progress(run, args.quiet) as say:
                run.progress = say
                result = run.run()
    except BaseException:
        # Refused before it ran (the station, the run's size): leave no empty report directory.
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise
    report: Path | None = None
    try:
        report = write_report(result, out)["report"]
    except OSError as exc:  # checked before the run, but a disk can fill: keep the verdict
        print(f"error: report directory {out}: cannot write the report: {exc.strerror or exc}",
              file=sys.stderr)
    if not args.quiet:
        print(f"{result.scenario}  (seed {result.seed})")
        for outcome in result.expectations:
            mark = "PASS" if outcome.passed else "FAIL"
            print(f"  {mark}  {outcome.name}: {outcome.detail}")
        energy = ", ".join(f"connector {c}: {wh / 1000:.2f} kWh"
                           for c, wh in result.energy_wh.items())
        ratio = result.sim_time_s / result.wall_time_s if result.wall_time_s else float("inf")
        print(f"  energy {energy or 'none'}; simulated {result.sim_time_s:g} s in "
              f"{result.wall_time_s:.2f} s ({ratio:,.0f}x)")
        print(f"  report: {report or 'not written'}")
    print("PASSED" if result.passed else "FAILED")
    if report is None:
        return EXIT_BAD_INPUT
    return EXIT_OK if result.passed else EXIT_FAILED


def _out_dir(path: Path, option: str, what: str = "report directory") -> list[Path]:
    from reports.writer import prepare_out_dir

    try:
        return prepare_out_dir(path, what)
    except EvbenchError as error:
        raise EvbenchError(f"{option}: {error}") from None


def _fresh_state_dir(path: Path) -> Path:
    """A run's own state directory: what an earlier run in the same report directory left
    (an OCPP queue meant for its backend) must not reach this one."""
    if path.is_dir():
        shutil.rmtree(path)
    return path


def _say(line: str) -> None:
    print(line, flush=True)


@contextmanager
def _progress(run: ScenarioRun, quiet: bool) -> Iterator[Callable[[str], None] | None]:
    """Where a run's progress lines go; on a terminal (and not --quiet) a progress bar of
    simulated time is drawn below them. Not on a pipe or a file: logs stay free of it."""
    if quiet:
        yield None
        return
    if not sys.stdout.isatty():
        yield _say
        return
    from evbench.progress import SimulatedTimeBar

    bar = SimulatedTimeBar(run.env, run.scenario.duration_s, sys.stdout)
    try:
        yield bar.write
    finally:
        bar.close()


def _station_config(path: Path):
    """The station a file describes: a station configuration, or a scenario's station + world."""
    from charger.framework.config import load_station
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry
    from charger.framework.yamlio import load_yaml
    from evbench.filekind import expect_kind

    registry = ModuleRegistry(SchemaRegistry())
    doc = load_yaml(path)
    if expect_kind(doc, path, "station") == "station":
        return load_station(path, registry, doc), registry
    from evbench.scenario import load_scenario
    from evbench.scenario.world import build_world

    return build_world(load_scenario(path, doc), registry).station, registry


def _station(args: argparse.Namespace) -> int:
    from evbench.assembly import assemble

    config, registry = _station_config(args.config)
    config.state_dir = args.state_dir.resolve()
    if args.logs is not None and args.bus != "inproc":
        _out_dir(args.logs, "--logs", "log directory")
    with _broker(args.bus) as url:
        assembly = assemble(
            config, registry, seed=args.seed, bus_url=url, wall_clock=True, factor=args.factor,
            log_dir=args.logs,
            on_event=lambda group, what, detail: print(f"{group}: {what} {detail}", flush=True))
        env = assembly.env
        finished = env.finish_on_signals()  # type: ignore[attr-defined]
        assembly.tap(_announce_endpoints)
        assembly.start()
        try:
            if args.until is not None:
                env.timeout(args.until).callbacks.append(
                    lambda _e: finished.triggered or finished.succeed())
            print(f"station {config.path}: {assembly.describe()}; state kept in "
                  f"{args.state_dir}; Ctrl-C stops", flush=True)
            env.run(until=finished)
        finally:
            assembly.stop()
    return EXIT_OK


def _announce_endpoints(kind: str, source: str, name: str, value: object) -> None:
    """Print where a station's web API (module Api) listens, once it does."""
    if kind == "var" and name == "endpoint" and isinstance(value, dict):
        print(f"{source}: dashboard at {value.get('dashboard')}", flush=True)


def _module(args: argparse.Namespace) -> int:
    from charger.framework.process import run_module_process

    if args.config is None:
        from charger.framework.registry import ModuleRegistry
        from charger.framework.schema import SchemaRegistry

        config, registry = None, ModuleRegistry(SchemaRegistry())
    else:
        config, registry = _station_config(args.config)
    return run_module_process(config, args.module_ids, args.bus, registry, factor=args.factor,
                              seed=args.seed)


def _monitor(args: argparse.Namespace) -> int:
    from evbench.monitor import run_monitor

    return run_monitor(args)


def _validate(args: argparse.Namespace) -> int:
    from charger.framework.config import load_station
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry
    from charger.framework.yamlio import load_yaml
    from evbench.filekind import expect_kind
    from evbench.scenario import load_scenario
    from evbench.scenario.fleet import with_fleet
    from evbench.scenario.limits import check_run_size
    from evbench.scenario.world import build_world, connector_problems

    registry = ModuleRegistry(SchemaRegistry())
    problems = []
    for file in args.files:
        try:
            doc = load_yaml(file)
            if expect_kind(doc, file, "validate") == "station":
                station = load_station(file, registry, doc)
                clashes = connector_problems(station, registry)
                if clashes:
                    raise ConfigError(clashes)
                print(f"{file}: ok (station with {len(station.modules)} modules)")
            else:
                scenario = load_scenario(file, doc)
                scenario = with_fleet(scenario, scenario.seed)  # a fleet's steps, for its seed
                check_run_size(scenario, len(build_world(scenario, registry).probes))
                fleet = f" ({len(scenario.fleet_steps)} of its fleet's cars, seed " \
                    f"{scenario.seed})" if scenario.fleet_steps else ""
                steps = len(scenario.steps) + len(scenario.fleet_steps)
                print(f"{file}: ok (scenario '{scenario.title}', {steps} steps{fleet}, "
                      f"{len(scenario.expectations)} expectations)")
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    return EXIT_OK


def _modules(args: argparse.Namespace) -> int:
    from evbench.catalog import catalog

    for line in catalog(args.names):
        print(line)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
