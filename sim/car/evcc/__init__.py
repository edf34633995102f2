"""The car's side of ISO 15118-2 and DIN SPEC 70121: the EVCC (see docs/iso15118.md)."""

from sim.car.evcc.boundary import EVCC_EVENTS, EvccConfig, EvStatus
from sim.car.evcc.evcc import Evcc, EvccSession

__all__ = ["EVCC_EVENTS", "Evcc", "EvccConfig", "EvccSession", "EvStatus"]
