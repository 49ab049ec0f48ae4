from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from application.ports.backlog import Backlog

WebhookOutcome = Literal["processed", "ignored", "duplicate", "failed", "rejected"]
# `client_error`: Stripe refused the request (4xx: invalid, declined, missing); `rate_limited`: 429;
# `server_error`: 5xx; `network_error`: no answer (connection failed, timed out).
StripeOutcome = Literal["ok", "client_error", "rate_limited", "server_error", "network_error"]
CacheResult = Literal["hit", "miss", "stale"]
EmailOutcome = Literal["sent", "failed"]

# The webhook `type` for an event the service does not handle, and for a request refused before
# its type could be trusted: label values stay a bounded set, never free text from a request.
OTHER_EVENT_TYPE = "other"


class Metrics(Protocol):
    """Counts and latencies an operator watches (Prometheus's `billing_*` families).

    Each method records one occurrence; none raises, blocks or does I/O (a recording that cannot
    be made is lost, never the operation it measures). Not idempotent: call once per occurrence.
    Label arguments must come from bounded sets: a handled event type or `OTHER_EVENT_TYPE`, a
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
