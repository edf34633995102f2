"""The simulated world: the hardware the charger drives, the car, the grid, an OCPP backend."""
