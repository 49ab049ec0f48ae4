"""`Metrics` on prometheus-client: the `billing_*` families of contract §5.

In multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set by `billing serve`, see `multiprocess`) each
worker writes its values to its own memory-mapped file and a scrape sums them; the metric objects
then belong to no registry. Otherwise they belong to the registry given, one per app, so several
apps in one process (tests) never share counts.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from application.ports.metrics import CacheResult, EmailOutcome, StripeOutcome, WebhookOutcome

# Latency buckets (seconds): a webhook or a Stripe call takes tens to hundreds of milliseconds, and
# Stripe's slow tail reaches the SDK's 15 s timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry | None) -> None:
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
        self._webhooks.labels(event_type, outcome).inc()
        self._webhook_seconds.labels(event_type).observe(seconds)

    def stripe_request(self, operation: str, outcome: StripeOutcome, seconds: float) -> None:
        self._stripe.labels(operation, outcome).inc()
        self._stripe_seconds.labels(operation).observe(seconds)

    def cache_request(self, cache: str, result: CacheResult) -> None:
        self._cache.labels(cache, result).inc()

    def email_sent(self, kind: str, outcome: EmailOutcome) -> None:
        self._emails.labels(kind, outcome).inc()
