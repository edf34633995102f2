"""Authorization of id tokens for the charge point: the backend when it is reachable, the local
list and the authorization cache when it is not (LocalAuthorizeOffline,
AllowOfflineTxForUnknownId, LocalPreAuthorize, AuthorizeRemoteTxRequests), and the tokens of
remote starts (type Central) it handed to the Auth module."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from charger.ocpp.smart_charging import parse_time

if TYPE_CHECKING:
    from charger.ocpp.base import OcppChargePoint

TOKEN_STATUSES = {"Accepted", "Blocked", "Expired", "Invalid", "Unknown"}


class Authorization:
    def __init__(self, cp: OcppChargePoint):
        self.cp = cp
        self.remote_tokens: dict[str, int] = {}  # Central tokens of remote starts -> connector
        self.token_types: dict[str, str] = {}  # id token -> our token type, as last presented

    def validate(self, provided_token: dict) -> Generator:
        """The auth_token_validator answer for a token."""
        cp, settings = self.cp, self.cp.settings
        token = provided_token["id_token"]
        self.token_types[token] = provided_token.get("type", "RFID")
        if provided_token.get("type") == "Central" and token in self.remote_tokens \
                and not settings["authorize_remote"]:
            return {"authorization_status": "Accepted", "reason": "remote start"}
        if cp.online:
            if settings["local_pre_authorize"]:
                local = self.local_status(token)
                if local == "Accepted":
                    return {"authorization_status": "Accepted", "reason": "local pre-authorize"}
            info = yield from cp.authorize_with_backend(provided_token)
            if info is not None:
                status = info.get("status", "Invalid")
                if settings["cache_enabled"]:
                    cp.store.set_auth_entry("cache", token, info)
                return _validation(status, "backend")
        if not settings["local_authorize_offline"]:
            return {"authorization_status": "Invalid", "reason": "backend unreachable"}
        local = self.local_status(token)
        if local is not None:
            return _validation(local, "local list or cache (offline)")
        if settings["allow_offline_unknown"]:
            return {"authorization_status": "Accepted", "reason": "offline, unknown id allowed"}
        return {"authorization_status": "Invalid", "reason": "offline and not known locally"}

    def local_status(self, token: str) -> str | None:
        for kind, enabled in (("local", self.cp.settings["local_list_enabled"]),
                              ("cache", self.cp.settings["cache_enabled"])):
            if not enabled:
                continue
            info = self.cp.store.auth_entry(kind, token)
            if info is None:
                continue
            status = info.get("status", "Invalid")
            expiry = info.get("expiryDate") or info.get("cacheExpiryDateTime")
            if status == "Accepted" and expiry:
                try:
                    if parse_time(expiry) <= self.cp.now_dt():
                        status = "Expired"
                except ValueError:
                    pass
            return status
        return None

    def local_list_version(self) -> int:
        return int(self.cp.store.get("local_list_version", 0))

    def send_local_list(self, version: int, full: bool, entries: dict[str, dict | None]) -> str:
        if not self.cp.settings["local_list_enabled"]:
            return "NotSupported" if self.cp.version == "1.6" else "Failed"
        if not full and version <= self.local_list_version():
            return "VersionMismatch"
        if full:
            self.cp.store.replace_auth("local", {t: i for t, i in entries.items() if i is not None})
        else:
            self.cp.store.update_auth("local", entries)
        self.cp.store.put("local_list_version", version)
        return "Accepted"


def _validation(status: str, reason: str) -> dict:
    if status in TOKEN_STATUSES:
        return {"authorization_status": status, "reason": reason}
    return {"authorization_status": "Invalid", "reason": f"{status} ({reason})"}
