"""The simulated world: the hardware the charger drives (hal), the car, the grid, scenarios."""
