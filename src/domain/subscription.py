"""A user's Stripe subscription as the service interprets it, and the rules that read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SubscriptionStatus(StrEnum):
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


# past_due keeps access while Stripe retries the payment (smart retries / dunning).
ACCESS_GRANTING = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE})
# A user holding one of these must change plans through the portal, not a second checkout.
LIVE = frozenset(
    {
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.TRIALING,
        SubscriptionStatus.PAST_DUE,
        SubscriptionStatus.UNPAID,
    }
)
TERMINAL = frozenset({SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED})


def grants_access(status: SubscriptionStatus) -> bool:
    return status in ACCESS_GRANTING


def is_live(status: SubscriptionStatus) -> bool:
    return status in LIVE


@dataclass(frozen=True, slots=True)
class Subscription:
    stripe_subscription_id: str
    user_id: str
    stripe_customer_id: str
    status: SubscriptionStatus
    price_id: str | None
    product_id: str | None
    plan_key: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool = False
    cancel_at: datetime | None = None
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    trial_end: datetime | None = None
    # When Stripe created the newest event this state is known to reflect (second precision, as
    # Stripe stamps events). Orders the snapshots of later events; None until an event set it.
    as_of: datetime | None = None

    @property
    def grants_access(self) -> bool:
        return grants_access(self.status)

    @property
    def is_live(self) -> bool:
        return is_live(self.status)

    def accepts(self, incoming: Subscription) -> bool:
        """Whether `incoming` (Stripe's state, read later than this one) may replace this state.

        A canceled subscription is final in Stripe: no later read can revive it, so a stale
        snapshot that still says `active` after we stored `canceled` is refused.
        """
        return self.status not in TERMINAL or incoming.status in TERMINAL
