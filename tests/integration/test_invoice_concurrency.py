"""Real concurrency on PostgreSQL for the billing e-mails: two service processes share one database and
one Redis, the sandbox in a thread is their Stripe, aiosmtpd their mail server. A trial's reminder
and a declined renewal's events, each delivered several times to both processes at once (and some
of them before the events they follow), send one reminder and one payment-failed e-mail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.persistence.migrate import upgrade_async
from sandbox import Sandbox, run_in_thread
from tests.integration.http_support import price_id
from tests.integration.test_webhook_concurrency import _storm, two_services
from tests.integration.webhook_support import WEBHOOK_SECRET, smtp_server
from tests.support.tokens import shared_minter

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

USER, EMAIL = "user_invoice_racer", "invoice.racer@example.com"


async def test_a_trial_reminder_and_a_declined_renewal_are_emailed_once_by_two_processes(
    postgres_url: str, redis_url: str
) -> None:
    await upgrade_async(postgres_url)
    minter = shared_minter()
    sb = Sandbox(webhook_url=None)  # we deliver the events ourselves, all at once
    monthly = price_id(sb, "pro_monthly")
    product = sb.state.store.get("price", monthly)["product"]
    sb.state.store.get("product", product)["metadata"]["trial_days"] = "2"  # shorter than the notice: reminded at once
    with run_in_thread(sb) as stripe_url, smtp_server() as (inbox, smtp_url):
        env = {
            "DATABASE_URL": postgres_url,
            "REDIS_URL": redis_url,
            "STRIPE_SECRET_KEY": sb.secret_key,
            "STRIPE_API_BASE": stripe_url,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "CLERK_JWT_KEY": minter.public_pem,
            "SMTP_URL": smtp_url,
            "APP_URL": "https://app.example",
        }
        with two_services(env) as bases:
            auth = minter.headers(USER, email=EMAIL)
            async with httpx.AsyncClient(timeout=30) as client:
                started = await client.post(f"{bases[0]}/api/stripe/checkout", json={"price_id": monthly}, headers=auth)
                assert started.status_code == 200, started.text
                assert (
                    await client.post(f"{stripe_url}/sandbox/checkout/{started.json()['id']}/pay")
                ).status_code == 303
                session = sb.state.store.get("checkout.session", started.json()["id"])
                sb.set_card(session["customer"], "declines")
                sb.advance_clock(days=2, seconds=3600)  # the trial ends; its first charge is declined
                events: list[dict[str, Any]] = sb.events()
                statuses = await _storm(client, bases, list(reversed(events)))  # newest first, then all again
                statuses += await _storm(client, bases, events)
                invoices = (await client.get(f"{bases[1]}/api/me/invoices", headers=auth)).json()["invoices"]
                billing = (await client.get(f"{bases[0]}/api/me/billing", headers=auth)).json()

    assert set(statuses) == {200}
    assert [(i["status"], i["attempt_count"]) for i in invoices] == [("open", 1), ("paid", 0)]
    assert billing["payment_issue"]["kind"] == "payment_failed"
    assert billing["subscription"]["status"] == "past_due"
    subjects = sorted(m["Subject"] for m in inbox.messages)
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("Your payment of") and subjects[1].startswith("Your trial ends on")
    assert {m["To"] for m in inbox.messages} == {EMAIL}
