"""evbench monitor: simulated time, filters, one ready per start, telemetry summarised."""

from __future__ import annotations

from charger.framework import topics
from evbench.monitor import Monitor, telemetry_variables

METER = "everest/modules/board1/impl/meter/var/powermeter"
SESSION = "everest/modules/evse1/impl/evse/var/session_event"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _monitor(**options: object) -> tuple[Monitor, list[str], Clock]:
    lines: list[str] = []
    clock = Clock()
    monitor = Monitor(lines.append, telemetry={"powermeter"}, wall_clock=clock,
                      **options)  # type: ignore[arg-type]
    return monitor, lines, clock


def _feed(monitor: Monitor, topic: str, content: object) -> None:
    parsed = topics.parse(topic)
    assert parsed is not None
    monitor.on_message(parsed, content)


def test_lines_carry_the_station_s_simulated_time() -> None:
    monitor, lines, clock = _monitor()
    _feed(monitor, SESSION, {"event": "SessionStarted", "connector": 1})
    _feed(monitor, "everest/evbench/clock", {"epoch": 990.0, "factor": 0.1})
    clock.now = 1005.0
    _feed(monitor, SESSION, {"event": "AuthRequired", "connector": 1})
    assert lines[0].split()[0] == "-"  # no clock yet: no made-up time
    assert lines[1].split()[0] == "150.000"  # (1005 - 990) / 0.1


def test_telemetry_is_summarised_per_interval() -> None:
    monitor, lines, clock = _monitor(telemetry_every_s=5.0)
    for _ in range(40):  # a second of readings
        _feed(monitor, METER, {"power_w": {"total": 11000.0}})
        clock.now += 0.025
    _feed(monitor, SESSION, {"event": "ChargingStarted", "connector": 1})  # never held back
    clock.now += 5.0
    _feed(monitor, METER, {"power_w": {"total": 11000.0}})
    assert len(lines) == 3
    assert "powermeter" in lines[0] and "ChargingStarted" in lines[1]
    assert lines[2].endswith("(+39 readings since the last line)")


def test_ready_is_shown_once_per_start() -> None:
    monitor, lines, _ = _monitor()
    for _ in range(3):  # said again after a broker restart
        _feed(monitor, "everest/modules/evse1/ready", True)
    _feed(monitor, "everest/modules/evse1/lifecycle", "init")  # a restart
    _feed(monitor, "everest/modules/evse1/ready", True)
    assert [line.split()[3] for line in lines] == ["ready", "init", "ready"]


def test_filters_by_source_kind_and_name() -> None:
    monitor, lines, _ = _monitor(sources=["evse*"], kinds=["var"], names=["session_*"])
    _feed(monitor, SESSION, {"event": "SessionStarted", "connector": 1})
    _feed(monitor, "everest/modules/evse1/impl/evse/var/state", "Idle")  # other name
    _feed(monitor, METER, {"power_w": {"total": 0.0}})  # other source
    _feed(monitor, "everest/modules/evse1/ready", True)  # other kind
    assert len(lines) == 1 and "SessionStarted" in lines[0]


def test_the_meter_reading_is_declared_telemetry() -> None:
    assert "powermeter" in telemetry_variables()
