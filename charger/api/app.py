"""The web application: REST routes, the WebSocket stream and the dashboard page (FastAPI).

Every route reads or acts through the Api module on the simulation thread, and every route but
the page itself needs the bearer token. The OpenAPI description FastAPI derives from these
routes is kept in docs/api-openapi.json (``python -m charger.api.openapi --write``).
"""

# No "from __future__ import annotations": FastAPI reads the route functions' annotations,
# some of which name local objects (the bearer scheme, an action's body model).
import asyncio
import json
import secrets
from importlib.resources import files
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from charger.api.actions import ACTIONS, Action, GridBody, LimitBody, SwipeBody
from charger.api.bridge import ApiError
from charger.framework.bus import CommandError

if TYPE_CHECKING:
    from charger.api.module import Api

API_VERSION = "1"


class Connector(BaseModel):
    connector: int
    module: str
    state: str
    enabled: bool
    session: dict[str, Any] | None
    limits: dict[str, Any] | None
    meter: dict[str, Any] | None
    ev: dict[str, Any] | None
    errors: list[dict[str, Any]]
    simulated: dict[str, bool]


class Status(BaseModel):
    t: float  # simulated seconds since the station started
    connectors: list[Connector]
    grid: dict[str, Any] | None  # what was last set on the simulated supply
    energy: dict[str, Any]
    readers: int  # simulated RFID readers (POST /readers/{n}/swipe)
    simulated_grid: bool


class Sessions(BaseModel):
    running: list[dict[str, Any]]
    finished: list[dict[str, Any]]


class Reply(BaseModel):
    """What the command behind an action answered."""

    result: Any


class Failure(BaseModel):
    detail: Any


ERRORS = {401: {"model": Failure, "description": "no or a wrong bearer token"},
          404: {"model": Failure, "description": "no such connector or reader"},
          409: {"model": Failure, "description": "the station lacks the part this needs"},
          502: {"model": Failure, "description": "the module refused or failed the command"}}


