"""Bus addresses: a bad one is a clear error wherever it comes from, never a ValueError."""

from __future__ import annotations

import pytest

from charger.framework.errors import EvbenchError
from charger.framework.mqtt import parse_bus_url


@pytest.mark.parametrize("url", ["mqtt://h:99999", "mqtt://h:abc", "mqtt://h:-1", "tcp://h:1883",
                                 "mqtt://", "h:1883", "mqtt://h:0"])
def test_a_bad_bus_address_is_an_evbench_error(url: str) -> None:
    with pytest.raises(EvbenchError, match="bad bus address"):
        parse_bus_url(url)


def test_a_good_bus_address_gives_host_and_port() -> None:
    assert parse_bus_url("mqtt://broker.local:2883") == ("broker.local", 2883)
    assert parse_bus_url("mqtt://localhost") == ("localhost", 1883)
