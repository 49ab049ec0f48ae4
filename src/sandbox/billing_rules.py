"""Stripe Billing rules the sandbox plays: the "Revenue recovery" retry settings and fixed delays.

Stripe's Smart Retries spread up to eight tries over weeks; the sandbox keeps a short fixed schedule
that the clock runs through (each delay counts from the previous attempt). When the last retry
fails, Stripe lets the account choose: cancel the subscription, mark it unpaid, or leave it
past_due; and leave the invoice open or mark it uncollectible. The sandbox marks the subscription
`unpaid` and leaves the invoice open by default, so access ends and the invoice stays payable.
"""

from dataclasses import dataclass
from typing import Literal

DAY = 86400

SubscriptionOutcome = Literal["unpaid", "canceled", "past_due"]
InvoiceOutcome = Literal["open", "uncollectible"]


@dataclass(frozen=True)
class RetryPolicy:
    retry_delays_days: tuple[float, ...] = (3, 5, 7)
    subscription_after_retries: SubscriptionOutcome = "unpaid"
    invoice_after_retries: InvoiceOutcome = "open"

    def next_attempt(self, attempt_count: int, attempted_at: int) -> int | None:
        """When the retry after attempt number `attempt_count` runs; None once the schedule is spent."""
        if attempt_count > len(self.retry_delays_days):
            return None
        return attempted_at + int(self.retry_delays_days[attempt_count - 1] * DAY)


# Stripe sends `customer.subscription.trial_will_end` three days before a trial ends.
TRIAL_WILL_END_NOTICE = 3 * DAY
# A subscription's draft invoice is finalized (and charged) an hour after it is created.
FINALIZE_DELAY = 3600
