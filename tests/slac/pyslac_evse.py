"""Runs pyslac's EVSE side on one interface until it matches a car; the peer of test_pyslac.

Run with the pyslac environment's python (tools/pyslac-venv), inside the EVSE's network
namespace. Prints KEY_SET after its modem confirmed the key, WAITING when it waits for the car's
CM_SLAC_PARM.REQ, and MATCHED <car MAC> (or FAILED <reason>) at the end.
"""

import asyncio
import sys

import pyslac.session as session
from pyslac.enums import STATE_MATCHED
from pyslac.environment import Config

# pyslac waits 10 s after CM_SET_KEY for a real modem to settle; an emulated one needs no time.
session.SLAC_SETTLE_TIME = 0.2


async def main(interface: str, limit_s: float) -> int:
    config = Config(slac_init_timeout=20, slac_atten_results_timeout=None, log_level="INFO")
    evse = session.SlacEvseSession("EVSE-PYSLAC-1", interface, config)
    await evse.evse_set_key()
    print("KEY_SET", flush=True)
    await session.SlacSessionController().process_cp_state(evse, "B")
    print("WAITING", flush=True)
    waited = 0.0
    while evse.state != STATE_MATCHED:
        if waited > limit_s:
            print(f"FAILED no match within {limit_s} s", flush=True)
            return 1
        await asyncio.sleep(0.05)
        waited += 0.05
    print("MATCHED", evse.pev_mac.hex(":"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], float(sys.argv[2]))))
