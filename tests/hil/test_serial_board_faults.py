"""The serial board when the line misbehaves: lost keep-alives, noise and CRC errors, an
unplugged adapter, a host that goes away. Each gives a clear error and the safe state, and the
board is used again when it answers again. Clocks run five times faster than real time."""

from __future__ import annotations

from pathlib import Path

import pytest

from hil.board import messages
from hil.board.messages import BoardToHost, pb
from hil.emulators.pty import PtyPair
from tests.hil.conftest import Bench, EmulatedBoardRig

FACTOR = 0.2


@pytest.fixture
def serial_bench(tmp_path: Path, registry):
    rig = EmulatedBoardRig(tmp_path, FACTOR)
    bench = Bench(f"""\
        active_modules:
          board1:
            module: EmulatedBoard
            config: {{port: "{rig.port}", car_port: "{rig.car_url}"}}
        """, tmp_path / "station.yaml", registry, FACTOR)
    bench.rig = rig
    bench.wait_event("A")
    yield bench
    bench.stop()
    bench.rig.stop()  # a test may have plugged in another board (and its pty pair)


def test_lost_keep_alives_raise_communication_fault_then_clear(serial_bench):
    bench = serial_bench
    bench.rig.host.call(lambda: setattr(bench.rig.emulator, "hung", True))
    raised = bench.wait_error("evse_board_support/CommunicationFault", timeout_s=15)
    assert "keep-alive lost" in raised.value["message"]
    meter = bench.wait_error("powermeter/CommunicationFault")
    assert meter.t == raised.t
    # Commands to a lost board fail rather than vanish.
    with pytest.raises(Exception, match="not answering"):
        bench.call("board1", "board", "pwm_on", duty_cycle_pct=20)
    bench.rig.host.call(lambda: setattr(bench.rig.emulator, "hung", False))
    bench.wait_error("evse_board_support/CommunicationFault", active=False)
    bench.call("board1", "board", "pwm_on", duty_cycle_pct=20)


def test_noise_and_crc_errors_are_refused_and_the_link_goes_on(serial_bench):
    bench = serial_bench
    good = bytearray(messages.frame(BoardToHost(cp_state=pb.STATE_B)))
    bad_crc = bytes(good[:-2]) + bytes([good[-2] ^ 0x55]) + b"\x00"
    unknown = messages.frame(BoardToHost())  # a valid frame holding no known message
    rig = bench.rig
    rig.host.call(lambda: rig.emulator.write_raw(b"\x13\x37noise\xff\xfe\x00" + bad_crc
                                                 + unknown))
    warning = bench.wait_for(lambda r: r.kind == "log" and "frame refused" in str(r.value),
                             what="a refused frame logged")
    assert bench.station.modules["board1"].device.rejected >= 1
    assert "board1" in warning.source
    # The board is still heard and obeyed.
    bench.call("board1", "ev_board", "set_cp_state", cp_state="B")
    bench.wait_event("B")
    assert not bench.rows("error_raised", "evse_board_support/CommunicationFault")


def test_an_unplugged_adapter_is_reported_and_reconnected(serial_bench, tmp_path):
    bench = serial_bench
    rig = bench.rig
    rig.host.stop()  # the board is gone with its adapter
    rig.pair.stop()
    raised = bench.wait_error("evse_board_support/CommunicationFault", timeout_s=15)
    assert rig.port in raised.value["message"]
    # Plugged in again: a new pty at the same name, a board that starts from its reset state.
    again = EmulatedBoardRig.__new__(EmulatedBoardRig)
    again.port, again.car_port = rig.port, rig.car_port
    again.pair = PtyPair(rig.port, tmp_path / "board-device").start()
    from hil.emulators.board import BoardEmulator
    from hil.emulators.host import EmulatorHost

    again.host = EmulatorHost(FACTOR)
    again.emulator = again.host.add(BoardEmulator(again.host.env, str(tmp_path / "board-device"),
                                                  rig.car_port))
    again.host.start_thread()
    bench.rig = again
    bench.wait_error("evse_board_support/CommunicationFault", active=False, timeout_s=20)
    bench.call("board1", "ev_board", "set_cp_state", cp_state="B")
    # The car's channel reconnects on its own back-off and gets the car's state again.
    bench.wait_event("B", timeout_s=60)


def test_the_board_takes_its_safe_state_when_the_host_goes_silent(serial_bench):
    bench = serial_bench
    bench.call("board1", "ev_board", "set_cp_state", cp_state="B")
    bench.call("board1", "board", "pwm_on", duty_cycle_pct=30)
    bench.call("board1", "ev_board", "set_cp_state", cp_state="C")
    bench.call("board1", "board", "allow_power_on", value=True, phase_count=3)
    bench.wait_event("PowerOn")
    plug = bench.rig.emulator.plug
    assert plug.relays_closed and plug.pilot == 30.0
    bench.station.modules["board1"].device.stop()  # the host stops talking
    bench.run_for(7.0)  # beyond the board's 5 s
    assert not plug.relays_closed
    assert plug.pilot == "off"


def test_the_charger_stops_when_its_board_is_lost(tmp_path: Path, registry):
    rig = EmulatedBoardRig(tmp_path, FACTOR)
    bench = Bench(f"""\
        active_modules:
          board1:
            module: EmulatedBoard
            config: {{port: "{rig.port}", car_port: "{rig.car_url}"}}
          evse1:
            module: EvseManager
            config: {{max_current_a: 16, phases: 3}}
            connections: {{board: board1.board, rcd: board1.rcd, powermeter: board1.meter}}
          auth:
            module: Auth
            config: {{free_charging: true}}
            connections: {{evse_manager: evse1}}
        """, tmp_path / "station.yaml", registry, FACTOR)
    try:
        bench.call("board1", "ev_board", "set_cp_state", cp_state="B")
        bench.wait_for(lambda r: r.name == "measurement" and r.value["pwm_duty_pct"],
                       what="PWM offered")
        bench.call("board1", "ev_board", "set_cp_state", cp_state="C")
        bench.wait_event("PowerOn")
        rig.host.call(lambda: setattr(rig.emulator, "hung", True))
        raised = bench.wait_error("evse_manager/BoardCommunicationFault", timeout_s=15)
        assert raised.source == "evse1.evse"
        # The fault holds until the board answers again.
        rig.host.call(lambda: setattr(rig.emulator, "hung", False))
        bench.wait_error("evse_manager/BoardCommunicationFault", active=False, timeout_s=15)
    finally:
        bench.stop()
        rig.stop()
