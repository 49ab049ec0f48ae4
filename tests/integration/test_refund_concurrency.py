"""Real concurrency on PostgreSQL: two service processes share one database and one Redis, the
sandbox as their Stripe server and aiosmtpd as their mail server. A refund and a dispute made in
the Dashboard, each reported by several events delivered several times to both processes at once,
are recorded once, with one e-mail to the buyer and one alert to the operator."""

from __future__ import annotations

import httpx
import pytest

from adapters.persistence.migrate import upgrade_async
from sandbox import Sandbox, run_in_thread
from tests.integration.http_support import price_id
from tests.integration.test_webhook_concurrency import _one_event, _stored_events, _storm, two_services
from tests.integration.webhook_support import WEBHOOK_SECRET, smtp_server
from tests.support.tokens import shared_minter

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

BUYER = "user_refund_racer"
BUYER_EMAIL = "refund.racer@buyers.example"
ADMIN = "ops@shop.example"


async def test_a_refund_and_a_dispute_reported_many_times_to_two_processes_email_once_each(
    postgres_url: str, redis_url: str
) -> None:
    await upgrade_async(postgres_url)
    minter = shared_minter()
    sb = Sandbox(webhook_url=None)  # we deliver the events ourselves, all at once
    starter = price_id(sb, "starter_template")
    with run_in_thread(sb) as stripe_url, smtp_server() as (inbox, smtp_url):
        env = {
            "DATABASE_URL": postgres_url,
            "REDIS_URL": redis_url,
            "STRIPE_SECRET_KEY": sb.secret_key,
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CLERK_JWT_KEY": minter.public_pem,
            "SMTP_URL": smtp_url,
            "ORDER_CAPTURE": "auto",
            "APP_URL": "https://shop.example",
            "ADMIN_EMAIL": ADMIN,
        }
        with two_services(env) as bases:
            auth = minter.headers(BUYER, email=BUYER_EMAIL)
            async with httpx.AsyncClient(timeout=30) as client:
                started = await client.post(f"{bases[0]}/api/stripe/checkout", json={"price_id": starter}, headers=auth)
                assert started.status_code == 200, started.text
                order_id, session_id = started.json()["order_id"], started.json()["id"]
                assert (await client.post(f"{stripe_url}/sandbox/checkout/{session_id}/pay")).status_code == 303
                completed = _one_event(sb, "checkout.session.completed")
                assert set(await _storm(client, bases, [completed])) == {200}  # captured under auto capture
                intent_id = completed["data"]["object"]["payment_intent"]

                refund = sb.dashboard.refund(intent_id, 1500, "requested_by_customer")
                dispute = sb.dashboard.open_dispute(intent_id, "product_not_received")
                reports = [
                    _one_event(sb, "refund.created"),
                    _one_event(sb, "charge.refunded"),
                    _one_event(sb, "charge.dispute.created"),
                    _one_event(sb, "charge.dispute.funds_withdrawn"),
                ]
                statuses = await _storm(client, bases, reports)

                order = (await client.get(f"{bases[1]}/api/orders/{order_id}", headers=auth)).json()

        assert set(statuses) == {200}
        assert (order["status"], order["amount_refunded"]) == ("captured", 1500)
        assert [(r["id"], r["status"]) for r in order["refunds"]] == [(refund["id"], "succeeded")]
        assert (order["dispute"]["id"], order["dispute"]["status"]) == (dispute["id"], "needs_response")
        to = sorted((m["To"], m["Subject"].split(" ")[0:2] == ["Your", "refund"]) for m in inbox.messages)
        assert to == [(ADMIN, False), (BUYER_EMAIL, False), (BUYER_EMAIL, True)]
        stored = {event_id: status for event_id, _, status in await _stored_events(postgres_url)}
        assert [stored[e["id"]] for e in reports] == ["processed"] * 4
