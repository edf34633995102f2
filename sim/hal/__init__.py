"""Simulated hardware: the board (pilot, relays, RCD, meter, lock) and an RFID reader.

These modules provide the same interfaces a bench rig's drivers provide (``hil/``), so a station
swaps one for the other in its configuration and nothing else changes.
"""
