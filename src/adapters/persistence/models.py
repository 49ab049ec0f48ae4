"""Tables (SQLAlchemy Core: the repositories build their statements from these and map rows to
domain objects themselves). Local billing state is a cache of Stripe's truth: keyed by Stripe ids
(unique), a few interpreted columns, and the raw event payload where it helps debugging."""

from __future__ import annotations

from advanced_alchemy.base import convention
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

from domain.webhook_event import EVENT_ID_MAX_LENGTH, EVENT_TYPE_MAX_LENGTH

metadata = MetaData(naming_convention=convention)


def _at(name: str, *, nullable: bool = True) -> Column[object]:
    return Column(name, DateTimeUTC(timezone=True), nullable=nullable)


customers = Table(
    "customers",
    metadata,
    Column("user_id", String(255), primary_key=True),
    Column("email", String(320)),
    Column("stripe_customer_id", String(255), unique=True),
    _at("created_at", nullable=False),
    Column("subscription_checkout_id", String(255)),
    Column("subscription_checkout_request", String(320)),
)

orders = Table(
    "orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("amount_total", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("items", JsonB, nullable=False),
    Column("checkout_session_id", String(255), unique=True),
    Column("payment_intent_id", String(255), unique=True),
    Column("customer_email", String(320)),
    Column("cancellation_reason", String(64)),
    _at("created_at", nullable=False),
    _at("authorized_at"),
    _at("captured_at"),
    _at("canceled_at"),
    _at("expired_at"),
    # Refunds and the dispute are parts of the order, read and written (and locked) with it.
    # NULL on rows stored before refunds existed: no refunds.
    Column("refunds", JsonB),
    _at("refunded_at"),
    Column("dispute", JsonB),
    Index("ix_orders_user_created", "user_id", "created_at"),
    Index("ix_orders_status", "status"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("stripe_subscription_id", String(255), primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("stripe_customer_id", String(255), nullable=False),
    Column("status", String(32), nullable=False),
    Column("price_id", String(255)),
    Column("product_id", String(255)),
    Column("plan_key", String(255)),
    _at("current_period_end"),
    Column("cancel_at_period_end", Boolean, nullable=False, default=False),
    _at("cancel_at"),
    _at("canceled_at"),
    _at("ended_at"),
    _at("as_of"),
    _at("trial_end"),
    Index("ix_subscriptions_user", "user_id"),
)

invoices = Table(
    "invoices",
    metadata,
    Column("stripe_invoice_id", String(255), primary_key=True),
    Column("user_id", String(255), nullable=False),
    Column("stripe_customer_id", String(255), nullable=False),
    Column("stripe_subscription_id", String(255), nullable=False),
    Column("number", String(64)),
    Column("status", String(16), nullable=False),
    Column("amount_due", Integer, nullable=False),
    Column("amount_paid", Integer, nullable=False),
    Column("amount_remaining", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    _at("created_at", nullable=False),
    _at("period_start"),
    _at("period_end"),
    Column("hosted_invoice_url", Text),
    Column("invoice_pdf", Text),
    Column("attempt_count", Integer, nullable=False),
    _at("next_payment_attempt"),
    Column("action_required_attempt", Integer),
    _at("as_of"),
    Index("ix_invoices_user_created", "user_id", "created_at"),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(EVENT_ID_MAX_LENGTH), primary_key=True),
    Column("type", String(EVENT_TYPE_MAX_LENGTH), nullable=False),
    _at("created", nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("payload", LargeBinary, nullable=False),
    _at("received_at", nullable=False),
    _at("processed_at"),
    Index("ix_webhook_events_status_received", "status", "received_at"),
)

effects = Table(
    "effects",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JsonB, nullable=False),
    _at("created_at", nullable=False),
    _at("done_at"),
    _at("leased_until"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Index("ix_effects_done", "done_at"),
)