def create_app(api: "Api") -> FastAPI:
    app = FastAPI(title="evbench station API", version=API_VERSION,
                  description="A running station: its connectors, sessions, errors, meters and "
                  "energy tree, commands, and in a simulated world the car, reader and grid.")
    bearer = HTTPBearer(auto_error=False)

    def authorized(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if credentials is None or not _same(credentials.credentials, api.token):
            raise HTTPException(401, "a valid bearer token is needed",
                                headers={"WWW-Authenticate": "Bearer"})

    router = APIRouter(prefix="/api/v1", dependencies=[Depends(authorized)], responses=ERRORS)

    async def on_simulation(action: Any) -> Any:
        try:
            return await asyncio.wrap_future(api.ask(action))
        except ApiError as error:
            raise HTTPException(error.status, str(error)) from None
        except CommandError as error:
            raise HTTPException(502, error.to_json()) from None

    @router.get("/status", response_model=Status, summary="Every connector, the grid, the "
                "energy tree")
    async def status() -> Any:
        return await on_simulation(api.snapshot)

    @router.get("/connectors", response_model=list[Connector])
    async def connectors() -> Any:
        return (await on_simulation(api.snapshot))["connectors"]

    @router.get("/connectors/{connector}", response_model=Connector)
    async def connector(connector: int) -> Any:
        return await on_simulation(lambda: api.connector(connector).as_dict())

    @router.get("/sessions", response_model=Sessions, summary="Running and finished sessions")
    async def sessions() -> Any:
        def collect() -> dict:
            running = [{**c.session, "connector": c.connector}
                       for c in api.view.connectors.values() if c.session]
            return {"running": running, "finished": list(api.view.finished)}
        return await on_simulation(collect)

    @router.get("/errors", summary="Active errors of every connector")
    async def errors() -> list[dict[str, Any]]:
        return await on_simulation(lambda: [
            {**error, "connector": c.connector} for c in api.view.connectors.values()
            for error in c.as_dict()["errors"]])

    @router.get("/meters", summary="The last meter reading of every connector")
    async def meters() -> list[dict[str, Any]]:
        return await on_simulation(lambda: [
            {"connector": c.connector, "meter": c.meter} for c in api.view.connectors.values()])

    @router.get("/energy", summary="The last request of every energy-tree node")
    async def energy() -> dict[str, Any]:
        return await on_simulation(lambda: dict(api.view.energy))

    @router.get("/history", summary="Telemetry for plots: columns t, connector, current_a, "
                "power_w, soc_pct")
    async def history() -> dict[str, list]:
        return await on_simulation(api.view.history)

    @router.get("/events", summary="Recent events, oldest first")
    async def events(limit: int = 100) -> list[dict[str, Any]]:
        return await on_simulation(lambda: list(api.view.events)[-max(0, limit):])

    for action in ACTIONS:
        _add_action(router, action, api, on_simulation)

    @router.post("/connectors/{connector}/limit", summary="Set or remove the connector's "
                 "current limit (takes effect where external_limits is connected to the API)")
    async def limit(connector: int, body: LimitBody) -> dict[str, Any]:
        return await on_simulation(lambda: api.set_limit(connector, body.max_current_a))

    @router.post("/readers/{reader}/swipe", response_model=Reply,
                 summary="Hold a card to a simulated reader")
    async def swipe(reader: int, body: SwipeBody) -> Any:
        return {"result": await on_simulation(lambda: api.swipe(reader, body.id_token))}

    @router.post("/grid", response_model=Reply, summary="Change the simulated supply")
    async def grid(body: GridBody) -> Any:
        return {"result": await on_simulation(lambda: api.set_grid(body.model_dump()))}

    app.include_router(router)

    @app.websocket("/api/v1/stream")
    async def stream(websocket: WebSocket) -> None:
        """Events and telemetry as JSON, after a first ``snapshot``; the token comes as the
        ``token`` query parameter (browsers cannot set headers on a WebSocket)."""
        token = websocket.query_params.get("token", "")
        if not _same(token, api.token):
            await websocket.close(code=1008, reason="a valid token is needed")
            return
        await websocket.accept()
        client, queue = api.hub.join()
        try:
            first = await asyncio.wrap_future(api.ask(api.snapshot))
            await websocket.send_text(json.dumps({"kind": "snapshot", "value": first}))
            while True:
                await websocket.send_text(json.dumps(await queue.get()))
        except WebSocketDisconnect:
            pass
        finally:
            api.hub.leave(client)

    page = _dashboard_page()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard() -> str:
        return page

    plotly_js = _plotly_js()

    @app.get("/assets/plotly.min.js", include_in_schema=False)
    async def plotly() -> Response:
        return Response(plotly_js, media_type="text/javascript",
                        headers={"Cache-Control": "max-age=86400"})

    return app


def _add_action(router: APIRouter, action: Action, api: "Api", on_simulation: Any) -> None:
    path = f"/connectors/{{connector}}/{action.name}"
    summary = action.description + (" (simulated world)" if action.simulated else "")

    if action.body is None:
        async def act(connector: int) -> Any:
            return {"result": await on_simulation(lambda: api.act(connector, action.name, {}))}
    else:
        body_model = action.body

        async def act(connector: int, body: body_model) -> Any:  # type: ignore[valid-type]
            args = body.model_dump()
            return {"result": await on_simulation(lambda: api.act(connector, action.name, args))}

    router.add_api_route(path, act, methods=["POST"], response_model=Reply, summary=summary,
                         name=action.name)


def _same(given: str, token: str) -> bool:
    """A constant-time comparison that any text can take (compare_digest refuses non-ASCII
    strings)."""
    return secrets.compare_digest(given.encode(), token.encode())


def _dashboard_page() -> str:
    template = files("charger.api").joinpath("dashboard.html").read_text(encoding="utf-8")
    actions = [{"name": a.name, "label": a.name.replace("_", " "), "simulated": a.simulated,
                "body": a.body is not None} for a in ACTIONS]
    return template.replace("/*ACTIONS*/[]", json.dumps(actions))


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()
