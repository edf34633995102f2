"""What a client may ask of a connector: one table, read by the web routes, the dashboard's
buttons and docs/api.md. Each action is one command of a module wired beside the connector."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field


class FaultBody(BaseModel):
    """A car-side fault to inject or remove (simulated world)."""

    fault: Literal["diode_fail", "error_e", "ventilation"]
    active: bool = True


class LimitBody(BaseModel):
    """A current limit per phase for the connector; null removes it."""

    max_current_a: float | None = Field(ge=0)


class SwipeBody(BaseModel):
    """A card held to a simulated reader."""

    id_token: str = Field(min_length=1, max_length=64)


class GridBody(BaseModel):
    """A change of the simulated supply; omitted fields keep their value."""

    voltage_v: float | None = Field(default=None, ge=0)
    frequency_hz: float | None = Field(default=None, ge=0)
    max_current_a: float | None = Field(default=None, ge=0)
    available: bool | None = None


@dataclass(frozen=True)
class Action:
    name: str  # POST /api/v1/connectors/{n}/{name}
    requirement: Literal["evse_manager", "car"]  # which module beside the connector
    cmd: str
    description: str
    fixed: dict[str, Any] = field(default_factory=dict)  # arguments the action always passes
    body: type[BaseModel] | None = None  # arguments the client passes

    @property
    def simulated(self) -> bool:
        """Only in a simulated world (a car module stands beside the connector)."""
        return self.requirement == "car"


ACTIONS: tuple[Action, ...] = (
    Action("enable", "evse_manager", "enable_disable", "Make the connector available.",
           {"enable": True}),
    Action("disable", "evse_manager", "enable_disable", "Make the connector unavailable.",
           {"enable": False}),
    Action("pause", "evse_manager", "pause_charging", "Pause charging from the charger's side."),
    Action("resume", "evse_manager", "resume_charging", "Resume charging paused by the charger."),
    Action("stop", "evse_manager", "stop_transaction",
           "Stop the transaction (the car stays plugged in).", {"reason": "Remote"}),
    Action("plug_in", "car", "plug_in", "Plug the simulated car in."),
    Action("unplug", "car", "unplug", "Unplug the simulated car."),
    Action("fault", "car", "set_fault", "Inject or remove a fault of the simulated car.",
           body=FaultBody),
)
ACTION_NAMES = {action.name: action for action in ACTIONS}
