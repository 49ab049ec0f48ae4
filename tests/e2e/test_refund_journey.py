"""The refund journey over real HTTP against `make run`'s defaults (see test_journeys): buy, capture,
refund part, refund the rest — the order ends `refunded` with two refund e-mails in the log, however
Stripe's webhooks for each refund arrive — then a dispute opened in the sandbox's dashboard reaches
the order and, without ADMIN_EMAIL, the log."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_journeys import (
    Service,
    checkout_and_pay,
    client,
    email_lines,
    eventually,
    find_price,
    order_in,
    run_env,
    sign_in,
)
from tests.support.service import free_port, service_process


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Service]:
    port = free_port()
    log_path = tmp_path / "service.log"
    with service_process(run_env(tmp_path, port, LOG_LEVEL="INFO"), port=port, log_path=log_path) as base:
        yield Service(base, log_path)


def all_delivered(base: str, *types: str) -> list[dict[str, Any]] | None:
    events = httpx.get(f"{base}/sandbox/events", timeout=10).json()["data"]
    seen = [e["type"] for e in events]
    done = all(seen.count(t) >= n for t, n in ((t, types.count(t)) for t in set(types)))
    return events if done and all(e["delivered"] for e in events) else None


def test_buyer_is_refunded_in_two_steps_around_a_dispute_and_hears_of_each_refund(shop: Service) -> None:
    base = shop.base
    buyer = client(base, sign_in(base, "user_refunded", "refunded@example.com"))
    _, price = find_price(buyer.get("/api/stripe/products").json()["products"], recurring=None)
    order_id = checkout_and_pay(buyer, base, price["id"])["order_id"]
    eventually(lambda: order_in(buyer, order_id, "authorized"), "the order to be authorized")
    admin = client(base, sign_in(base, "admin_demo", "admin@example.com", role="admin"))
    assert admin.post(f"/api/admin/orders/{order_id}/capture").status_code == 200
    total = price["unit_amount"]

    part = admin.post(f"/api/admin/orders/{order_id}/refund", json={"amount": 1000, "reason": "requested_by_customer"})
    assert part.status_code == 200, part.text
    assert (part.json()["status"], part.json()["amount_refunded"]) == ("captured", 1000)
    assert buyer.post(f"/api/admin/orders/{order_id}/refund").status_code == 403

    # The buyer disputes the rest with the bank: the sandbox's dashboard plays the card network.
    dashboard = f"{base}/sandbox/dashboard"
    opened = httpx.post(
        f"{dashboard}/payments/{part.json()['payment_intent_id']}/dispute", json={"reason": "duplicate"}
    )
    assert opened.status_code == 200, opened.text
    eventually(lambda: dispute_of(buyer, order_id, "needs_response"), "the dispute on the order")
    assert admin.post(f"/api/admin/orders/{order_id}/refund").status_code == 409  # the chargeback holds the money
    alert = [line for line in shop.log().splitlines() if f"Dispute opened on order {order_id}" in line]
    assert len(alert) == 1, alert  # no ADMIN_EMAIL: the log
    assert httpx.post(f"{dashboard}/disputes/{opened.json()['id']}/close", json={"outcome": "won"}).status_code == 200
    eventually(lambda: dispute_of(buyer, order_id, "won"), "the dispute won")

    rest = admin.post(f"/api/admin/orders/{order_id}/refund")
    assert rest.status_code == 200, rest.text
    assert (rest.json()["status"], rest.json()["amount_refunded"]) == ("refunded", total)

    # Stripe's own reports of both refunds (refund.created, charge.refunded) come after the answers.
    eventually(lambda: all_delivered(base, "refund.created", "refund.created"), "the refund webhooks")
    time.sleep(1.0)
    mine = buyer.get(f"/api/orders/{order_id}").json()
    assert (mine["status"], [r["amount"] for r in mine["refunds"]]) == ("refunded", [1000, total - 1000])
    refund_lines = [line for line in email_lines(shop, order_id) if "Your refund of" in line]
    assert len(refund_lines) == 2, refund_lines
    assert all("refunded@example.com" in line for line in refund_lines)


def dispute_of(api: httpx.Client, order_id: str, status: str) -> dict[str, Any] | None:
    dispute = api.get(f"/api/orders/{order_id}").json()["dispute"]
    return dispute if dispute and dispute["status"] == status else None
