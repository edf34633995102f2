"""MQTT bus speed: command round trips and variable throughput between two processes.

Both sides use the product's MqttBus (EVerest's envelope, schema checks included; paho's socket
driven from the simulation thread), next to a bare paho-mqtt request/response loop on the same
broker in the same run, in alternating rounds. Goals: p99 round trip within 1.5x of the bare
loop; at least 10,000 variable updates per second.

    .venv/bin/python benchmarks/bench_mqtt.py [--calls 5000] [--vars 50000] [--bus mqtt://...]
        [--rounds 10] [--realtime]

On a machine shared with other work, ``--realtime`` (root) keeps that work from preempting the
measured processes; without it, the p99 mostly measures the other work.
"""

from __future__ import annotations

import argparse
import json
import os
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


# --- command round trips: the product's bus and bare paho, in alternating rounds -------------
WARM_UP = 200  # calls per side before measuring: caches, connections, the server's start


class BusCaller:
    """Calls LocalAllowList.validate_token, served by its own module process."""

    def __init__(self, url: str):
        self.server = subprocess.Popen([sys.executable, "-m", "evbench.cli", "module",
                                        "allow_list", "--config", str(STATION), "--bus", url],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.env = WallClockEnvironment()
        self.bus = MqttBus(self.env, url, name="bench")
        self.bus.connect()
        if self.bus.wait_modules_ready({"allow_list"}, 30):
            raise SystemExit("the allow_list module process did not start")
        self.bus.announce_everest_ready(time.time())  # this script is the station's manager

    def round_trips(self, calls: int) -> list[float]:
        samples: list[float] = []

        def caller():
            for _ in range(calls):
                start = time.perf_counter()
                yield self.bus.call("bench", "allow_list", "main", "validate_token", TOKEN)
                samples.append(time.perf_counter() - start)

        self.env.run(until=self.env.process(caller()))
        return samples

    def close(self) -> None:
        self.server.terminate()
        self.server.wait()
        self.bus.announce_everest_ready(None)
        self.bus.close()


class BareCaller:
    """The same request and reply with bare paho clients: an echo process and a caller whose
    network thread wakes the main thread."""

    def __init__(self, url: str):
        self.server = subprocess.Popen([sys.executable, __file__, "--role", "echo", "--bus", url])
        self.client = _client(url, "bare-caller")
        self.replied = threading.Event()
        self.client.on_message = lambda *_: self.replied.set()
        self.client.subscribe("bare/reply", qos=1)
        self.client.loop_start()
        self.payload = json.dumps({"id": "x", "args": TOKEN, "origin": "bench"}).encode()
        for _ in range(100):  # until the echo process answers
            if self._once(1.0) is not None:
                return
        raise SystemExit("the bare echo process does not answer")

    def _once(self, timeout: float) -> float | None:
        self.replied.clear()
        start = time.perf_counter()
        self.client.publish("bare/request", self.payload, qos=1)
        if not self.replied.wait(timeout):
            return None
        return time.perf_counter() - start

    def round_trips(self, calls: int) -> list[float]:
        samples = [self._once(10) for _ in range(calls)]
        if None in samples:
            raise SystemExit("the bare echo process stopped answering")
        return samples

    def close(self) -> None:
        self.server.terminate()
        self.server.wait()
        self.client.loop_stop()


def round_trips(url: str, calls: int, rounds: int) -> tuple[list[float], list[float]]:
    """Both callers, alternating in ``rounds`` blocks, so that a change in the machine's load
    during the run weighs on both alike. Returns (bare, ours) samples."""
    bare, ours = BareCaller(url), BusCaller(url)
    try:
        bare.round_trips(WARM_UP)
        ours.round_trips(WARM_UP)
        bare_samples: list[float] = []
        our_samples: list[float] = []
        for index in range(rounds):
            block = calls // rounds + (1 if index < calls % rounds else 0)
            bare_samples += bare.round_trips(block)
            our_samples += ours.round_trips(block)
        return bare_samples, our_samples
    finally:
        ours.close()
        bare.close()


# --- variable throughput ----------------------------------------------------------------------
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
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating blocks of calls per side (default 10)")
    parser.add_argument("--realtime", action="store_true",
                        help="run this script, the broker and the servers under SCHED_FIFO "
                             "(root), so that other work on a shared machine does not preempt "
                             "them; both sides alike")
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

    if args.realtime:  # inherited by the broker and the server processes started below
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(20))
    broker = None if args.bus else PrivateBroker().start()
    url = args.bus or broker.url
    try:
        bare, ours = round_trips(url, args.calls, args.rounds)
        bare_rate = bare_var_throughput(url, args.vars)
        rate = bus_var_throughput(url, args.vars)
    finally:
        if broker:
            broker.close()
    (b50, b99), (o50, o99) = percentiles(bare), percentiles(ours)
    print(f"command round trip over {args.calls} calls per side in {args.rounds} alternating "
          f"rounds (QoS 1, TCP_NODELAY, Mosquitto{', SCHED_FIFO' if args.realtime else ''})")
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
