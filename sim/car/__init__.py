"""The virtual EV: pilot network, on-board charger, battery, behaviours and car profiles."""

from sim.car.car import SimCar

__all__ = ["SimCar"]
