"""V2G communication: EXI codec for SupportedAppProtocol, DIN SPEC 70121 and ISO 15118-2,
V2GTP framing and SDP."""
