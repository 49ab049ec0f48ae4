"""Arranging subscriptions in the sandbox as a merchant and a customer would: SDK calls and page posts."""

from dataclasses import dataclass
from typing import Any

import httpx
import stripe
from stripe.params.checkout import SessionCreateParamsSubscriptionData

from sandbox import Sandbox

DAY = 86400


@dataclass(frozen=True)
class Subscribed:
    customer: str
    subscription: str
    first_invoice: str


def subscribe(
    client: stripe.StripeClient, lookup_key: str = "pro_monthly", trial_days: int | None = None
) -> Subscribed:
    price = client.v1.prices.list({"lookup_keys": [lookup_key]}).data[0].id
    customer = client.v1.customers.create({"email": "billing@example.com", "metadata": {"user_id": "u1"}})
    data: SessionCreateParamsSubscriptionData = {"metadata": {"user_id": "u1"}}
    if trial_days is not None:
        data["trial_period_days"] = trial_days
    session = client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": price, "quantity": 1}],
            "subscription_data": data,
        }
    )
    assert httpx.post(f"{session.url}/pay").status_code == 303
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert paid.subscription is not None and paid.invoice is not None
    return Subscribed(customer.id, str(paid.subscription), str(paid.invoice))


def period_end(client: stripe.StripeClient, sub_id: str) -> int:
    return int(client.v1.subscriptions.retrieve(sub_id)["items"].data[0].current_period_end)


def advance_to(sb: Sandbox, timestamp: int) -> dict[str, Any]:
    """Move the sandbox clock to `timestamp` (never back)."""
    return sb.advance_clock(seconds=max(0, timestamp - sb.state.now()))


def types_since(sb: Sandbox, count: int) -> list[str]:
    return [e["type"] for e in sb.events()[count:]]


def latest(sb: Sandbox, event_type: str) -> dict[str, Any]:
    return dict(sb.events(event_type)[-1])
