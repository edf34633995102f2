"""MQTT bus speed: command round trips and variable throughput between two processes.

Both sides use the product's MqttBus (EVerest's envelope, schema checks included; paho's socket
driven from the simulation thread), next to a bare paho-mqtt request/response loop on the same
broker in the same run. Goals: p99 round trip within 1.5x of
the bare loop; at least 10,000 variable updates per second.

    .venv/bin/python benchmarks/bench_mqtt.py [--calls 5000] [--vars 50000] [--bus mqtt://...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

from charger.framework.broker import PrivateBroker
from charger.framework.mqtt import MqttBus, parse_bus_url
from charger.framework.schema import SchemaRegistry
from charger.framework.wallclock import WallClockEnvironment

ROOT = Path(__file__).resolve().parents[1]
STATION = ROOT / "scenarios" / "stations" / "ac-1-connector.yaml"
TOKEN = {"provided_token": {"id_token": "AABBCCDD", "type": "RFID"}}
METER = {"meter_id": "m", "energy_wh_import": {"total": 1.0, "L1": 1.0, "L2": 0.0, "L3": 0.0},
         "power_w": {"total": 3680.0, "L1": 3680.0, "L2": 0.0, "L3": 0.0},
         "current_a": {"total": 16.0, "L1": 16.0, "L2": 0.0, "L3": 0.0},
         "voltage_v": {"total": 230.0, "L1": 230.0, "L2": 0.0, "L3": 0.0}, "frequency_hz": 50.0}


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


# --- the product's bus ------------------------------------------------------------------------
def bus_round_trips(url: str, calls: int) -> list[float]:
    """Call LocalAllowList.validate_token, served by its own module process, ``calls`` times."""
    server = subprocess.Popen([sys.executable, "-m", "evbench.cli", "module", "allow_list",
                               "--config", str(STATION), "--bus", url],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    env = WallClockEnvironment()
    bus = MqttBus(env, url, name="bench")
    bus.connect()
    try:
        if bus.wait_modules_ready({"allow_list"}, 30):
            raise SystemExit("the allow_list module process did not start")
        bus.announce_everest_ready(time.time())  # this script is the station's manager
        samples: list[float] = []

        def caller():
            for i in range(calls + 200):
                start = time.perf_counter()
                yield bus.call("bench", "allow_list", "main", "validate_token", TOKEN)
                if i >= 200:  # the first calls warm up caches and connections
                    samples.append(time.perf_counter() - start)

        env.run(until=env.process(caller()))
        return samples
    finally:
        server.terminate()
        server.wait()
        bus.announce_everest_ready(None)
        bus.close()


def bus_var_throughput(url: str, count: int) -> float:
    """A publisher process sends ``count`` powermeter values; this process receives and checks
    each against the interface's schema. Updates per second, first to last received."""
    check = SchemaRegistry().interface("powermeter").vars["powermeter"].check
    env = WallClockEnvironment()
    bus = MqttBus(env, url, name="bench-sub")
    received: list[float] = []
    done = env.event()

    def on_value(value: dict) -> None:
        received.append(time.perf_counter())
        if len(received) == count and not done.triggered:
            done.succeed()

    bus.subscribe("pub", "meter", "powermeter", on_value, check)
    bus.connect()
    publisher = subprocess.Popen([sys.executable, __file__, "--role", "publisher", "--bus", url,
                                  "--vars", str(count)])
    try:
        env.run(until=done)
    finally:
        publisher.wait()
        bus.close()
    return (count - 1) / (received[-1] - received[0])


def publish_vars(url: str, count: int) -> None:
    env = WallClockEnvironment()
    bus = MqttBus(env, url, name="bench-pub")
    bus.connect()
    time.sleep(0.5)  # let the subscriber's subscription settle (a benchmark, not a module)
    telemetry = SchemaRegistry().interface("powermeter").vars["powermeter"].telemetry
    for _ in range(count):  # as Module.publish does it for the meter's readings
        bus.publish("pub", "meter", "powermeter", METER, telemetry)
    bus.close(flush_timeout_s=120)  # returns once every value has left


# --- bare paho, for reference -----------------------------------------------------------------
def _client(url: str, name: str) -> paho.Client:
    host, port = parse_bus_url(url)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=name)
    client.on_socket_open = lambda _c, _u, sock: sock.setsockopt(6, 1, 1)  # TCP_NODELAY
    client.connect(host, port)
    return client


