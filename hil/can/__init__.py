"""DC power modules over CAN: InfyPower and Winline protocols and a generic DBC-driven one, each
a mapping file over a DBC (``dbc/``), a pure codec (cantools), a channel device (python-can),
the power_supply_DC backends, their emulators and rig backends. See docs/can-power-modules.md."""
