"""``evbench import everest CONFIG.yaml [-o STATION.yaml]``: an EVerest configuration as an
evbench station, and a scenario that runs it with its cars.

Exit codes: 0 everything was carried over; 1 written, but partial (each thing not carried over
is listed with its line; nothing is written when no module could be imported); 2 bad input
(not an EVerest configuration, malformed, or an output that cannot be written): nothing written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from charger.framework.errors import ConfigError, EvbenchError

EXIT_COMPLETE, EXIT_PARTIAL = 0, 1


def add_import_command(commands: argparse._SubParsersAction,
                       make_command: Callable[..., argparse.ArgumentParser]) -> None:
    """``import everest``; ``make_command`` is the command line's maker of a subcommand (its
    help lists the exit codes)."""
    codes = {"ok": "everything was carried over",
             "failed": "written, but partial: each thing not carried over is listed with its "
             "line (nothing is written when no module could be imported)"}
    importer = make_command(commands, "import", run_import,
                            "convert another tool's configuration (FORMAT: everest)", **codes)
    kinds = importer.add_subparsers(dest="kind", required=True, metavar="FORMAT",
                                    help="the configuration's format")
    everest = make_command(
        kinds, "everest", run_import,
        "convert an EVerest configuration (active_modules ...) into an evbench station, and a "
        "scenario that runs it with its cars (docs/everest-import.md)", **codes)
    everest.add_argument("config", type=Path, help="the EVerest configuration (YAML or JSON)")
    everest.add_argument("-o", "--output", type=Path, default=None, metavar="STATION.yaml",
                         help="write the station here, and a scenario beside it (default: print "
                         "the station, write no scenario)")
    everest.add_argument("--scenario", type=Path, default=None, metavar="SCENARIO.yaml",
                         help="where the scenario goes (default: STATION-scenario.yaml)")
    everest.add_argument("--api", action="store_true",
                         help="also import EVerest's API as evbench's Api module, which needs "
                         "the wall clock: the scenario then runs with 'evbench run --bus mqtt'")


def run_import(args: argparse.Namespace) -> int:
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry
    from evbench.everest.importer import import_everest
    from evbench.everest.source import read_everest
    from evbench.everest.writer import scenario_text, station_text

    if args.scenario is not None and args.output is None:
        raise EvbenchError("--scenario: needs -o STATION.yaml (the scenario names the station)")
    source = read_everest(args.config)
    registry = ModuleRegistry(SchemaRegistry())
    result = import_everest(source, registry, wall_clock_modules=args.api)
    command = f"evbench import everest {args.config.name}"
    if not result.modules:
        for finding in result.findings:
            print(finding, file=sys.stderr)
        print(f"{args.config}: nothing could be imported (no module has an evbench "
              "counterpart): nothing written", file=sys.stderr)
        return EXIT_PARTIAL
    if args.output is None:
        sys.stdout.write(station_text(result, command))
        written: list[Path] = []
    else:
        scenario = args.scenario or args.output.with_name(f"{args.output.stem}-scenario.yaml")
        for path in (args.output, scenario):  # checked before either is written
            if _same_file(path, args.config):
                raise EvbenchError(f"{path}: is the EVerest configuration itself: choose "
                                   "another output")
            if path.is_dir():
                raise EvbenchError(f"{path}: is a directory: give a file name")
        station_ref = os.path.relpath(args.output.resolve(), scenario.resolve().parent)
        title = f"{args.config.stem} (imported from EVerest)"
        texts = {args.output: station_text(result, command),
                 scenario: scenario_text(result, Path(station_ref).as_posix(), title, command)}
        for path, text in texts.items():
            _write(path, text)
        written = list(texts)
        _check_scenario(scenario, registry, result)
    for finding in result.findings:
        print(finding, file=sys.stderr)
    _summary(result, written)
    return EXIT_PARTIAL if result.partial else EXIT_COMPLETE


def _check_scenario(path: Path, registry, result) -> None:
    """The written scenario must load as any scenario does; what does not is reported."""
    from evbench.everest.findings import Finding
    from evbench.scenario import load_scenario
    from evbench.scenario.world import build_world

    try:
        build_world(load_scenario(path), registry)
    except ConfigError as error:
        result.findings += [Finding(p.path, p.line, "unmapped", "written scenario",
                                    f"evbench's check refuses it: {p.reason}")
                            for p in error.problems]


def _summary(result, written: list[Path]) -> None:
    unmapped = sum(f.severity == "unmapped" for f in result.findings)
    notes = len(result.findings) - unmapped
    modules = result.coverage
    print(f"imported {modules.total('module', 'mapped')} of {modules.total('module')} EVerest "
          f"modules into {len(result.modules)} evbench modules and {len(result.cars)} car(s); "
          f"{unmapped} thing(s) not carried over, {notes} note(s)"
          + ("" if result.partial else ": complete"), file=sys.stderr)
    if len(written) == 2:
        wall = " --bus mqtt" if any(b.module == "Api" for b in result.modules.values()) else ""
        print(f"wrote {written[0]} and {written[1]}; run: evbench run {written[1]}{wall}",
              file=sys.stderr)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and a.resolve() == b.resolve()
    except OSError:
        return False


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise EvbenchError(f"{path}: cannot write: {exc.strerror or exc}") from None