def echo_server(url: str) -> None:
    client = _client(url, "bare-echo")
    client.on_message = lambda c, _u, m: c.publish("bare/reply", m.payload, qos=1)
    client.subscribe("bare/request", qos=1)
    client.loop_forever()


def bare_round_trips(url: str, calls: int) -> list[float]:
    server = subprocess.Popen([sys.executable, __file__, "--role", "echo", "--bus", url])
    client = _client(url, "bare-caller")
    replied = threading.Event()
    client.on_message = lambda *_: replied.set()
    client.subscribe("bare/reply", qos=1)
    client.loop_start()
    samples: list[float] = []
    try:
        payload = json.dumps({"id": "x", "args": TOKEN, "origin": "bench"}).encode()
        for i in range(calls + 200):
            replied.clear()
            start = time.perf_counter()
            client.publish("bare/request", payload, qos=1)
            if not replied.wait(10):
                if i < 200:
                    continue  # the echo process may still be starting
                raise SystemExit("the bare echo process does not answer")
            if i >= 200:
                samples.append(time.perf_counter() - start)
        return samples
    finally:
        server.terminate()
        server.wait()
        client.loop_stop()


def bare_var_throughput(url: str, count: int) -> float:
    """The same readings, published and received by bare paho clients at QoS 0."""
    client = _client(url, "bare-sub")
    received: list[float] = []
    finished = threading.Event()

    def on_message(*_args: object) -> None:
        received.append(time.perf_counter())
        if len(received) == count:
            finished.set()

    client.on_message = on_message
    client.subscribe("bare/meter", qos=1)
    client.loop_start()
    publisher = subprocess.Popen([sys.executable, __file__, "--role", "bare-publisher",
                                  "--bus", url, "--vars", str(count)])
    try:
        if not finished.wait(300):
            raise SystemExit(f"bare subscriber got {len(received)} of {count}")
    finally:
        publisher.wait()
        client.loop_stop()
    return (count - 1) / (received[-1] - received[0])


def bare_publish(url: str, count: int) -> None:
    client = _client(url, "bare-pub")
    client.loop_start()
    time.sleep(0.5)
    payload = json.dumps(METER).encode()
    info = None
    for _ in range(count):
        info = client.publish("bare/meter", payload, qos=0)
    if info is not None:
        info.wait_for_publish(120)
    time.sleep(0.5)
    client.loop_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--vars", type=int, default=50000)
    parser.add_argument("--bus", default=None, help="mqtt://HOST:PORT (default: a private one)")
    parser.add_argument("--role", choices=["bench", "echo", "publisher", "bare-publisher"],
                        default="bench")
    args = parser.parse_args()
    if args.role == "echo":
        return echo_server(args.bus)
    if args.role == "publisher":
        return publish_vars(args.bus, args.vars)
    if args.role == "bare-publisher":
        return bare_publish(args.bus, args.vars)

    broker = None if args.bus else PrivateBroker().start()
    url = args.bus or broker.url
    try:
        bare = bare_round_trips(url, args.calls)
        ours = bus_round_trips(url, args.calls)
        bare_rate = bare_var_throughput(url, args.vars)
        rate = bus_var_throughput(url, args.vars)
    finally:
        if broker:
            broker.close()
    (b50, b99), (o50, o99) = percentiles(bare), percentiles(ours)
    print(f"command round trip over {args.calls} calls (QoS 1, TCP_NODELAY, Mosquitto)")
    print(f"  {'':22} {'p50':>9} {'p99':>9}")
    print(f"  {'bare paho loop':22} {b50 * 1e3:8.3f}ms {b99 * 1e3:8.3f}ms")
    print(f"  {'evbench MqttBus':22} {o50 * 1e3:8.3f}ms {o99 * 1e3:8.3f}ms")
    print(f"  {'ratio':22} {o50 / b50:8.2f}x  {o99 / b99:8.2f}x   (goal: p99 within 1.5x)")
    print(f"variable updates over {args.vars} powermeter readings, per second")
    print(f"  {'bare paho (QoS 0)':22} {bare_rate:9,.0f}")
    print(f"  {'evbench MqttBus':22} {rate:9,.0f}   (telemetry at QoS 0, schema-checked on "
          f"receipt; {rate / bare_rate:.2f}x bare; goal: 10,000)")


if __name__ == "__main__":
    main()
