"""The web server on a thread of its own (uvicorn), listening on a socket bound before it
starts, so that a port already taken is reported at once and port 0 tells which it got."""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

import uvicorn

from charger.api.app import create_app
from charger.framework.errors import EvbenchError

if TYPE_CHECKING:
    from charger.api.module import Api

STOP_WAIT_S = 5.0


class ApiServer:
    def __init__(self, api: Api, host: str, port: int):
        self.api, self.host, self.port = api, host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Listen and serve; returns the base URL (http://HOST:PORT)."""
        try:
            sock = socket.create_server((self.host, self.port), reuse_port=False)
        except OSError as error:
            raise EvbenchError(f"{self.api.id}: cannot listen on {self.host}:{self.port}: "
                               f"{error.strerror or error}") from None
        port = sock.getsockname()[1]
        config = uvicorn.Config(create_app(self.api), log_level="warning", lifespan="off",
                                access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name=f"api-{self.api.id}", daemon=True)
        self._thread.start()
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_WAIT_S)
