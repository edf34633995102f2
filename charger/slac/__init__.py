"""SLAC (ISO 15118-3): the frame codec (``frames``), the standard's timing table (``timing``),
the EVSE side as a module (``evse``) and a raw-socket transport for real interfaces
(``raw_ethernet``)."""
