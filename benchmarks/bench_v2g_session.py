"""Time a DC V2G session in virtual time: our SECC and EVCC over the in-process link, from
SupportedAppProtocol through cable check and pre-charge, MINUTES of CurrentDemand at the loop
interval real cars use (100 ms), to SessionStop; every message EXI-encoded, framed, decoded.

    python benchmarks/bench_v2g_session.py [--minutes 30] [--protocol iso2|din] [--hook]
                                           [--compare]

Prints the simulated and wall time, their ratio (the issue's goal for a whole DC session is
1000x), the messages exchanged, and where the time goes (cProfile, top functions) with
``--profile``. ``--compare`` runs the session twice more, once with the reference EXI codec
alone (charger.v2g.codec, no compiled fast path), and prints the CPU time of both side by side.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from charger.v2g import exi  # noqa: E402
from tests.v2g_session.doubles import make_run  # noqa: E402

GOAL_RATIO = 1000.0


def session(minutes: float, protocol: str, hook: bool) -> tuple[float, int]:
    run = make_run("DC_extended", (protocol,))
    if not hook:
        run.secc.hook = None
        run.evcc.hook = None
    secc_session, _ = run.connect()

    def stop():
        yield run.env.timeout(15 + minutes * 60)
        run.evcc.stop_charging()
    run.env.process(stop())
    run.env.run(until=secc_session.finished)
    assert run.secc_reason == "stopped by the car", run.secc_reason
    count = len(run.records) if hook else 0
    return run.env.now, count


def compare(minutes: float, protocol: str) -> None:
    """CPU time of the session with the compiled codec and with the reference codec alone."""
    compiled_codec = exi.encode, exi.decode
    figures = {}
    for label, codec in (("compiled EXI codec", compiled_codec),
                         ("reference EXI codec", (exi.encode_reference, exi.decode_reference))):
        exi.encode, exi.decode = codec
        try:
            start = time.process_time()
            simulated, _ = session(minutes, protocol, False)
            figures[label] = time.process_time() - start
        finally:
            exi.encode, exi.decode = compiled_codec
        cpu = figures[label]
        print(f"  {label:20} CPU {cpu:7.2f} s   ratio {simulated / cpu:7.0f}x")
    gain = figures["reference EXI codec"] / figures["compiled EXI codec"]
    print(f"  compiled codec: the session takes {gain:.2f}x less CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--protocol", default="iso2", choices=["iso2", "din"])
    parser.add_argument("--hook", action="store_true",
                        help="record every message (decoded dict and hex), as the timeline will")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--compare", action="store_true",
                        help="also time the session with the reference EXI codec alone")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    simulated, messages = session(args.minutes, args.protocol, args.hook)
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - start
    loop_messages = int(args.minutes * 60 / 0.1) * 2
    print(f"DC session ({args.protocol}), {args.minutes:g} min of CurrentDemand at 100 ms")
    print(f"  simulated {simulated:10.1f} s   wall {wall:8.2f} s   ratio {simulated / wall:8.0f}x"
          f"   (goal {GOAL_RATIO:.0f}x)")
    print(f"  about {loop_messages} loop messages: {wall / loop_messages * 1e6:.0f} us each "
          f"(encode + frame + decode{' + record' if args.hook else ''})")
    if messages:
        print(f"  recorded {messages} messages on the SECC side")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)
    if args.compare:
        compare(args.minutes, args.protocol)


if __name__ == "__main__":
    main()
