"""ISO 15118-2 and DIN SPEC 70121 sessions: the SECC (charger side), the transports (an
in-process link on the virtual clock, IPv6 TCP and SDP on a real interface) and the standards'
timeouts. The car's side (EVCC) lives in ``sim.car.evcc`` and shares the engine and the links.
See docs/iso15118.md."""
