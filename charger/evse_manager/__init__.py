"""The EVSE manager: one connector's control-pilot state machine and charging session."""

from charger.evse_manager.module import EvseManager

__all__ = ["EvseManager"]
