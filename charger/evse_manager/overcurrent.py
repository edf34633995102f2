"""What the car may still draw: the offers of the last CAR_SETTLE_S, kept to judge over-current.

Pure bookkeeping with the time passed in: the manager notes every offer it makes and asks what
is allowed now, and when that allowance next drops (to re-check then).
"""

from __future__ import annotations

from charger.iec61851 import CAR_SETTLE_S


class OfferHistory:
    def __init__(self) -> None:
        self._offers: list[tuple[float, float]] = [(0.0, 0.0)]  # (since, amps offered)

    def note(self, now: float, amps: float) -> None:
        if amps != self._offers[-1][1]:
            self._offers.append((now, amps))

    def allowed(self, now: float) -> tuple[float, float | None]:
        """The highest offer of the last CAR_SETTLE_S (what the car may still be drawing), and
        when that allowance next drops (None: it is the offer now)."""
        # An offer stops counting CAR_SETTLE_S after the next one replaced it (computed the
        # same way as the drop time below, so a recheck at that time always finds it gone).
        while len(self._offers) > 1 and self._offers[1][0] + CAR_SETTLE_S <= now:
            self._offers.pop(0)
        allowed = max(amps for _, amps in self._offers)
        current = self._offers[-1][1]
        if allowed == current:
            return allowed, None
        # The allowance drops when the highest offer ends plus the car's settle time.
        index = max(range(len(self._offers)), key=lambda i: (self._offers[i][1], i))
        return allowed, self._offers[index + 1][0] + CAR_SETTLE_S
