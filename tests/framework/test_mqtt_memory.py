"""What a module remembers goes to the manager once per change, not on every call."""

from __future__ import annotations

from charger.framework.mqtt import MqttBus
from charger.framework.wallclock import WallClockEnvironment


def test_unchanged_state_is_not_sent_again() -> None:
    bus = MqttBus(WallClockEnvironment(), "mqtt://127.0.0.1:1", name="t")  # never connected
    sent: list[tuple[str, bytes]] = []
    bus._send = lambda topic, payload, *a, **k: sent.append((topic, payload))  # type: ignore
    bus.remember("evse1", {"sessions": 1, "session": {"id": "a"}})
    bus.remember("evse1", {"sessions": 1, "session": {"id": "a"}})
    bus.remember("evse1", {"sessions": 1, "session": None})
    bus.remember("evse2", {"sessions": 1, "session": None})
    assert [topic.rsplit("/", 1)[1] for topic, _ in sent] == ["evse1", "evse1", "evse2"]
    assert bus.recall("evse1") == {"sessions": 1, "session": None}
