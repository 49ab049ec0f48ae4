"""Tables. Local billing state is a cache of Stripe's truth: keyed by Stripe ids (unique), a few
interpreted columns, and the raw event payload where it helps debugging."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC, JsonB
from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.webhook_event import EVENT_ID_MAX_LENGTH, EVENT_TYPE_MAX_LENGTH


class CustomerRow(DefaultBase):
    __tablename__ = "customers"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))


class OrderRow(DefaultBase):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("ix_orders_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    amount_total: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JsonB)
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    customer_email: Mapped[str | None] = mapped_column(String(320))
    cancellation_reason: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    authorized_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    captured_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    canceled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    expired_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class SubscriptionRow(DefaultBase):
    __tablename__ = "subscriptions"
    __table_args__ = (Index("ix_subscriptions_user", "user_id"),)

    stripe_subscription_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    stripe_customer_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(32))
    price_id: Mapped[str | None] = mapped_column(String(255))
    product_id: Mapped[str | None] = mapped_column(String(255))
    plan_key: Mapped[str | None] = mapped_column(String(255))
    current_period_end: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    canceled_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    as_of: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class WebhookEventRow(DefaultBase):
    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_status_received", "status", "received_at"),)

    id: Mapped[str] = mapped_column(String(EVENT_ID_MAX_LENGTH), primary_key=True)
    type: Mapped[str] = mapped_column(String(EVENT_TYPE_MAX_LENGTH))
    created: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    processed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))


class EffectRow(DefaultBase):
    __tablename__ = "effects"
    __table_args__ = (Index("ix_effects_done", "done_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, str]] = mapped_column(JsonB)
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    leased_until: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


metadata = DefaultBase.metadata
