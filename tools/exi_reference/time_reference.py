"""Time Josev's EXIficient codec on the reference corpus and print one JSON object.

Run with the test-only environment's interpreter:

    VENV/bin/python tools/exi_reference/time_reference.py --corpus tests/v2g/corpus

Each timed call is the one ``EXI().to_exi`` / ``EXI().from_exi`` make into the JVM: a JSON
document in, EXI bytes out (and back).  It includes the py4j round trip and the JSON/JAXB
mapping around EXIficient (Josev's wrapper builds a new JAXB context on every call, which
dominates), and excludes Josev's pydantic layer.  Every entry is first encoded and decoded
``--warmup`` times (JIT warm-up; the bytes are checked against the corpus), then ``--repeat``
times under the clock.  Medians are over all timed calls, in milliseconds.  Wall-clock times:
on a busy machine they grow, so the load average goes to stderr with the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from josev_codec import JosevCodec, to_josev

CORPUS_FILES = ("app.json", "din.json", "iso2.json")


def load_jobs(corpus: Path) -> list[tuple[str, str, bytes]]:
    """(namespace, Josev JSON document, EXI bytes) for every corpus entry."""
    jobs = []
    for file_name in CORPUS_FILES:
        for entry in json.loads((corpus / file_name).read_text(encoding="utf-8")):
            namespace = entry["namespace"]
            document = json.dumps(to_josev(namespace, entry["message"]))
            jobs.append((namespace, document, bytes.fromhex(entry["exi"])))
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="corpus directory")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds (default 1)")
    args = parser.parse_args()

    codec = JosevCodec()
    jobs = load_jobs(args.corpus)

    for _ in range(args.warmup):
        for namespace, document, exi in jobs:
            if codec.encode_json(document, namespace) != exi:
                print(f"corpus bytes not reproduced for {document[:80]}", file=sys.stderr)
                return 1
            codec.decode_json(exi, namespace)

    encode_ns: list[int] = []
    decode_ns: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(args.repeat):
        for namespace, document, exi in jobs:
            start = clock()
            codec.encode_json(document, namespace)
            middle = clock()
            codec.decode_json(exi, namespace)
            end = clock()
            encode_ns.append(middle - start)
            decode_ns.append(end - middle)

    result = {
        "encode_median_ms": round(statistics.median(encode_ns) / 1e6, 4),
        "decode_median_ms": round(statistics.median(decode_ns) / 1e6, 4),
        "messages": len(jobs),
        "codec": codec.description,
    }
    print(json.dumps(result))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
