from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

from application.ports.backlog import Backlog


class WebhookOutcome(StrEnum):
    """What became of one webhook delivery or replay (the pipeline returns the first three)."""

    PROCESSED = "processed"  # handled, its changes committed
    IGNORED = "ignored"  # acknowledged without a change: a type not handled, an object never seen
    DUPLICATE = "duplicate"  # handled before: nothing repeated
    FAILED = "failed"  # the handler (or the store) failed: stored as failed, retried (→ 500)
    REJECTED = "rejected"  # a bad signature or body: nothing stored (→ 400)


# `client_error`: Stripe refused the request (4xx: invalid, declined, missing); `rate_limited`: 429;
# `server_error`: 5xx; `network_error`: no answer (connection failed, timed out).
StripeOutcome = Literal["ok", "client_error", "rate_limited", "server_error", "network_error"]
CacheResult = Literal["hit", "miss", "stale"]
EmailOutcome = Literal["sent", "failed"]

# The label value for anything outside a bounded set — an event type the service does not handle
# (or that could not be trusted: a refused request), an e-mail of no known kind — so label values
# never come from free text.
OTHER = "other"


class Metrics(Protocol):
    """Counts and latencies an operator watches (Prometheus's `billing_*` families).

    Each method records one occurrence; none raises, blocks or does I/O (a recording that cannot
    be made is lost, never the operation it measures). Not idempotent: call once per occurrence.
    Label arguments must come from bounded sets: a handled event type or `OTHER`, a
    Stripe operation such as `POST /v1/customers` (ids replaced by `{id}`), a cache's name, an
    e-mail's kind. Never a user id, an e-mail address, a token or a secret.
    """

    def webhook_handled(self, event_type: str, outcome: WebhookOutcome, seconds: float) -> None:
        """One webhook delivery (or replay) and how long its handling took."""
        ...

    def stripe_request(self, operation: str, outcome: StripeOutcome, seconds: float) -> None:
        """One HTTP request to Stripe (each retry is one more) and how long it took."""
        ...

    def cache_request(self, cache: str, result: CacheResult) -> None:
        """One read of a cached value: served fresh (hit), filled (miss), or a last-good copy (stale)."""
        ...

    def email_sent(self, kind: str, outcome: EmailOutcome) -> None:
        """One attempt to send an e-mail of this kind (an outbox effect kind)."""
        ...


@dataclass(frozen=True, slots=True)
class MetricsPage:
    body: bytes
    content_type: str


class MetricsExposition(Protocol):
    """Renders what `Metrics` recorded — every worker's values, summed — with the backlog gauges, in
    the scraper's text format. `backlog` None (the database did not answer) leaves the gauges out.
    Pure CPU and local files: never raises for a metric it cannot read."""

    def render(self, backlog: Backlog | None) -> MetricsPage: ...
