"""/docs and /redoc work without internet access (issue: offline docs): every script, style and
icon they load is served by this service, and a real browser that can reach nothing else renders
them (Debian's chromium, headless)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gainsight_transformer.app import create_app
from support.processes import start_service, stop

_REFERENCES = re.compile(r"""(?:src|href|spec-url)="([^"]*)"|url: '([^']*)'""")


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_a_doc_page_loads_only_what_this_service_answers(client: TestClient, page: str) -> None:
    html = client.get(page)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    urls = [a or b for a, b in _REFERENCES.findall(html.text)]
    assert len(urls) >= 3 and "/openapi.json" in urls  # a script, an icon, the document...
    assert not re.search(r"https?://|//[a-z]", html.text.replace("window.location.origin", "")), html.text
    for url in urls:
        assert url.startswith("/"), url
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.content, url


def test_the_assets_have_their_types(client: TestClient) -> None:
    types = {
        "/docs-assets/swagger-ui-bundle.js": "text/javascript",
        "/docs-assets/swagger-ui.css": "text/css",
        "/docs-assets/redoc.standalone.js": "text/javascript",
        "/docs-assets/favicon.png": "image/png",
    }
    for path, kind in types.items():
        assert client.get(path).headers["content-type"].startswith(kind), path
    assert client.get("/docs-assets/../app.py").status_code == 404


def test_behind_a_root_path_the_pages_point_under_it() -> None:
    with TestClient(create_app(), root_path="/transformer") as client:
        html = client.get("/docs").text
    assert (
        "/transformer/docs-assets/swagger-ui-bundle.js" in html and "url: '/transformer/openapi.json'" in html
    )


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)")
    return found


def _rendered(url: str) -> str:
    """The page's DOM after its scripts ran, in a headless browser that can resolve no host but
    127.0.0.1 (so a CDN reference would leave the page blank)."""
    done = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--virtual-time-budget=15000",
         "--dump-dom", url],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def service() -> Iterator[str]:
    _chromium()
    url, process = start_service()
    try:
        yield url
    finally:
        stop(process)


def test_swagger_ui_renders_the_operations_offline(service: str) -> None:
    dom = _rendered(service + "/docs")
    assert dom.count('class="opblock-tag') >= 3  # the operation groups, drawn by Swagger UI
    assert "/routerTransform" in dom and "/v0/destinations/{destination}" in dom


def test_redoc_renders_the_operations_offline(service: str) -> None:
    dom = _rendered(service + "/redoc")
    assert dom.count('id="operation/') >= 10  # one section per operation, drawn by ReDoc
    assert "/routerTransform" in dom
