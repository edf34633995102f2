"""The library of car profiles shipped in ``profiles.yaml``."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

PROFILE_FILE = Path(__file__).with_name("profiles.yaml")
PROFILE_KEYS = ("phases", "max_current_a", "battery_kwh", "cv_start_soc_pct", "efficiency")


@cache
def car_profiles() -> dict[str, dict]:
    return yaml.safe_load(PROFILE_FILE.read_text(encoding="utf-8"))
