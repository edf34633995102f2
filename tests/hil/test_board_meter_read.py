"""The serial board's meter read is a request to the board (``read_power_meter``), answered by
the emulator with a reading taken then; a board that leaves it unanswered gives a timeout and
the meter's CommunicationFault, never the last pushed reading. Clocks run five times faster
than real time."""

from __future__ import annotations

from pathlib import Path

import pytest

from charger.framework import CommandError
from hil.emulators.board import BoardSettings
from tests.hil.conftest import Bench, EmulatedBoardRig
from tests.hil.test_contract_board import charge

FACTOR = 0.2
AMPS = 16.0


def bench_on(tmp_path: Path, registry, settings: BoardSettings | None = None) -> Bench:
    rig = EmulatedBoardRig(tmp_path, FACTOR, settings)
    bench = Bench(f"""\
        active_modules:
          board1:
            module: EmulatedBoard
            config: {{port: "{rig.port}", car_port: "{rig.car_url}"}}
        """, tmp_path / "station.yaml", registry, FACTOR)
    bench.rig = rig  # type: ignore[attr-defined]
    bench.wait_event("A")
    return bench


@pytest.fixture
def rare_pushes(tmp_path: Path, registry):
    """A board that pushes readings only at changes of current, not every second."""
    bench = bench_on(tmp_path, registry, BoardSettings(meter_interval_s=3600.0))
    yield bench
    bench.stop()
    bench.rig.stop()


@pytest.fixture
def serial_bench(tmp_path: Path, registry):
    bench = bench_on(tmp_path, registry)
    yield bench
    bench.stop()
    bench.rig.stop()


def test_a_read_asks_the_board_for_a_reading_taken_now(rare_pushes):
    bench = rare_pushes
    emulator = bench.rig.emulator
    charge(bench, AMPS)
    pushed = bench.wait_for(lambda r: r.name == "powermeter"
                            and r.value["current_a"]["L1"] == pytest.approx(AMPS),
                            what="the reading pushed as current starts")
    asked_before = emulator.meter_reads
    bench.run_for(3.0)
    reading = bench.call("board1", "meter", "read")
    assert emulator.meter_reads == asked_before + 1
    power = 3 * 230.0 * AMPS
    gained = reading["energy_wh_import"]["total"] - pushed.value["energy_wh_import"]["total"]
    # Three seconds and more of the emulator's clock at full power since the pushed reading
    # (its clock runs beside the station's, not in step: a lower bound only).
    assert gained >= power * 2.5 / 3600
    assert reading["power_w"]["total"] == pytest.approx(power, rel=0.01)
    # The answer is published like any reading the board sends.
    published = bench.rows("var", "powermeter", "board1.meter")
    assert published[-1].value == reading


def test_an_unanswered_read_is_a_timeout_and_a_communication_fault(serial_bench):
    bench = serial_bench
    emulator = bench.rig.emulator
    charge(bench, AMPS)
    emulator.ignore_meter_reads = True  # at once: the next request must find it set
    pushes_before = len(bench.rows("var", "powermeter", "board1.meter"))
    with pytest.raises(CommandError, match="meter not answering.*no reply within 2 s"):
        bench.call("board1", "meter", "read")
    # The board pushed readings meanwhile (every second); none stood in for the answer.
    assert len(bench.rows("var", "powermeter", "board1.meter")) > pushes_before
    fault = bench.wait_error("powermeter/CommunicationFault")
    assert fault.source == "board1.meter"
    assert bench.rig.port in fault.value["message"]
    assert not bench.rows("error_raised", "evse_board_support/CommunicationFault")
    # The host asks again with its keep-alives; the first answer clears the fault.
    asked = emulator.meter_reads
    bench.run_for(3.0)
    assert emulator.meter_reads > asked
    assert bench.rows("error_cleared", "powermeter/CommunicationFault") == []
    emulator.ignore_meter_reads = False
    bench.wait_error("powermeter/CommunicationFault", active=False, timeout_s=10)
    reading = bench.call("board1", "meter", "read")
    assert reading["current_a"]["L1"] == pytest.approx(AMPS)
