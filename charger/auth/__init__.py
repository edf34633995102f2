"""Authorization: the manager that matches tokens to connectors, and token validators."""

from charger.auth.auth import Auth

__all__ = ["Auth"]
