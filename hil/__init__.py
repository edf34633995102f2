"""Hardware in the loop: HAL backends that drive a real bench rig.

A bench backend is an ordinary module that provides the same HAL interfaces as ``sim/hal``
(``evse_board_support``, ``ac_rcd``, ``connector_lock``, ``powermeter``, ...), speaking the
device's real wire protocol. A station switches from the simulated world to the bench by naming
a different module for those interfaces, which a rig file does (``hil/rig.py``); the charger
modules do not change.

- ``device.py``: the device layer every backend stands on (I/O threads, requests as simpy
  events, reconnection, lost-device detection, probes, shared transports);
- ``board/``: the open charger board over serial; ``modbus/``: Modbus power meters;
- ``emulators/``: the devices emulated over ptys and TCP, driven by ``sim.hal.plug``;
- ``backends.py``, ``rig.py``, ``commands.py``: backends by name, rig files, ``evbench rig``.

See docs/hardware-backends.md, docs/rig.md and docs/board-protocol.md.
"""
