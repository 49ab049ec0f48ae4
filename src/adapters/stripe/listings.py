"""The reconciliation's listings on the SDK: `GET /v1/customers`, `/v1/subscriptions?status=all`
(expanded down to the product, for the plan key), and bounded by `created[gte]`
`/v1/payment_intents`, `/v1/checkout/sessions?status=expired`, `/v1/refunds`, `/v1/disputes` and
`/v1/invoices`; every page of 100.

JSON as the API sends it, mapped like the gateway's single reads (no StripeObject round trip).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import stripe
from stripe.params import (
    CustomerListParams,
    DisputeListParams,
    InvoiceListParams,
    PaymentIntentListParams,
    RefundListParams,
    SubscriptionListParams,
)
from stripe.params.checkout import SessionListParams

from adapters.stripe import mapping, refund_mapping
from adapters.stripe.errors import call
from application.ports.stripe_listings import ListedCustomer
from application.ports.stripe_objects import (
    CheckoutSession,
    DisputeState,
    InvoiceState,
    PaymentIntent,
    RefundState,
    SubscriptionState,
)

PAGE_SIZE = 100


class StripeListings:
    def __init__(self, client: stripe.StripeClient, *, page_size: int = PAGE_SIZE) -> None:
        self._client = client
        self._page_size = page_size

    async def _all(self, operation: str, path: str, params: Any) -> list[dict[str, Any]]:
        params = {**params, "limit": self._page_size}
        found: list[dict[str, Any]] = []
        while True:
            response = await call(operation, self._client.raw_request_async("get", path, **params))
            page = cast(dict[str, Any], response.data)
            found.extend(page["data"])
            if not page.get("has_more") or not page["data"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]

    async def customers(self) -> Sequence[ListedCustomer]:
        params: CustomerListParams = {}
        found = await self._all("customers.list", "/v1/customers", params)
        listed = [
            ListedCustomer(c["id"], (c.get("metadata") or {}).get("user_id"), datetime.fromtimestamp(c["created"], UTC))
            for c in found
        ]
        return sorted(listed, key=lambda c: c.created)

    async def subscriptions(self) -> Sequence[SubscriptionState]:
        # four levels deep, Stripe's limit: the product's metadata carries the plan key
        params: SubscriptionListParams = {"status": "all", "expand": ["data.items.data.price.product"]}
        return [mapping.subscription(s) for s in await self._all("subscriptions.list", "/v1/subscriptions", params)]

    async def payment_intents(self, *, since: datetime) -> Sequence[PaymentIntent]:
        params: PaymentIntentListParams = {"created": {"gte": _seconds(since)}}
        found = await self._all("payment_intents.list", "/v1/payment_intents", params)
        return [mapping.payment_intent(pi) for pi in found]

    async def expired_checkout_sessions(self, *, since: datetime) -> Sequence[CheckoutSession]:
        params: SessionListParams = {"status": "expired", "created": {"gte": _seconds(since)}}
        found = await self._all("checkout.sessions.list", "/v1/checkout/sessions", params)
        return [mapping.checkout_session(s) for s in found]

    async def refunds(self, *, since: datetime) -> Sequence[RefundState]:
        params: RefundListParams = {"created": {"gte": _seconds(since)}}
        return [refund_mapping.refund(r) for r in await self._all("refunds.list", "/v1/refunds", params)]

    async def disputes(self, *, since: datetime) -> Sequence[DisputeState]:
        params: DisputeListParams = {"created": {"gte": _seconds(since)}}
        return [refund_mapping.dispute(d) for d in await self._all("disputes.list", "/v1/disputes", params)]

    async def invoices(self, *, since: datetime) -> Sequence[InvoiceState]:
        params: InvoiceListParams = {"created": {"gte": _seconds(since)}}
        return [mapping.invoice(i) for i in await self._all("invoices.list", "/v1/invoices", params)]


def _seconds(since: datetime) -> int:
    """Stripe's `created` is whole seconds: round down, so an object of `since`'s second is listed."""
    return int(since.timestamp())
