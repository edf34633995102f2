"""The board's messages (``board.proto``) in the words the charger's interfaces use: pure
functions, no I/O. Shared by the host-side backend and the board emulator."""

from __future__ import annotations

from google.protobuf.message import DecodeError

from hil.board import board_pb2 as pb
from hil.board.framing import FrameError, decode, encode

CP_STATES = ("A", "B", "C", "D", "E", "F")  # CpState enum values 0..5
PP_STATES = ("none", "13A", "20A", "32A", "70A", "fault")
LOCK_STATES = ("undefined", "unlocked", "locked")
DUTY_UNITS_PER_PCT = 100  # pwm_duty_cycle counts 0.01 %
DUTY_OFF = 10000  # 100 %: a constant +12 V
DUTY_F = 0  # state F: -12 V
MAX_REQUEST_ID = 0xFFFFFFFF  # read_power_meter ids count 1..this and wrap; 0 marks a pushed reading

HostToBoard = pb.HostToBoard
BoardToHost = pb.BoardToHost


class MessageError(FrameError):
    """A frame with a good CRC that holds no message this protocol knows."""


def frame(message: pb.HostToBoard | pb.BoardToHost) -> bytes:
    """The wire frame of a message."""
    return encode(message.SerializeToString())


def parse(payload: bytes, kind: type) -> pb.HostToBoard | pb.BoardToHost:
    """One message of ``kind`` (HostToBoard or BoardToHost) from a frame's payload."""
    try:
        message = kind.FromString(payload)
    except DecodeError as exc:
        raise MessageError(f"not a {kind.__name__} message: {exc}") from None
    if message.WhichOneof("message") is None:
        raise MessageError(f"a {kind.__name__} message with no known field "
                           f"({len(payload)} bytes)")
    return message


def parse_frame(data: bytes, kind: type) -> pb.HostToBoard | pb.BoardToHost:
    """One message from one frame (without its delimiter)."""
    return parse(decode(data), kind)


def duty_units(duty_pct: float) -> int:
    """A duty cycle in % as the board counts it (0.01 % units)."""
    return max(0, min(DUTY_OFF, round(duty_pct * DUTY_UNITS_PER_PCT)))


def kind_of(message: pb.HostToBoard | pb.BoardToHost) -> str:
    return message.WhichOneof("message") or "none"


def describe(message: pb.HostToBoard | pb.BoardToHost) -> str:
    """A message in one line, for logs."""
    kind = kind_of(message)
    value = getattr(message, kind, None)
    if hasattr(value, "ListFields"):
        return f"{kind}({', '.join(f'{f.name}={v}' for f, v in value.ListFields())})"
    return f"{kind}={value}"


def meter_reading(message: pb.PowerMeter, meter_id: str) -> dict:
    """A board's power_meter message as a ``powermeter`` reading."""
    v = [message.vrms_l1, message.vrms_l2, message.vrms_l3]
    i = [message.irms_l1, message.irms_l2, message.irms_l3]
    w = [message.watt_l1, message.watt_l2, message.watt_l3]
    wh = [message.wh_import_l1, message.wh_import_l2, message.wh_import_l3]

    def per_phase(values: list[float], total: float, digits: int) -> dict:
        return {"total": round(total, digits), "L1": round(values[0], digits),
                "L2": round(values[1], digits), "L3": round(values[2], digits)}

    return {"meter_id": meter_id,
            "energy_wh_import": per_phase(wh, message.wh_import_total, 3),
            "power_w": per_phase(w, sum(w), 2),
            "current_a": per_phase(i, sum(i), 3),
            "voltage_v": per_phase(v, max(v), 2),
            "frequency_hz": round(float(message.freq_hz), 3)}


def next_request_id(previous: int) -> int:
    """The read_power_meter id after ``previous``: 1, 2, ... wrapping past 0 (a pushed reading)."""
    return previous % MAX_REQUEST_ID + 1


def power_meter(reading: dict, time_stamp: int, request_id: int = 0) -> pb.PowerMeter:
    """A ``powermeter`` reading as the board's power_meter message: pushed (``request_id`` 0)
    or the answer to the read_power_meter of that id."""
    e, p = reading["energy_wh_import"], reading["power_w"]
    c, v = reading["current_a"], reading["voltage_v"]
    return pb.PowerMeter(
        time_stamp=time_stamp, vrms_l1=v["L1"], vrms_l2=v["L2"], vrms_l3=v["L3"],
        irms_l1=c["L1"], irms_l2=c["L2"], irms_l3=c["L3"],
        wh_import_l1=e["L1"], wh_import_l2=e["L2"], wh_import_l3=e["L3"],
        wh_import_total=e["total"], watt_l1=p["L1"], watt_l2=p["L2"], watt_l3=p["L3"],
        freq_hz=reading["frequency_hz"], request_id=request_id)
