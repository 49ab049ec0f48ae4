"""The payment provider port (Stripe) and the plain data it returns (Stripe's objects the webhook
events carry too are in `application.ports.stripe_objects`).

Every create takes an explicit `idempotency_key`: calling again with the same key and arguments
returns the first result and changes nothing more (Stripe's idempotency semantics).
Errors: `PaymentProviderUnavailable` for timeouts, connection failures and 5xx (safe to retry);
`PaymentProviderRejected` when Stripe refuses the request; `Conflict` when an idempotency key is
reused with other arguments (Stripe's `idempotency_error`). Lookups of unknown ids return None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from application.ports.stripe_objects import (
    CheckoutSession,
    InvoiceState,
    PaymentIntent,
    RefundState,
    SubscriptionState,
)


@dataclass(frozen=True, slots=True)
class Price:
    id: str
    product_id: str
    product_name: str
    active: bool
    type: Literal["one_time", "recurring"]
    currency: str
    unit_amount: int | None
    interval: str | None = None
    interval_count: int | None = None
    lookup_key: str | None = None
    product_active: bool = True
    trial_days: int | None = None  # `metadata.trial_days` of the price, else of its product


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    price_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class CheckoutSessionRequest:
    mode: Literal["payment", "subscription"]
    customer_id: str
    user_id: str
    lines: Sequence[CheckoutLine]
    success_url: str
    cancel_url: str
    automatic_tax: bool
    metadata: Mapping[str, str]
    payment_intent_metadata: Mapping[str, str] | None = None
    subscription_metadata: Mapping[str, str] | None = None
    manual_capture: bool = True
    trial_period_days: int | None = None


@dataclass(frozen=True, slots=True)
class RefundRequest:
    payment_intent_id: str
    amount: int
    reason: str | None
    metadata: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CatalogPrice:
    id: str
    type: Literal["one_time", "recurring"]
    currency: str
    unit_amount: int | None
    interval: str | None
    interval_count: int | None
    lookup_key: str | None


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    id: str
    name: str
    description: str | None
    images: Sequence[str]
    features: Sequence[str]
    metadata: Mapping[str, str]
    default_price_id: str | None
    prices: Sequence[CatalogPrice]


@dataclass(frozen=True, slots=True)
class CatalogCoupon:
    id: str
    name: str | None
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    duration: str
    duration_in_months: int | None
    max_redemptions: int | None
    times_redeemed: int
    redeem_by: datetime | None
    valid: bool
    created: datetime
    metadata: Mapping[str, str]


class PaymentGateway(Protocol):
    async def create_customer(self, *, user_id: str, email: str | None, idempotency_key: str) -> str:
        """Create a Stripe customer with `metadata[user_id]`; returns its id."""
        ...

    async def get_price(self, price_id: str) -> Price | None: ...

    async def create_checkout_session(
        self, request: CheckoutSessionRequest, *, idempotency_key: str
    ) -> CheckoutSession:
        """`PriceNotAvailable` when Stripe refuses a line's price: unknown, inactive, or of an
        archived product."""
        ...

    async def get_checkout_session(self, session_id: str) -> CheckoutSession | None: ...

    async def expire_checkout_session(self, session_id: str, *, idempotency_key: str) -> CheckoutSession | None:
        """Expire the session if it is still open; the session as it then stands: `expired`, or
        `complete` when the buyer finished it first. None when Stripe does not know it."""
        ...

    async def set_checkout_session_metadata(
        self, session_id: str, metadata: Mapping[str, str], *, idempotency_key: str
    ) -> None: ...

    async def get_payment_intent(self, payment_intent_id: str) -> PaymentIntent | None: ...

    async def capture_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        """Capture held funds. Capturing an already captured intent returns it unchanged."""
        ...

    async def cancel_payment_intent(
        self, payment_intent_id: str, *, reason: str | None, idempotency_key: str
    ) -> PaymentIntent:
        """Release held funds. Cancelling an already canceled intent returns it unchanged."""
        ...

    async def create_refund(self, request: RefundRequest, *, idempotency_key: str) -> RefundState:
        """Refund part of a captured payment. `PaymentProviderRejected` when Stripe refuses (more
        than is left, a charged-back payment, nothing captured)."""
        ...

    async def list_refunds(self, charge_id: str) -> Sequence[RefundState]:
        """Every refund of the charge, newest first (all pages); empty for an unknown charge."""
        ...

    async def get_subscription(self, subscription_id: str) -> SubscriptionState | None: ...

    async def get_invoice(self, invoice_id: str) -> InvoiceState | None:
        """The invoice now, with `payment_requires_action` known (its payments are read with it)."""
        ...

    async def create_portal_session(self, *, customer_id: str, return_url: str) -> str:
        """Returns the Billing Portal session URL."""
        ...

    async def list_products(self) -> Sequence[CatalogProduct]:
        """Every active product with its active prices, all pages."""
        ...

    async def list_coupons(self) -> Sequence[CatalogCoupon]:
        """Every coupon, all pages."""
        ...
