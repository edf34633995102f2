"""The station's web API and dashboard (module ``Api``)."""

from charger.api.module import Api

__all__ = ["Api"]
