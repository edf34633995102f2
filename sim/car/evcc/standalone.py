"""Run our car's EVCC against a charger on a real interface: SDP, then V2GTP over IPv6 TCP,
a full session, and a stop after a while. For trying a real charger or another
implementation's SECC on a bench, and for the interoperability tests.

    python -m sim.car.evcc.standalone --interface eth1 --mode DC_extended --charge 10

It prints one JSON object per line (``message``, ``event``, ``finished``); the exit code is 0
when the session ended normally.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Generator
from typing import Any

from charger.framework.wallclock import WallClockEnvironment
from charger.iso15118.discovery import SdpClient
from charger.iso15118.netif import InterfaceError, scope_id
from charger.iso15118.standalone import emit, message_line
from charger.iso15118.tcp import TcpLink, connect
from charger.iso15118.timeouts import PROFILES, TimeoutConfigError, Timeouts
from sim.car.evcc import Evcc, EvccConfig

NORMAL_ENDS = ("stopped by the car", "stopped by the charger")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.car.evcc.standalone",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--mode", default="DC_extended")
    parser.add_argument("--protocols", default="iso2,din", help="offered, by priority")
    parser.add_argument("--charge", type=float, default=5.0,
                        help="seconds in the charging loop before the car stops")
    parser.add_argument("--loop-interval", type=float, default=0.1)
    parser.add_argument("--battery-voltage", type=float, default=400.0,
                        help="V; the target is 10 V above it")
    parser.add_argument("--profile", default="strict", choices=PROFILES)
    parser.add_argument("--scale", type=float, default=1.0, help="timeout scale factor")
    parser.add_argument("--sdp-port", type=int, default=15118)
    parser.add_argument("--deadline", type=float, default=300.0)
    args = parser.parse_args(argv)
    try:
        timeouts = Timeouts(args.profile, scale=args.scale)
        scope = scope_id(args.interface)
    except (InterfaceError, TimeoutConfigError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    env = WallClockEnvironment()
    evcc = Evcc(env, EvccConfig(energy_mode=args.mode, protocols=args.protocols.split(","),
                                loop_interval_s=args.loop_interval),
                timeouts=timeouts, hook=message_line)
    evcc.status.battery_voltage_v = args.battery_voltage
    evcc.status.target_voltage_v = args.battery_voltage + 10.0
    done = env.event()

    def listener(event: str, payload: Any) -> None:
        emit("event", t=round(env.now, 4), name=event, payload=payload)
        if event == "power_delivery_started":
            env.process(stop_later())
        if event == "session_finished" and not done.triggered:
            done.succeed(payload)

    def stop_later() -> Generator:
        yield env.timeout(args.charge)
        evcc.stop_charging()

    evcc.listener = listener

    def session() -> Generator:
        sdp = SdpClient(env, scope, timeouts, server_port=args.sdp_port)
        try:
            response = yield sdp.found
        except TimeoutError as problem:
            done.succeed(f"SDP: {problem}")
            return
        emit("event", t=round(env.now, 4), name="sdp_response",
             payload={"address": str(response.address), "port": response.port})

        def connected(link: TcpLink, error: str | None) -> None:
            if error is not None:
                done.triggered or done.succeed(error)
            else:
                evcc.connect(link)
        connect(env, str(response.address), response.port, scope, connected)

    env.process(session())
    env.run(until=env.any_of([done, env.timeout(args.deadline)]))
    reason = done.value if done.triggered else "deadline passed"
    emit("finished", reason=reason)
    return 0 if reason in NORMAL_ENDS else 1


if __name__ == "__main__":
    sys.exit(main())
