"""The demo store's pages through Litestar's test client: each page is served (in sandbox mode, at
the paths the service sends people to) with its script, and nothing in the store talks to anything
but the service's public API and the sandbox. What the pages show is checked in a real browser
(tests/e2e/test_store_in_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

import demo_store
from demo_store import FrontEndPaths, route_handlers, template_config
from entrypoints.http.app import create_app
from entrypoints.settings import load_settings

STORE_FILES = Path(demo_store.__file__).parent
PATHS = FrontEndPaths(checkout_success="/checkout/success", order="/orders/{order_id}")


@pytest.fixture(scope="module")
def store() -> Iterator[TestClient[Litestar]]:
    app = Litestar(route_handlers=route_handlers(PATHS), template_config=template_config())
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "title", "script"),
    [
        ("/sandbox", "Pricing", "pricing.js"),
        ("/sandbox/account", "Your account", "account.js"),
        ("/sandbox/admin", "Admin", "admin.js"),
        ("/checkout/success?session_id=cs_test_1", "Thank you", "success.js"),
        ("/orders/ord_1", "Your order", "order.js"),
    ],
)
def test_every_page_is_html_that_loads_its_script(
    store: TestClient[Litestar], path: str, title: str, script: str
) -> None:
    page = store.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"<title>{title} · Demo store</title>" in page.text
    assert f'<script type="module" src="/sandbox/assets/{script}">' in page.text
    assert store.get(f"/sandbox/assets/{script}").headers["content-type"].startswith("text/javascript")


def test_the_order_page_knows_its_order_and_where_order_pages_are(store: TestClient[Litestar]) -> None:
    page = store.get("/orders/ord_%3Cb%3E")
    assert 'data-order-id="ord_&lt;b&gt;"' in page.text
    assert 'data-order-url="/orders/{order_id}"' in page.text


def test_sign_in_and_the_clock_come_back_to_the_page_they_were_used_on(store: TestClient[Litestar]) -> None:
    page = store.get("/checkout/success?session_id=cs_test_1").text
    forms = re.findall(r'<input type="hidden" name="redirect" value="([^"]*)">', page)
    assert forms and set(forms) == {"/checkout/success?session_id=cs_test_1"}


def test_the_cancel_and_portal_return_urls_land_on_the_pricing_page(store: TestClient[Litestar]) -> None:
    landed = store.get("/", follow_redirects=False)
    assert landed.status_code == 303
    assert landed.headers["location"] == "/sandbox"


def test_the_store_talks_only_to_the_public_api_and_the_sandbox() -> None:
    """Every path a page or script names is the service's `/api/...` or the sandbox's `/sandbox...`
    (its own pages, assets, sign-in and clock); no other host is named, so no CDN either."""
    files = [p for p in STORE_FILES.rglob("*") if p.suffix in (".html", ".js", ".css")]
    assert {p.name for p in files} >= {"api.js", "pricing.js", "base.html", "store.css"}
    named: set[str] = set()
    for file in files:
        text = file.read_text()
        assert not re.search(r"\b(?:https?:)?//[a-z0-9.-]+\.[a-z]", text, re.IGNORECASE), file.name
        named.update(re.findall(r"""[`'"](/[^`'"\s]*)""", text))
    assert {"/api/stripe/products", "/api/stripe/checkout", "/api/me/billing", "/sandbox/sign-in"} <= named
    outside = sorted(p for p in named if not p.startswith(("/api/", "/sandbox")))
    assert outside == []


def sandbox_mode(tmp_path: Path, **env: str) -> TestClient[Litestar]:
    settings = load_settings({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", **env}, env_file=None)
    return TestClient(create_app(settings, sweep_effects=False))


def test_sandbox_mode_serves_the_pages_at_the_configured_success_and_order_urls(tmp_path: Path) -> None:
    configured = sandbox_mode(
        tmp_path,
        CHECKOUT_SUCCESS_URL="http://localhost:8000/thanks?session_id={CHECKOUT_SESSION_ID}",
        ORDER_URL="http://localhost:8000/account/orders/{order_id}?tab=items",
    )
    with configured as service:
        assert "Thank you" in service.get("/thanks?session_id=cs_test_1").text
        order = service.get("/account/orders/ord_1").text
        assert "Your order" in order and 'data-order-id="ord_1"' in order
        assert 'data-order-url="/account/orders/{order_id}"' in order
        assert service.get("/checkout/success").status_code == 404
        assert service.get("/orders/ord_1").status_code == 404
        assert "Pricing" in service.get("/sandbox").text


@pytest.mark.parametrize(
    "order_url", ["http://localhost:8000/api/orders/{order_id}", "http://localhost:8000/sandbox/orders/{order_id}"]
)
def test_an_order_url_the_store_cannot_serve_leaves_the_order_page_at_the_default_path(
    tmp_path: Path, order_url: str
) -> None:
    with sandbox_mode(tmp_path, ORDER_URL=order_url) as service:
        assert "Your order" in service.get("/orders/ord_1").text
        assert service.get("/api/orders/ord_1").headers["content-type"].startswith("application/problem+json")
