"""OCPP: charge points for OCPP 1.6J (:class:`~charger.ocpp.v16.Ocpp16`) and 2.0.1
(:class:`~charger.ocpp.v201.Ocpp201`), and the WebSocket link to a real backend
(:class:`~charger.ocpp.websocket_link.OcppWebSocketLink`)."""
