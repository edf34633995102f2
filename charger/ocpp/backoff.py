"""The reconnection back-off of OCPP 2.0.1 (OCPPCommCtrlr.RetryBackOff*), also used for 1.6.

After a connection loss the charge point waits ``RetryBackOffWaitMinimum`` plus a random part of
at most ``RetryBackOffRandomRange`` before the first attempt. Each further attempt doubles the
previous wait and adds a new random part, ``RetryBackOffRepeatTimes`` times; after that it keeps
the last wait. The random parts spread the reconnections of many charge points after an outage of
their backend.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryBackOff:
    wait_minimum_s: float = 3.0
    random_range_s: float = 2.0
    repeat_times: int = 5

    @classmethod
    def from_dict(cls, values: dict) -> RetryBackOff:
        default = cls()
        return cls(float(values.get("wait_minimum_s", default.wait_minimum_s)),
                   float(values.get("random_range_s", default.random_range_s)),
                   int(values.get("repeat_times", default.repeat_times)))

    def as_dict(self) -> dict:
        return {"wait_minimum_s": self.wait_minimum_s, "random_range_s": self.random_range_s,
                "repeat_times": self.repeat_times}

    def next_wait(self, previous: float | None, retry: int, rng: random.Random) -> float:
        """The wait before reconnection attempt ``retry`` (0: the first after a loss), given the
        previous wait (None for the first)."""
        if previous is None:
            return self.wait_minimum_s + rng.uniform(0.0, self.random_range_s)
        if retry > self.repeat_times:
            return previous
        return 2 * previous + rng.uniform(0.0, self.random_range_s)
