"""polyfactory factories for domain entities and the payment port's data.

Every field a rule reads gets a valid, boring default (USD money, an active subscription, a
pending order); everything else is polyfactory's. Tests override what they are about.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from polyfactory import Use
from polyfactory.factories import DataclassFactory

from application.ports.payment_gateway import CatalogCoupon, CatalogPrice, CatalogProduct, Price
from application.ports.stripe_objects import SubscriptionState
from domain.customer import Customer
from domain.money import Money
from domain.order import Order, OrderItem, OrderStatus
from domain.subscription import Subscription, SubscriptionStatus
from domain.webhook_event import EventStatus, WebhookEvent

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class CustomerFactory(DataclassFactory[Customer]):
    email = Use(DataclassFactory.__faker__.email)
    stripe_customer_id = None


class OrderItemFactory(DataclassFactory[OrderItem]):
    quantity = 1
    amount_total = 1900


class OrderFactory(DataclassFactory[Order]):
    __use_defaults__ = True
    status = OrderStatus.PENDING
    total = Use(lambda: Money(1900, "usd"))
    items = Use(lambda: (OrderItemFactory.build(),))
    created_at = T0


class SubscriptionFactory(DataclassFactory[Subscription]):
    __use_defaults__ = True
    status = SubscriptionStatus.ACTIVE
    plan_key = "pro"
    current_period_end = T0 + timedelta(days=30)


class SubscriptionStateFactory(DataclassFactory[SubscriptionState]):
    __use_defaults__ = True
    status = SubscriptionStatus.ACTIVE
    plan_key = "pro"
    current_period_end = T0 + timedelta(days=30)
    cancel_at_period_end = False
    cancel_at = None
    canceled_at = None
    ended_at = None


class WebhookEventFactory(DataclassFactory[WebhookEvent]):
    __use_defaults__ = True
    status = EventStatus.RECEIVED
    created = T0


class PriceFactory(DataclassFactory[Price]):
    """A port `Price` as `get_price` returns it: active, one-time, USD 19.00."""

    __use_defaults__ = True
    active = True
    product_active = True
    type = "one_time"
    currency = "usd"
    unit_amount = 1900


class CatalogPriceFactory(DataclassFactory[CatalogPrice]):
    type = "one_time"
    currency = "usd"
    unit_amount = 1900
    interval = None
    interval_count = None
    lookup_key = None


class CatalogProductFactory(DataclassFactory[CatalogProduct]):
    description = None
    images: Use[[], list[str]] = Use(list)
    features: Use[[], list[str]] = Use(list)
    metadata: Use[[], dict[str, str]] = Use(dict)
    default_price_id = None
    prices = Use(lambda: [CatalogPriceFactory.build()])


class CatalogCouponFactory(DataclassFactory[CatalogCoupon]):
    percent_off = 20.0
    amount_off = None
    currency = None
    duration = "once"
    duration_in_months = None
    max_redemptions = None
    times_redeemed = 0
    redeem_by = None
    valid = True
    created = T0
    metadata: Use[[], dict[str, str]] = Use(dict)
