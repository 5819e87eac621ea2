"""`/docs` (Swagger UI) and `/redoc` served with their scripts and styles from this service.

FastAPI's default pages load them from a public CDN, which leaves a blank page in a cluster
without internet access. The files come from the `fastapi-offline` package (its copies of
Swagger UI and ReDoc); the pages are FastAPI's own, pointed at them (FastAPI's self-hosting
recipe) and without Google Fonts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs-assets"
SWAGGER_PATH = "/docs"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"
REDOC_PATH = "/redoc"


def assets_directory() -> Path:
    return Path(str(files("fastapi_offline") / "static"))


def add_doc_pages(app: FastAPI) -> None:
    """Mount the assets and add the two pages (create the app with `docs_url=None, redoc_url=None`)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=assets_directory()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    def swagger_html(root: str) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_PATH,
        )

    def redoc_html(root: str) -> HTMLResponse:
        assets, spec, title = root + ASSETS_PATH, root + openapi_url, f"{app.title} - ReDoc"
        js, icon = f"{assets}/redoc.standalone.js", f"{assets}/favicon.png"
        # No Google Fonts: the page must not reach outside the service.
        return get_redoc_html(
            openapi_url=spec, title=title, redoc_js_url=js, redoc_favicon_url=icon, with_google_fonts=False
        )

    def endpoint(render: Callable[[str], HTMLResponse]) -> Callable[[Request], Awaitable[HTMLResponse]]:
        async def page(request: Request) -> HTMLResponse:
            return render(request.scope.get("root_path", ""))

        return page

    app.add_api_route(SWAGGER_PATH, endpoint(swagger_html), methods=["GET"], include_in_schema=False)
    app.add_api_route(REDOC_PATH, endpoint(redoc_html), methods=["GET"], include_in_schema=False)

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
