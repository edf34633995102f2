"""The three V2G message sets by short key ("app", "din", "iso2") or by their namespace URN."""

from __future__ import annotations

from charger.v2g import app_protocol, din, iso2
from charger.v2g.errors import V2GError
from charger.v2g.schema import Schema

SCHEMAS: dict[str, Schema] = {
    "app": app_protocol.SCHEMA,
    "din": din.SCHEMA,
    "iso2": iso2.SCHEMA,
}

KEY_OF_URN: dict[str, str] = {schema.namespace: key for key, schema in SCHEMAS.items()}


def schema_of(namespace: str) -> Schema:
    """Accept "app", "din", "iso2" or the namespace URN the SupportedAppProtocol exchange names."""
    schema = SCHEMAS.get(namespace)
    if schema is None:
        key = KEY_OF_URN.get(namespace)
        if key is None:
            raise V2GError(f"unknown V2G namespace {namespace!r}; expected one of "
                           f"{sorted(SCHEMAS)} or {sorted(KEY_OF_URN)}")
        schema = SCHEMAS[key]
    return schema
