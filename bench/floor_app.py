"""A trivial FastAPI app doing only the JSON floor (bench/floor.py) on the service's routes.

`run.py --http-floor` serves it with uvicorn exactly like the service (same pinning, same load) so the
service can be compared with "FastAPI + uvicorn + orjson and nothing else" on this machine:

    python -m uvicorn floor_app:create_app --factory --app-dir bench --port 9191
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from floor import floor_transform

JSON_TYPE = "application/json; charset=utf-8"


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/v0/destinations/{destination}")
    async def processor(destination: str, request: Request) -> Response:
        return Response(floor_transform(await request.body()), media_type=JSON_TYPE)

    @app.post("/routerTransform")
    async def router(request: Request) -> Response:
        return Response(floor_transform(await request.body()), media_type=JSON_TYPE)

    return app
