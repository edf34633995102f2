"""Run Josev (the ``iso15118`` package) as a peer for the interoperability tests.

This file runs with the Python of the Josev environment (tools/josev-venv), never the
project's: ``python josev_peer.py {secc,evcc} --interface IF --mode MODE --protocols P,...
--scale S``. It works in the current directory (give it an empty one: Josev reads a .env file
from there), scales Josev's timeouts by S (its Java codec is slow on a loaded machine), and
starts Josev's own SECC or EVCC main loop with its simulated EV/EVSE controller.
"""

from __future__ import annotations

import argparse
import asyncio
import enum
import json
import os
import sys

JOSEV_PROTOCOLS = {"din": "DIN_SPEC_70121", "iso2": "ISO_15118_2"}


def scale_timeouts(scale: float) -> None:
    """Replace each Josev Timeouts enum by one with scaled values, wherever it was imported."""
    modules = [m for name, m in list(sys.modules.items())
               if name.startswith("iso15118") and m is not None]
    originals = {}
    for module in modules:
        for name, value in list(vars(module).items()):
            if isinstance(value, type) and issubclass(value, enum.Enum) \
                    and value.__name__ == "Timeouts" and value not in originals:
                originals[value] = enum.Enum(
                    "Timeouts", {name: float(member.value) * scale
                                  for name, member in value.__members__.items()}, type=float)
    for module in modules:
        for name, value in list(vars(module).items()):
            if isinstance(value, type) and value in originals:
                setattr(module, name, originals[value])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["secc", "evcc"])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--mode", default="DC_extended")
    parser.add_argument("--protocols", default="iso2,din")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--loops", type=int, default=20)
    args = parser.parse_args()
    protocols = [JOSEV_PROTOCOLS[p] for p in args.protocols.split(",")]
    os.environ.update({"NETWORK_INTERFACE": args.interface, "LOG_LEVEL": "INFO",
                       "SECC_ENFORCE_TLS": "False", "PROTOCOLS": ",".join(protocols),
                       "AUTH_MODES": "EIM", "FREE_CHARGING_SERVICE": "False",
                       "MESSAGE_LOG_JSON": "False", "MESSAGE_LOG_EXI": "True"})
    from iso15118.shared.settings import load_shared_settings

    load_shared_settings()
    if args.role == "secc":
        from iso15118.secc import main as secc_main

        scale_timeouts(args.scale)
        asyncio.run(secc_main.main())
        return 0
    from iso15118.evcc import main as evcc_main

    scale_timeouts(args.scale)
    with open("evcc.json", "w") as handle:
        json.dump({"supportedProtocols": protocols, "energyTransferMode": args.mode,
                   "useTls": False, "enforceTls": False, "sdpRetryCycles": 5,
                   "chargeLoopCycle": args.loops, "supportedEnergyServices": ["AC", "DC"]},
                  handle)
    sys.argv = [sys.argv[0], "evcc.json"]
    asyncio.run(evcc_main.main())
    return 0


if __name__ == "__main__":
    sys.exit(main())
