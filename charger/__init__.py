"""The charger stack: the module framework and the charger modules that run on it."""
