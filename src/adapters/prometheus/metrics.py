"""`Metrics` on prometheus-client: the `billing_*` families of contract §5.

In multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set by `billing serve`, see `multiprocess`) each
worker writes its values to its own memory-mapped file and a scrape sums them; the metric objects
then belong to no registry. Otherwise they belong to the registry given, one per app, so several
apps in one process (tests) never share counts.

Recordings are counted in process and written to the prometheus-client values about every second,
before this process renders `/metrics`, before any read of the registry given, and at shutdown
(`pending`: the cost of a locked file write per recording, and the staleness that buys).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from adapters.prometheus.pending import PENDING, FlushFirst, PendingSamples
from application.ports.metrics import CacheResult, EmailOutcome, StripeOutcome, WebhookOutcome

# Latency buckets (seconds): a webhook or a Stripe call takes tens to hundreds of milliseconds, and
# Stripe's slow tail reaches the SDK's 15 s timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry | None, pending: PendingSamples = PENDING) -> None:
        self._pending = pending
        if registry is not None:
            registry.register(FlushFirst(pending))  # first, so a read of the registry flushes first
        # label children looked up once each: `labels()` takes prometheus-client's lock every call
        self._children: dict[tuple[Counter | Histogram, tuple[str, ...]], Any] = {}
        self._webhooks = Counter(
            "billing_webhook_events",
            "Stripe webhook deliveries (and replays) by event type and outcome.",
            ["type", "outcome"],
            registry=registry,
        )
        self._webhook_seconds = Histogram(
            "billing_webhook_handling_seconds",
            "Time from receiving a webhook to its answer, by event type.",
            ["type"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )
        self._stripe = Counter(
            "billing_stripe_requests",
            "HTTP requests to Stripe (each retry counts) by operation and outcome.",
            ["operation", "outcome"],
            registry=registry,
        )
        self._stripe_seconds = Histogram(
            "billing_stripe_request_duration_seconds",
            "Duration of HTTP requests to Stripe, by operation.",
            ["operation"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )
        self._cache = Counter(
            "billing_cache_requests",
            "Reads of cached values (the catalog) by cache and result.",
            ["cache", "result"],
            registry=registry,
        )
        self._emails = Counter(
            "billing_emails",
            "E-mails the outbox tried to send, by kind and outcome.",
            ["kind", "outcome"],
            registry=registry,
        )

    def webhook_handled(self, event_type: str, outcome: WebhookOutcome, seconds: float) -> None:
        self._pending.inc(self._child(self._webhooks, event_type, outcome))
        self._pending.observe(self._child(self._webhook_seconds, event_type), seconds)

    def stripe_request(self, operation: str, outcome: StripeOutcome, seconds: float) -> None:
        self._pending.inc(self._child(self._stripe, operation, outcome))
        self._pending.observe(self._child(self._stripe_seconds, operation), seconds)

    def cache_request(self, cache: str, result: CacheResult) -> None:
        self._pending.inc(self._child(self._cache, cache, result))

    def email_sent(self, kind: str, outcome: EmailOutcome) -> None:
        self._pending.inc(self._child(self._emails, kind, outcome))

    def flush(self) -> None:
        """Write what this process counted so far to the prometheus-client values (at shutdown)."""
        self._pending.flush()

    def _child(self, family: Counter | Histogram, *labels: str) -> Any:
        # bounded: the port's label values come from bounded sets
        key = (family, labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*labels)
        return child
