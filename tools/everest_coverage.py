"""How much of a set of EVerest configurations `evbench import everest` carries over.

    .venv/bin/python tools/everest_coverage.py [--api] EVEREST_CORE/config/config-sil*.yaml

Prints, per file and in total, how many EVerest modules and keys (parameters, connections,
entry keys, framework settings) were mapped, reported as notes (not carried over, no effect on
a simulation) or reported as unmapped, and which module names and keys were unmapped most;
``--api`` counts as 'evbench import everest --api' imports. Files are read, never written.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from charger.framework.errors import ConfigError
from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from evbench.everest import import_everest, read_everest
from evbench.everest.findings import Coverage


def main(paths: list[str]) -> int:
    api = "--api" in paths
    paths = [p for p in paths if p != "--api"]
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    registry = ModuleRegistry(SchemaRegistry())
    total, unmapped = Coverage(), Counter()
    print(f"{'file':44} {'modules':>12} {'keys':>12}  (mapped/total)")
    for path in paths:
        try:
            result = import_everest(read_everest(path), registry, wall_clock_modules=api)
        except ConfigError as error:
            print(f"{Path(path).name:44} refused: {error.problems[0]}")
            continue
        cov = result.coverage
        total.add(cov)
        keys_mapped = cov.total(outcome="mapped") - cov.total("module", "mapped")
        keys = cov.total() - cov.total("module")
        print(f"{Path(path).name:44} {cov.total('module', 'mapped'):>5}/{cov.total('module'):<6}"
              f" {keys_mapped:>5}/{keys:<6}")
        for finding in result.findings:
            if finding.severity == "unmapped":
                unmapped[finding.subject.split(": ", 1)[-1].split(" -> ")[0]
                         .split(": ")[0]] += 1
    print()
    print(total.table())
    print("\nunmapped most often:")
    for subject, n in unmapped.most_common(15):
        print(f"  {n:5}  {subject}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
