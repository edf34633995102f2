"""A running station with the web API: ``evbench station`` in its own process, on the wall
clock, listening on a free port; tests talk to it over HTTP and WebSocket as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_STATION = ROOT / "scenarios" / "stations" / "ac-2-connectors-dashboard.yaml"
TOKEN = "test-token-1234"
START_S = 60.0  # wall seconds for the station to start (a loaded CI machine)


class RunningStation:
    def __init__(self, config: Path, bus: str = "inproc", factor: float = 0.1):
        env = {**os.environ, "EVBENCH_API_TOKEN": TOKEN}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "evbench.cli", "station", str(config), "--factor", str(factor),
             "--bus", bus, "--state-dir", str(config.parent / "state")],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.output: list[str] = []
        self._found = threading.Event()
        self.dashboard = ""
        threading.Thread(target=self._read, daemon=True).start()
        if not self._found.wait(START_S):
            self.stop()
            raise AssertionError("the station printed no dashboard address:\n" +
                                 "".join(self.output))
        self.base = self.dashboard.split("/#")[0]
        self.http = httpx.Client(base_url=self.base + "/api/v1", timeout=30,
                                 headers={"Authorization": f"Bearer {TOKEN}"})

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            match = re.search(r"dashboard at (\S+)", line)
            if match:
                self.dashboard = match.group(1)
                self._found.set()

    def post(self, path: str, body: dict | None = None) -> httpx.Response:
        return self.http.post(path, json=body)

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        response.raise_for_status()
        return response.json()

    def wait_for(self, check: Callable[[], Any], what: str, timeout_s: float = 60.0) -> Any:
        """Poll the API until ``check()`` is truthy (a condition, not a timing assertion)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"no {what} within {timeout_s:g} s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def station_file(tmp_path: Path, edit: Callable[[dict], None] | None = None) -> Path:
    """The shipped dashboard station on a free port, optionally edited."""
    doc = yaml.safe_load(DASHBOARD_STATION.read_text())
    doc["active_modules"]["api"]["config"]["port"] = 0
    if edit:
        edit(doc)
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture
def station(tmp_path: Path) -> Iterator[RunningStation]:
    running = RunningStation(station_file(tmp_path))
    try:
        yield running
    finally:
        running.stop()
