"""End-to-end journeys over real HTTP against `make run`'s defaults.

Each journey starts a fresh service process with no Stripe, Clerk, Redis or SMTP settings: the
embedded Stripe sandbox serves the Stripe API and the pages, delivers signed webhooks to the
service's own `/api/webhooks/stripe`, and signs the demo sign-in tokens; the cache and the rate
limiter live in process and e-mails go to the log. Only `DATABASE_URL` (a fresh SQLite file), a
free `PORT` and the matching `APP_URL` are set. The tests drive it as a browser or a front end would.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.support.service import ROOT, clean_environ, free_port, service_process

POLL_SECONDS = 10.0
T = TypeVar("T")


@dataclass
class Service:
    base: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def run_env(tmp_path: Path, port: int, **extra: str) -> dict[str, str]:
    """What a journey sets: a fresh SQLite file in `tmp_path`, the port and the matching APP_URL."""
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "PORT": str(port),
        "APP_URL": f"http://127.0.0.1:{port}",
        **extra,
    }


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    port = free_port()
    env = run_env(tmp_path, port, LOG_LEVEL="INFO")  # `make run`'s default: the log e-mail sender writes at INFO
    log_path = tmp_path / "service.log"
    with service_process(env, port=port, log_path=log_path) as base:
        yield Service(base, log_path)


def eventually(probe: Callable[[], T | None], what: str, timeout: float = POLL_SECONDS) -> T:
    """Call `probe` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def client(base: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base, headers=headers, timeout=10)


def sign_in(base: str, user_id: str, email: str, role: str | None = None) -> str:
    body: dict[str, str] = {"user_id": user_id, "email": email}
    if role:
        body["role"] = role
    response = httpx.post(f"{base}/sandbox/sign-in", json=body, timeout=10)
    assert response.status_code == 200, response.text
    assert response.cookies.get("__session")
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


