"""Time the pure-Python EXI codec per message, beside the Java codec (EXIficient) Josev uses.

    python benchmarks/bench_exi.py [--corpus tests/v2g/corpus] [--repeat 200]
                                   [--reference-python PATH]

Messages come from the reference corpus, or from the EXIficient vectors of the tests when the
corpus is absent. For every message the median of ``--repeat`` runs is taken; the figures are
the median over messages. ``--reference-python`` names the Python of the environment that has
Josev installed: it runs tools/exi_reference/time_reference.py there and prints both sides.
The reference codec alone (charger.v2g.codec, without the compiled fast path) is timed beside.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from charger.v2g import exi  # noqa: E402
from charger.v2g.errors import V2GEncodeError  # noqa: E402

VECTORS = ROOT / "tests" / "v2g" / "exificient_vectors.json"
REFERENCE_SCRIPT = ROOT / "tools" / "exi_reference" / "time_reference.py"
# What Josev's Java codec takes per operation when no measurement is given (py4j round trip
# included), and the goal set for this codec: 50 times faster.
NOMINAL_REFERENCE_MS = 12.0
GOAL_MS = 0.25


def load_messages(corpus: Path) -> tuple[str, list[dict[str, Any]]]:
    files = sorted(corpus.glob("*.json"))
    source = f"corpus {_relative(corpus)}"
    if not files:
        files, source = [VECTORS], f"EXIficient test vectors ({VECTORS.name}), no corpus found"
    entries = [e for path in files for e in json.loads(path.read_text("utf-8"))]
    return source, entries


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(ROOT)
    except ValueError:
        return path


def median_ms(repeat: int, operation: Callable[..., object], *args: object) -> float:
    timings = []
    clock = time.perf_counter
    for _ in range(repeat):
        start = clock()
        operation(*args)
        timings.append(clock() - start)
    return statistics.median(timings) * 1000


def measure(entries: list[dict[str, Any]], repeat: int) -> dict[str, list[float]]:
    exi.warm_up()
    figures: dict[str, list[float]] = {"encode": [], "decode": [], "encode_dict": [],
                                       "decode_dict": [], "encode_reference": [],
                                       "decode_reference": [], "skipped": []}
    for entry in entries:
        namespace = entry["namespace"]
        data = bytes.fromhex(entry["exi"])
        try:
            message = exi.from_dict(namespace, entry["message"])
        except V2GEncodeError:  # a message the schema refuses (see tests/v2g/test_corpus.py)
            figures["skipped"].append(0.0)
            continue
        infoset = entry["message"]
        figures["encode"].append(median_ms(repeat, exi.encode, namespace, message))
        figures["decode"].append(median_ms(repeat, exi.decode, namespace, data))
        figures["encode_dict"].append(median_ms(repeat, exi.encode, namespace, infoset))
        figures["decode_dict"].append(median_ms(repeat, exi.decode_dict, namespace, data))
        figures["encode_reference"].append(
            median_ms(repeat, exi.encode_reference, namespace, message))
        figures["decode_reference"].append(
            median_ms(repeat, exi.decode_reference, namespace, data))
    return figures


def reference_figures(python: str, corpus: Path) -> dict[str, float]:
    result = subprocess.run(
        [python, str(REFERENCE_SCRIPT), "--corpus", str(corpus)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip().startswith("{")]
    return json.loads(lines[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "v2g" / "corpus")
    parser.add_argument("--repeat", type=int, default=200, help="runs per message")
    parser.add_argument("--reference-python", help="Python with Josev, to time EXIficient")
    args = parser.parse_args()

    source, entries = load_messages(args.corpus)
    figures = measure(entries, args.repeat)
    encode = statistics.median(figures["encode"])
    decode = statistics.median(figures["decode"])
    timed = len(figures["encode"])
    print(f"messages: {timed} from {source}; median of {args.repeat} runs each"
          + (f" ({len(figures['skipped'])} schema-invalid entries skipped)"
             if figures["skipped"] else ""))
    print(f"{'per message (median)':34}{'encode':>12}{'decode':>12}")
    print(f"{'charger.v2g, typed objects':34}{encode:>9.3f} ms{decode:>9.3f} ms")
    print(f"{'charger.v2g, infoset dicts':34}"
          f"{statistics.median(figures['encode_dict']):>9.3f} ms"
          f"{statistics.median(figures['decode_dict']):>9.3f} ms")
    reference_encode = statistics.median(figures["encode_reference"])
    reference_decode = statistics.median(figures["decode_reference"])
    print(f"{'charger.v2g, reference codec only':34}{reference_encode:>9.3f} ms"
          f"{reference_decode:>9.3f} ms   (compiled: {reference_encode / encode:.1f}x, "
          f"{reference_decode / decode:.1f}x faster)")
    print(f"{'charger.v2g, slowest message':34}{max(figures['encode']):>9.3f} ms"
          f"{max(figures['decode']):>9.3f} ms")

    if args.reference_python:
        reference = reference_figures(args.reference_python, args.corpus)
        ref_encode, ref_decode = reference["encode_median_ms"], reference["decode_median_ms"]
        label = "EXIficient via Josev (measured)"
    else:
        ref_encode = ref_decode = NOMINAL_REFERENCE_MS
        label = "EXIficient via Josev (nominal)"
    print(f"{label:34}{ref_encode:>9.3f} ms{ref_decode:>9.3f} ms")
    print(f"{'speed-up':34}{ref_encode / encode:>10.0f} x{ref_decode / decode:>10.0f} x")
    met = max(encode, decode) <= GOAL_MS
    print(f"goal <= {GOAL_MS} ms per message: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
