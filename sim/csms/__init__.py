"""A simulated OCPP backend (CSMS) for the simulated world."""

from sim.csms.csms import SimCsms

__all__ = ["SimCsms"]