def find_price(products: list[dict[str, Any]], *, recurring: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    for product in products:
        for price in product["prices"]:
            if recurring is None and price["type"] == "one_time":
                return product, price
            if recurring is not None and price["interval"] == recurring:
                return product, price
    raise AssertionError(f"no {'one-time' if recurring is None else recurring} price in the catalog")


def checkout_and_pay(api: httpx.Client, base: str, price_id: str) -> dict[str, Any]:
    """POST the checkout, open the session URL as a browser would, press Pay; return the session."""
    response = api.post("/api/stripe/checkout", json={"price_id": price_id})
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    assert session["id"].startswith("cs_")
    assert session["url"].startswith(f"{base}/sandbox/checkout/")

    with httpx.Client(timeout=10) as browser:
        page = browser.get(session["url"])
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        action = re.search(r"<form method='post' action='([^']+/pay)'>", page.text)
        assert action, page.text
        paid = browser.post(f"{base}{action.group(1)}", follow_redirects=False)
        assert paid.status_code == 303, paid.text
        assert paid.headers["location"] == f"{base}/checkout/success?session_id={session['id']}"
        # in sandbox mode the demo store serves the success page
        landed = browser.get(paid.headers["location"])
        assert landed.status_code == 200
        assert landed.headers["content-type"].startswith("text/html")
    return session


def order_in(api: httpx.Client, order_id: str, status: str) -> dict[str, Any] | None:
    orders = api.get("/api/orders").json()["orders"]
    return next((o for o in orders if o["id"] == order_id and o["status"] == status), None)


def email_lines(service: Service, order_id: str) -> list[str]:
    return [line for line in service.log().splitlines() if "billing.email" in line and order_id in line]


def test_buyer_pays_admin_captures_one_confirmation_email(service: Service) -> None:
    base = service.base
    buyer = client(base, sign_in(base, "user_buyer", "buyer@example.com"))

    products = buyer.get("/api/stripe/products")
    assert products.status_code == 200
    product, price = find_price(products.json()["products"], recurring=None)

    session = checkout_and_pay(buyer, base, price["id"])
    assert session["mode"] == "payment"
    order_id = session["order_id"]
    assert order_id

    authorized = eventually(lambda: order_in(buyer, order_id, "authorized"), "the order to be authorized")
    assert authorized["checkout_session_id"] == session["id"]
    assert authorized["payment_intent_id"].startswith("pi_")
    assert authorized["amount_total"] == price["unit_amount"]
    assert authorized["items"][0]["product_id"] == product["id"]

    status = buyer.get(f"/api/stripe/checkout/{session['id']}")
    assert status.status_code == 200
    assert status.json()["status"] == "complete"
    assert status.json()["payment_status"] == "paid"
    assert status.json()["order"]["id"] == order_id
    assert status.json()["order"]["status"] == "authorized"

    admin = client(base, sign_in(base, "admin_demo", "admin@example.com", role="admin"))
    assert buyer.get("/api/admin/orders?status=authorized").status_code == 403
    queue = admin.get("/api/admin/orders", params={"status": "authorized"})
    assert queue.status_code == 200
    assert order_id in [o["id"] for o in queue.json()["orders"]]

    captured = admin.post(f"/api/admin/orders/{order_id}/capture")
    assert captured.status_code == 200, captured.text
    assert captured.json()["status"] == "captured"
    assert captured.json()["captured_at"]
    assert admin.post(f"/api/admin/orders/{order_id}/capture").status_code == 409

    assert buyer.get(f"/api/orders/{order_id}").json()["status"] == "captured"

    # The capture's own webhook (payment_intent.succeeded) arrives after the 200: wait until every
    # sandbox event is delivered, then a moment more, and count the confirmations.
    def all_delivered() -> list[dict[str, Any]] | None:
        events = httpx.get(f"{base}/sandbox/events", timeout=10).json()["data"]
        types = {e["type"] for e in events}
        done = "payment_intent.succeeded" in types and all(e["delivered"] for e in events)
        return events if done else None

    events = eventually(all_delivered, "every sandbox webhook to be delivered")
    eventually(lambda: email_lines(service, order_id), "the confirmation e-mail in the log")
    time.sleep(1.0)
    lines = email_lines(service, order_id)
    assert len(lines) == 1, lines
    assert "buyer@example.com" in lines[0]
    assert buyer.get(f"/api/orders/{order_id}").json()["status"] == "captured"

    types = [e["type"] for e in events]
    for expected in (
        "checkout.session.completed",
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
    ):
        assert expected in types, types
    assert all(e["last_status"] == 200 for e in events), events


def test_subscriber_cancels_at_period_end_and_loses_access(service: Service) -> None:
    base = service.base
    api = client(base, sign_in(base, "user_subscriber", "subscriber@example.com"))
    assert api.get("/api/me/billing").json()["entitlements"]["active"] is False

    product, price = find_price(api.get("/api/stripe/products").json()["products"], recurring="month")
    session = checkout_and_pay(api, base, price["id"])
    assert session["mode"] == "subscription"
    assert session["order_id"] is None

    def billing_where(check: Callable[[dict[str, Any]], bool]) -> Callable[[], dict[str, Any] | None]:
        def probe() -> dict[str, Any] | None:
            billing = api.get("/api/me/billing").json()
            return billing if check(billing) else None

        return probe

    billing = eventually(
        billing_where(lambda b: b["subscription"] is not None and b["subscription"]["status"] == "active"),
        "an active subscription",
    )
    assert billing["stripe_customer_id"].startswith("cus_")
    assert billing["subscription"]["plan_key"] == product["plan_key"]
    assert billing["subscription"]["price_id"] == price["id"]
    assert billing["subscription"]["cancel_at_period_end"] is False
    assert billing["entitlements"] == {"plan_key": product["plan_key"], "active": True, "limits": product["limits"]}

    # A second subscription while one is active: refused, pointing to the portal.
    assert api.post("/api/stripe/checkout", json={"price_id": price["id"]}).status_code == 409

    portal = api.post("/api/stripe/portal", headers={"Accept": "application/json"})
    assert portal.status_code == 200, portal.text
    url = portal.json()["url"]
    assert url.startswith(f"{base}/sandbox/portal/")
    with httpx.Client(timeout=10) as browser:
        page = browser.get(url)
        assert page.status_code == 200
        action = re.search(r"<form method='post' action='([^']+/cancel_at_period_end)'>", page.text)
        assert action, page.text
        done = browser.post(f"{base}{action.group(1)}", follow_redirects=False)
    assert done.status_code == 303, done.text

    billing = eventually(
        billing_where(lambda b: b["subscription"]["cancel_at_period_end"] is True),
        "cancel_at_period_end on the subscription",
    )
    assert billing["subscription"]["status"] == "active"
    assert billing["subscription"]["cancel_at"] is not None
    assert billing["entitlements"]["active"] is True

    advanced = httpx.post(f"{base}/sandbox/clock/advance", json={"days": 40}, timeout=10)
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["ended"]

    billing = eventually(
        billing_where(lambda b: b["entitlements"]["active"] is False), "the subscription to end", timeout=15
    )
    assert billing["subscription"]["status"] == "canceled"
    assert billing["subscription"]["canceled_at"] is not None


def test_hold_older_than_seven_days_lapses(service: Service) -> None:
    base = service.base
    api = client(base, sign_in(base, "user_lapse", "lapse@example.com"))
    _, price = find_price(api.get("/api/stripe/products").json()["products"], recurring=None)
    session = checkout_and_pay(api, base, price["id"])
    order_id = session["order_id"]
    eventually(lambda: order_in(api, order_id, "authorized"), "the order to be authorized")

    advanced = httpx.post(f"{base}/sandbox/clock/advance", json={"days": 8}, timeout=10)
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["lapsed"]

    canceled = eventually(lambda: order_in(api, order_id, "canceled"), "the lapsed hold to cancel the order")
    assert canceled["cancellation_reason"] == "automatic"
    assert canceled["canceled_at"] is not None
    assert canceled["captured_at"] is None
    assert email_lines(service, order_id) == []


def test_a_restart_keeps_the_sandbox_account(tmp_path: Path) -> None:
    """The database outlives a restart of `make run`; so must the Stripe ids it holds."""
    port = free_port()
    env = run_env(tmp_path, port)
    with service_process(env, port=port, log_path=tmp_path / "first.log") as base:
        api = client(base, sign_in(base, "user_returning", "returning@example.com"))
        _, price = find_price(api.get("/api/stripe/products").json()["products"], recurring="month")
        checkout_and_pay(api, base, price["id"])
        before = eventually(
            lambda: (b := api.get("/api/me/billing").json())["entitlements"]["active"] and b, "an active subscription"
        )
    assert (tmp_path / "app.sandbox.json").exists()

    with service_process(env, port=port, log_path=tmp_path / "second.log") as base:
        api = client(base, sign_in(base, "user_returning", "returning@example.com"))  # a new sandbox key
        assert api.get("/api/me/billing").json() == before
        portal = api.post("/api/stripe/portal", headers={"Accept": "application/json"})
        assert portal.status_code == 200, portal.text
        with httpx.Client(timeout=10) as browser:
            assert before["subscription"]["id"] in browser.get(portal.json()["url"]).text
        _, one_time = find_price(api.get("/api/stripe/products").json()["products"], recurring=None)
        assert api.post("/api/stripe/checkout", json={"price_id": one_time["id"]}).status_code == 200


def test_no_sandbox_with_a_real_stripe_key(tmp_path: Path) -> None:
    from sandbox import Sandbox

    port = free_port()
    env = run_env(
        tmp_path,
        port,
        STRIPE_SECRET_KEY="sk_test_x",
        STRIPE_WEBHOOK_SECRET="whsec_x",
        STRIPE_API_BASE=f"http://127.0.0.1:{free_port()}",  # nothing listens there
    )
    with service_process(env, port=port, log_path=tmp_path / "service.log") as base:
        assert httpx.get(f"{base}/sandbox", timeout=10).status_code == 404
        assert httpx.get(f"{base}/sandbox/", timeout=10).status_code == 404
        signed_in = httpx.post(f"{base}/sandbox/sign-in", json={"user_id": "u", "email": "u@example.com"}, timeout=10)
        assert signed_in.status_code == 404
        assert httpx.get(f"{base}/sandbox/stripe/v1/products", timeout=10).status_code == 404
        for page in ("/checkout/success", "/orders/ord_1", "/", "/sandbox/account", "/sandbox/assets/api.js"):
            assert httpx.get(f"{base}{page}", timeout=10).status_code == 404, page

        # A token signed the way the sandbox signs, with a sandbox's key, is not trusted.
        token = Sandbox(public_url=base, seed=False).signer.sign("user_x", "x@example.com", role="admin")
        for path in ("/api/me/billing", "/api/admin/orders"):
            refused = httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert refused.status_code == 401, (path, refused.text)
            assert refused.headers["content-type"].startswith("application/problem+json")


def test_sandbox_mode_refuses_several_workers(tmp_path: Path) -> None:
    """Each worker would hold its own in-memory sandbox, signing with keys the others do not trust."""
    env = clean_environ()
    env.update({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "PORT": str(free_port())})
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "serve", "--workers", "2"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: --workers: the embedded Stripe sandbox")


REFUSED = [
    ({"STRIPE_SECRET_KEY": "sk_test_x"}, "STRIPE_WEBHOOK_SECRET"),
    ({"HOST": "0.0.0.0"}, "HOST"),
    ({"HOST": "192.168.1.20"}, "HOST"),
    ({"HOST": "shop.example.com"}, "HOST"),
]


@pytest.mark.parametrize(("extra", "variable"), REFUSED, ids=[v + "=" + ",".join(e.values()) for e, v in REFUSED])
def test_serve_refuses_an_unsafe_configuration_in_one_line_naming_the_variable(
    tmp_path: Path, extra: dict[str, str], variable: str
) -> None:
    """Contract §2: a real key without a webhook secret would refuse every webhook; the sandbox signs
    admin tokens the service trusts, so it never listens beyond the machine."""
    env = clean_environ()
    env.update({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", "PORT": str(free_port()), **extra})
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "serve"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]  # one line
    assert done.stderr.startswith(f"error: {variable}: ")
    assert not (tmp_path / "app.db").exists()  # refused before migrating anything
