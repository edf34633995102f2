"""The exceptions of the V2G codecs: every malformed input ends in one of these."""


class V2GError(ValueError):
    """Base of every error raised by charger.v2g."""


class V2GDecodeError(V2GError):
    """Bytes that are not a valid message: truncated, corrupted, or using an unsupported feature."""


class V2GEncodeError(V2GError):
    """A message that cannot be encoded: missing or unexpected content, or a value out of range."""


class V2GTPError(V2GDecodeError):
    """A V2GTP frame with a wrong version, payload type or length."""


class SDPError(V2GDecodeError):
    """An SDP request or response of the wrong size or with undefined field values."""
