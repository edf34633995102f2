"""Hardware in the loop: HAL backends that drive a real bench rig.

A bench backend is an ordinary module that provides the same HAL interfaces as ``sim/hal``
(``evse_board_support``, ``ac_rcd``, ``connector_lock``, ``powermeter``, ...), speaking the
device's real wire protocol over serial, CAN, Modbus or raw Ethernet. A station switches from
the simulated world to the bench by naming a different module for those interfaces in its
configuration; the charger modules do not change. See docs/hardware-backends.md.
"""
