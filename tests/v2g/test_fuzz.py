"""A short run of the mutation fuzzer; the long run is `python tests/v2g/fuzz_exi.py`."""

from fuzz_exi import run


def test_mutated_inputs_only_decode_or_raise_decode_errors():
    report = run(3000, seed=7)
    assert report.ok, "\n".join(report.failures)
    assert report.outcomes["V2GDecodeError"] > 0 and report.outcomes["decoded"] > 0
