"""``evbench rig check`` and ``evbench rig emulate``: the logic behind the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from charger.framework.registry import ModuleRegistry
from charger.framework.schema import SchemaRegistry
from hil.device import ProbeResult
from hil.rig import load_rig

EXIT_OK, EXIT_MISSING = 0, 1


def rig_check(path: Path, say: Callable[[str], None] = print,
              timeout_s: float = 3.0) -> int:
    """Open every device of the rig, read its identity and status, say what answers and what
    does not and why; 1 when something does not answer."""
    rig = load_rig(path, ModuleRegistry(SchemaRegistry()))
    results: list[ProbeResult] = []
    for part in rig.parts.values():
        for device in part.backend.devices(part):
            result = device.probe(timeout_s)
            results.append(result)
            say(f"{part.id} ({part.backend.name}): {result}")
    missing = [r for r in results if not r.answered]
    say(f"{len(results) - len(missing)} of {len(results)} devices answer"
        + (f"; missing: {', '.join(r.name for r in missing)}" if missing else ""))
    return EXIT_MISSING if missing else EXIT_OK


def rig_emulate(path: Path, factor: float = 1.0, say: Callable[[str], None] = print) -> int:
    """Start an emulator for every device of the rig; run until Ctrl-C."""
    from hil.emulators.host import EmulatorHost

    rig = load_rig(path, ModuleRegistry(SchemaRegistry()))
    host = EmulatorHost(factor)
    try:
        for part in rig.parts.values():
            if part.backend.emulate is None:
                say(f"{part.id}: backend {part.backend.name} has no emulator; not emulated")
                continue
            say(f"{part.id}: {part.backend.emulate(host, part, rig)}")
    except BaseException:
        host.stop()
        raise
    say(f"emulating {len(host.emulators)} devices of {rig.title} (factor {factor:g}); "
        "Ctrl-C stops")
    host.run_until_signal()
    return EXIT_OK
