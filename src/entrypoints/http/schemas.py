"""HTTP request and response shapes (README; served as OpenAPI at /schema). Controllers translate
these to use-case commands and back; the domain never sees a request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar.params import HeaderParameter, PathParameter

from domain.order import Order, ReviewReason
from domain.subscription import Subscription
from entrypoints.http.invoice_schemas import PaymentIssueOut


def whole(pattern: str) -> str:
    r"""A pattern that must match the whole value. msgspec searches with Python's `re`, where `$` also
    matches before a final newline ("price_1\n" passed); OpenAPI readers use ECMA-262, which has no
    `\Z`. `$(?!\n)` ends the string in both."""
    return rf"^(?:{pattern})$(?!\n)"


# A client's key for safe retries. Stripe takes keys of up to 255 characters, and the service's own
# key adds its prefix and the user id (tokens.USER_ID_MAX_LENGTH) to it.
IDEMPOTENCY_KEY_MAX_LENGTH = 128
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        pattern=whole("[!-~]+"),
        max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
        description="Retrying with the same key returns the first result instead of starting another "
        f"checkout (1-{IDEMPOTENCY_KEY_MAX_LENGTH} visible ASCII characters; a UUID is a good key).",
    ),
]


# Ids in paths: checked before they reach the database or Stripe (a NUL or 10 KB of them would).
OrderId = Annotated[str, PathParameter(pattern=whole("ord_[A-Za-z0-9_]+"), max_length=64, description="An order id.")]
SessionId = Annotated[
    str, PathParameter(pattern=whole("cs_[A-Za-z0-9_]+"), max_length=255, description="A Checkout Session id.")
]


class CheckoutRequest(msgspec.Struct, forbid_unknown_fields=True):
    price_id: Annotated[str, msgspec.Meta(pattern=whole("price_[A-Za-z0-9_]+"), max_length=255)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=99)] = 1


class CheckoutResponse(msgspec.Struct):
    id: str
    url: str | None
    mode: Literal["payment", "subscription"]
    order_id: str | None


class OrderItemOut(msgspec.Struct):
    price_id: str
    product_id: str | None
    description: str
    quantity: int
    amount_total: int


class OrderOut(msgspec.Struct):
    id: str
    status: str
    checkout_session_id: str | None
    payment_intent_id: str | None
    amount_total: int
    currency: str
    items: list[OrderItemOut]
    created_at: datetime
    authorized_at: datetime | None
    captured_at: datetime | None
    canceled_at: datetime | None
    cancellation_reason: str | None

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            status=order.status.value,
            checkout_session_id=order.checkout_session_id,
            payment_intent_id=order.payment_intent_id,
            amount_total=order.total.amount,
            currency=order.total.currency,
            items=[
                OrderItemOut(i.price_id, i.product_id, i.description, i.quantity, i.amount_total) for i in order.items
            ],
            created_at=order.created_at,
            authorized_at=order.authorized_at,
            captured_at=order.captured_at,
            canceled_at=order.canceled_at,
            cancellation_reason=order.cancellation_reason,
        )


class OrdersOut(msgspec.Struct):
    orders: list[OrderOut]


class SubscriptionOut(msgspec.Struct):
    id: str
    status: str
    plan_key: str | None
    price_id: str | None
    product_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    cancel_at: datetime | None
    canceled_at: datetime | None
    trial_end: datetime | None

    @classmethod
    def of(cls, sub: Subscription | None) -> SubscriptionOut | None:
        if sub is None:
            return None
        return cls(
            sub.stripe_subscription_id, sub.status.value, sub.plan_key, sub.price_id, sub.product_id,
            sub.current_period_end, sub.cancel_at_period_end, sub.cancel_at, sub.canceled_at, sub.trial_end,
        )  # fmt: skip


class CheckoutStatusOut(msgspec.Struct):
    id: str
    status: str | None
    payment_status: str | None
    mode: str
    amount_total: int | None
    currency: str | None
    order: OrderOut | None
    subscription: SubscriptionOut | None


class EntitlementsOut(msgspec.Struct):
    plan_key: str | None
    active: bool
    limits: dict[str, int | None]


class BillingOut(msgspec.Struct):
    user_id: str
    email: str | None
    stripe_customer_id: str | None
    subscription: SubscriptionOut | None
    entitlements: EntitlementsOut
    payment_issue: PaymentIssueOut | None


class CancelRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: ReviewReason | None = None


class PortalOut(msgspec.Struct):
    url: str


class ConfigOut(msgspec.Struct):
    publishable_key: str | None


class HealthOut(msgspec.Struct, omit_defaults=True):
    status: str
    checks: dict[str, bool] | None = None


class WebhookOut(msgspec.Struct):
    received: bool


class ProblemErrorOut(msgspec.Struct):
    message: str
    key: str | None = None
    source: str | None = None


class ProblemOut(msgspec.Struct):
    """RFC 9457 problem details (contract §4); `errors` on validation failures."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemErrorOut] | None = None


class StripeEventData(msgspec.Struct):
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None


class StripeEventIn(msgspec.Struct):
    """Stripe's Event object, as Stripe signs and sends it (verified over the raw body)."""

    id: str
    object: Literal["event"]
    type: str
    created: int
    data: StripeEventData
    api_version: str | None = None
    livemode: bool = False
