"""Mutation fuzzer for the EXI decoder and V2GTP framing.

Seeds are the reference corpus (tests/v2g/corpus/*.json) and the EXIficient vectors beside this
file. Each input is a mutation of a seed: a truncation, bit flips, overwritten, inserted or
deleted bytes, a spliced tail, random bytes, or a V2GTP frame with a random header fed through
the stream reassembler in random chunks. The only acceptable outcomes are a decoded message or
a V2GDecodeError; anything else, or an input slower than the time limit, is reported.

    python tests/v2g/fuzz_exi.py --count 100000 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __package__ in (None, ""):
    sys.path.insert(0, str(HERE.parents[1]))  # run as a script from anywhere

from charger.v2g import exi  # noqa: E402
from charger.v2g.errors import V2GDecodeError  # noqa: E402
from charger.v2g.v2gtp import FrameReassembler, PayloadType, encode_frame  # noqa: E402

NAMESPACES = ("app", "din", "iso2")
# A decode slower than this counts as a hang: 50 ms, plus 20 us per input byte (about five
# times what the largest corpus messages take) since decoding is linear in the input.
SLOW_SECONDS = 0.05
SLOW_SECONDS_PER_BYTE = 20e-6


def load_seeds() -> list[tuple[str, bytes]]:
    files = sorted((HERE / "corpus").glob("*.json")) + [HERE / "exificient_vectors.json"]
    seeds = []
    for path in files:
        for entry in json.loads(path.read_text("utf-8")):
            seeds.append((entry["namespace"], bytes.fromhex(entry["exi"])))
    return seeds


def mutate(rng: random.Random, data: bytes, seeds: list[tuple[str, bytes]]) -> bytes:
    buf = bytearray(data)
    kind = rng.randrange(8)
    if kind == 0 and buf:  # truncation
        return bytes(buf[: rng.randrange(len(buf))])
    if kind == 1 and buf:  # bit flips
        for _ in range(rng.randint(1, 8)):
            bit = rng.randrange(8 * len(buf))
            buf[bit // 8] ^= 0x80 >> (bit % 8)
        return bytes(buf)
    if kind == 2 and buf:  # overwritten bytes
        for _ in range(rng.randint(1, 4)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
        return bytes(buf)
    if kind == 3:  # inserted bytes
        at = rng.randint(0, len(buf))
        buf[at:at] = rng.randbytes(rng.randint(1, 16))
        return bytes(buf)
    if kind == 4 and len(buf) > 1:  # deleted range
        at = rng.randrange(len(buf))
        del buf[at : at + rng.randint(1, 8)]
        return bytes(buf)
    if kind == 5:  # splice with another seed's tail
        other = rng.choice(seeds)[1]
        return bytes(buf[: rng.randint(0, len(buf))] + other[rng.randint(0, len(other)) :])
    if kind == 6:  # random bytes behind a valid header
        return b"\x80" + rng.randbytes(rng.randint(0, 64))
    return rng.randbytes(rng.randint(0, 64))  # pure noise


def random_stream(rng: random.Random, payload: bytes) -> bytes:
    """One or two V2GTP frames, some with a corrupted header."""
    frame = bytearray(encode_frame(PayloadType.EXI, payload))
    choice = rng.randrange(5)
    if choice == 0:
        frame[0] = rng.randrange(256)
    elif choice == 1:
        frame[1] = rng.randrange(256)
    elif choice == 2:
        frame[2:4] = rng.randbytes(2)
    elif choice == 3:
        frame[4:8] = rng.randbytes(4)
    return bytes(frame) + (rng.randbytes(rng.randint(0, 12)) if rng.random() < 0.5 else b"")


@dataclass
class Report:
    inputs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def _decode(report: Report, namespace: str, data: bytes) -> None:
    start = time.perf_counter()
    try:
        exi.decode(namespace, data)
        report.outcomes["decoded"] += 1
    except V2GDecodeError:
        report.outcomes["V2GDecodeError"] += 1
    except Exception as exc:  # the point of the fuzzer: anything else is a bug
        report.outcomes[f"crash {type(exc).__name__}"] += 1
        if len(report.failures) < 20:
            report.failures.append(f"{namespace} {data.hex()}\n{traceback.format_exc()}")
    elapsed = time.perf_counter() - start
    limit = SLOW_SECONDS + SLOW_SECONDS_PER_BYTE * len(data)
    if elapsed > limit:
        # One slow run may be the scheduler; a hang is slow every time.
        elapsed = min(_time_decode(namespace, data) for _ in range(3))
        if elapsed > limit and len(report.failures) < 20:
            report.failures.append(f"slow ({elapsed:.3f} s): {namespace} {data.hex()}")
    report.slowest = max(report.slowest, elapsed)


def _time_decode(namespace: str, data: bytes) -> float:
    start = time.perf_counter()
    with contextlib.suppress(Exception):  # the outcome was recorded by the first run
        exi.decode(namespace, data)
    return time.perf_counter() - start


def _frames(report: Report, rng: random.Random, stream: bytes) -> list[bytes]:
    reassembler = FrameReassembler(payload_types=(PayloadType.EXI,))
    payloads = []
    try:
        at = 0
        while at < len(stream):
            size = rng.randint(1, 16)
            payloads += [f.payload for f in reassembler.feed(stream[at : at + size])]
            at += size
        report.outcomes["frames ok"] += 1
    except V2GDecodeError:
        report.outcomes["frame refused"] += 1
    except Exception as exc:
        report.outcomes[f"crash {type(exc).__name__}"] += 1
        report.failures.append(f"v2gtp {stream.hex()}\n{traceback.format_exc()}")
    return payloads


def run(count: int, seed: int = 1) -> Report:
    rng = random.Random(seed)
    seeds = load_seeds()
    exi.warm_up()  # grammar compilation is a one-off cost, not a slow decode
    report = Report()
    for _ in range(count):
        namespace, data = rng.choice(seeds)
        if rng.random() < 0.1:
            namespace = rng.choice(NAMESPACES)  # a valid stream read with the wrong schema
        report.inputs += 1
        if rng.random() < 0.1:
            for payload in _frames(report, rng, random_stream(rng, mutate(rng, data, seeds))):
                _decode(report, namespace, payload)
        else:
            _decode(report, namespace, mutate(rng, data, seeds))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="number of inputs")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    args = parser.parse_args()
    started = time.perf_counter()
    report = run(args.count, args.seed)
    elapsed = time.perf_counter() - started
    print(f"inputs: {report.inputs} in {elapsed:.1f} s; slowest decode "
          f"{report.slowest * 1000:.2f} ms")
    for outcome, n in sorted(report.outcomes.items()):
        print(f"  {outcome:20} {n}")
    for failure in report.failures:
        print(failure)
    print("result:", "OK, only decoded messages and V2GDecodeError" if report.ok else "FAILURES")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
