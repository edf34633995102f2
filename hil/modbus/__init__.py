"""Power meters over Modbus TCP and RTU (pymodbus): register maps as data files
(``maps/*.yaml``, docs/hardware-backends.md), the ``ModbusMeter`` module, and an emulator."""
