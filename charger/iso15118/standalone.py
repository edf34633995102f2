"""Run an SECC on a real interface without the rest of a station: SDP and TCP on the
interface's link-local address, and an ideal charger behind the SECC (authorization
accepted, a passing cable check, an output that follows the car's target). For trying a real
car or another implementation's EVCC on a bench, and for the interoperability tests.

    python -m charger.iso15118.standalone --interface eth1 --mode DC_extended

It prints one JSON object per line: ``message`` (every V2G message with its hex), ``event``,
and finally ``finished`` with the reason; the exit code is 0 when the session ended normally.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Generator
from typing import Any

from charger.framework.wallclock import WallClockEnvironment
from charger.iso15118.discovery import SdpServer
from charger.iso15118.engine import MessageRecord
from charger.iso15118.netif import InterfaceError, link_local_address, scope_id
from charger.iso15118.secc import Secc, SeccConfig
from charger.iso15118.tcp import TcpLink, TcpServer
from charger.iso15118.timeouts import PROFILES, TimeoutConfigError, Timeouts

NORMAL_ENDS = ("stopped by the car", "paused by the car")


class IdealCharger:
    """A charger that does at once what the SECC asks (the EVSE manager's stand-in here)."""

    def __init__(self, secc: Secc, cable_check_s: float = 1.0):
        self.secc = secc
        self.env = secc.env
        self.cable_check_s = cable_check_s
        self.closed = False

    def on_event(self, event: str, payload: Any) -> None:
        if event == "require_auth_eim":
            self.secc.authorization_response("Accepted")
        elif event == "start_cable_check":
            self.env.process(self._cable_check(payload["voltage_v"]))
        elif event == "dc_ev_target_voltage_current":
            current = payload["current_a"] if self.closed else 0.0
            self.secc.update_dc_present_values(payload["voltage_v"], current)
        elif event == "v2g_setup_finished":
            self.closed = True
        elif event == "dc_open_contactor":
            self.closed = False
            self.secc.update_dc_present_values(0.0, 0.0)

    def _cable_check(self, voltage_v: float) -> Generator:
        self.secc.update_dc_present_values(voltage_v, 0.0)
        yield self.env.timeout(self.cable_check_s)
        self.secc.update_dc_present_values(0.0, 0.0)
        self.secc.cable_check_finished(True)


def emit(kind: str, **fields: Any) -> None:
    print(json.dumps({"kind": kind, **fields}, default=str), flush=True)


def message_line(record: MessageRecord) -> None:
    emit("message", t=round(record.time, 4), direction=record.direction,
         protocol=record.protocol, name=record.name, hex=record.hex)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m charger.iso15118.standalone",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--mode", default="DC_extended",
                        help="energy transfer mode offered (e.g. AC_three_phase_core)")
    parser.add_argument("--protocols", default="iso2,din", help="by preference")
    parser.add_argument("--profile", default="strict", choices=PROFILES)
    parser.add_argument("--scale", type=float, default=1.0, help="timeout scale factor")
    parser.add_argument("--sdp-port", type=int, default=15118)
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds, then give up")
    args = parser.parse_args(argv)
    try:
        timeouts = Timeouts(args.profile, scale=args.scale)
        address = str(link_local_address(args.interface))
        scope = scope_id(args.interface)
    except (InterfaceError, TimeoutConfigError) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    env = WallClockEnvironment()
    secc = Secc(env, SeccConfig(energy_modes=[args.mode],
                                protocols=args.protocols.split(",")),
                timeouts=timeouts, hook=message_line)
    charger = IdealCharger(secc)

    def listener(event: str, payload: Any) -> None:
        emit("event", t=round(env.now, 4), name=event, payload=payload)
        charger.on_event(event, payload)

    secc.listener = listener
    done = env.event()

    def connection(link: TcpLink) -> None:
        session = secc.serve(link)
        session.finished.callbacks.append(
            lambda event: done.triggered or done.succeed(event.value))

    server = TcpServer(env, address, scope, connection)
    SdpServer(env, scope, address, server.port, port=args.sdp_port)
    emit("listening", address=address, port=server.port, interface=args.interface)
    env.run(until=env.any_of([done, env.timeout(args.deadline)]))
    reason = done.value if done.triggered else "deadline passed"
    emit("finished", reason=reason)
    return 0 if reason in NORMAL_ENDS else 1


if __name__ == "__main__":
    sys.exit(main())
