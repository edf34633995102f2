"""The ``evbench`` command line.

Exit codes: 0 success (every expectation held), 1 an expectation failed, 2 bad input (the
message names file, line and reason; no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from charger.framework.errors import ConfigError, EvbenchError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="evbench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run a scenario and write its report")
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, default=None,
                     help="report directory (default: out/<scenario name>)")
    run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    run.add_argument("--quiet", action="store_true", help="print only the verdict")

    validate = commands.add_parser("validate", help="check scenario or station files")
    validate.add_argument("files", type=Path, nargs="+")

    commands.add_parser("modules", help="list the modules and interfaces available")

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            return _validate(args.files)
        return _modules()
    except ConfigError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except EvbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args: argparse.Namespace) -> int:
    from reports import write_report
    from sim.scenario import load_scenario, run_scenario

    scenario = load_scenario(args.scenario)
    out = args.out or Path("out") / args.scenario.stem
    result = run_scenario(scenario, seed=args.seed)
    files = write_report(result, out)
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
        print(f"  report: {files['report']}")
    print("PASSED" if result.passed else "FAILED")
    return EXIT_OK if result.passed else EXIT_FAILED


def _validate(files: list[Path]) -> int:
    from charger.framework.config import load_station
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry
    from charger.framework.yamlio import load_yaml
    from sim.scenario import load_scenario
    from sim.scenario.world import build_world

    registry = ModuleRegistry(SchemaRegistry())
    problems = []
    for file in files:
        try:
            doc = load_yaml(file)
            if isinstance(doc, dict) and "active_modules" in doc:
                station = load_station(file, registry)
                print(f"{file}: ok (station with {len(station.modules)} modules)")
            else:
                scenario = load_scenario(file)
                build_world(scenario, registry)
                print(f"{file}: ok (scenario '{scenario.title}', {len(scenario.steps)} steps, "
                      f"{len(scenario.expectations)} expectations)")
        except ConfigError as error:
            problems += error.problems
    if problems:
        raise ConfigError(problems)
    return EXIT_OK


def _modules() -> int:
    from charger.framework.registry import ModuleRegistry
    from charger.framework.schema import SchemaRegistry

    schemas = SchemaRegistry()
    registry = ModuleRegistry(schemas)
    print("modules:")
    for name in registry.names():
        manifest = registry.get(name).manifest
        provides = ", ".join(f"{i}: {p.interface}" for i, p in manifest.provides.items())
        print(f"  {name:16} provides {provides}")
    print("interfaces:")
    for name, spec in sorted(schemas.interfaces.items()):
        print(f"  {name:22} {len(spec.cmds)} cmds, {len(spec.vars)} vars, "
              f"{len(spec.errors)} errors")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
