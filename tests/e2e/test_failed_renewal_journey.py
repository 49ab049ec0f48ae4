"""The subscriber's journey when payment goes wrong, over real HTTP against a `billing serve` process in
sandbox mode (as `make run`): subscribe with a trial → the trial ends and is paid → a renewal is
declined → one e-mail, `past_due`, access kept → the retry succeeds → the issue is cleared →
another renewal fails through the last retry → `unpaid`, no access.

The tester's moves are the sandbox's own controls: the Dashboard's trial and card switches, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from tests.e2e.test_journeys import Service, checkout_and_pay, client, eventually, find_price, service, sign_in

__all__ = ["service"]  # the fixture, shared with the other journeys

USER, EMAIL = "user_renewal", "renewal@example.com"


def _advance(base: str, seconds: int) -> dict[str, Any]:
    moved = httpx.post(f"{base}/sandbox/clock/advance", json={"seconds": seconds}, timeout=30)
    assert moved.status_code == 200, moved.text
    return dict(moved.json())


def _advance_past_renewal(base: str, api: httpx.Client) -> None:
    """To the period end, plus the hour Stripe waits before charging the renewal invoice, plus a minute."""
    end = datetime.fromisoformat(api.get("/api/me/billing").json()["subscription"]["current_period_end"])
    _advance(base, int(end.timestamp()) + 3660 - _advance(base, 0)["now"])


def _card(base: str, customer_id: str, outcome: str) -> None:
    chosen = httpx.post(f"{base}/sandbox/dashboard/customers/{customer_id}/card", json={"card": outcome}, timeout=10)
    assert chosen.status_code == 200, chosen.text


def _emails(service: Service, subject: str) -> list[str]:
    return [
        line for line in service.log().splitlines() if "billing.email" in line and EMAIL in line and subject in line
    ]


def _failed_emails(service: Service, count: int) -> Callable[[], bool]:
    return lambda: len(_emails(service, "failed")) == count


def test_a_trial_then_a_failed_renewal_its_recovery_and_the_last_retry_failing(service: Service) -> None:
    base = service.base
    api = client(base, sign_in(base, USER, EMAIL))
    product, price = find_price(api.get("/api/stripe/products").json()["products"], recurring="month")
    trial = httpx.post(f"{base}/sandbox/dashboard/products/{product['id']}/trial_days", json={"days": 7}, timeout=10)
    assert trial.status_code == 200, trial.text

    def billing(check: Callable[[dict[str, Any]], bool]) -> Callable[[], dict[str, Any] | None]:
        def probe() -> dict[str, Any] | None:
            body = api.get("/api/me/billing").json()
            return body if body["subscription"] is not None and check(body) else None

        return probe

    # subscribe with a trial
    checkout_and_pay(api, base, price["id"])
    trialing = eventually(billing(lambda b: b["subscription"]["status"] == "trialing"), "a trialing subscription")
    assert trialing["subscription"]["trial_end"] is not None and trialing["entitlements"]["active"] is True
    customer_id = trialing["stripe_customer_id"]

    # the trial ends: one reminder, then the first paid invoice
    _advance_past_renewal(base, api)
    eventually(billing(lambda b: b["subscription"]["status"] == "active"), "the trial to end in an active plan")
    paid = eventually(
        lambda: [i for i in api.get("/api/me/invoices").json()["invoices"] if i["amount_paid"] == 1900],
        "the first charged invoice",
    )
    assert paid[0]["status"] == "paid"
    eventually(lambda: _emails(service, "Your trial ends on"), "the trial reminder")

    # the next renewal is declined: one e-mail, past_due, access kept
    _card(base, customer_id, "declines")
    _advance_past_renewal(base, api)
    failing = eventually(
        billing(lambda b: b["payment_issue"] is not None and b["subscription"]["status"] == "past_due"),
        "a payment issue and past_due",
    )
    assert failing["payment_issue"]["kind"] == "payment_failed" and failing["payment_issue"]["attempt_count"] == 1
    assert (failing["subscription"]["status"], failing["entitlements"]["active"]) == ("past_due", True)
    assert len(eventually(lambda: _emails(service, "failed"), "the payment-failed e-mail")) == 1

    # the retry succeeds with a working card: the issue is cleared
    _card(base, customer_id, "succeeds")
    _advance(base, 3 * 86400 + 60)
    recovered = eventually(
        billing(lambda b: b["payment_issue"] is None and b["subscription"]["status"] == "active"),
        "the issue to clear",
    )
    assert (recovered["subscription"]["status"], recovered["entitlements"]["active"]) == ("active", True)

    # another renewal fails, through the last retry: unpaid, no access
    _card(base, customer_id, "declines")
    _advance_past_renewal(base, api)
    eventually(billing(lambda b: b["subscription"]["status"] == "past_due"), "past_due again")
    # the retries, days apart as at Stripe: each failed attempt gets its e-mail while it is news
    for attempt, days in ((2, 3), (3, 5), (4, 7)):
        _advance(base, days * 86400 + 60)
        eventually(_failed_emails(service, 1 + attempt), f"the e-mail for attempt {attempt}")
    unpaid = eventually(billing(lambda b: b["subscription"]["status"] == "unpaid"), "unpaid after the last retry")
    assert unpaid["entitlements"]["active"] is False
    assert unpaid["payment_issue"] is not None and unpaid["payment_issue"]["attempt_count"] == 4
    assert unpaid["payment_issue"]["next_payment_attempt"] is None
    assert len(_emails(service, "failed")) == 5  # the first invoice's one, and this invoice's four
