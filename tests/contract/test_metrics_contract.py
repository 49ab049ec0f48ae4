"""The `Metrics` contract, one test body per behaviour, run against the in-memory fake (what use-case
tests assert on) and the Prometheus adapter (what `/metrics` shows). Each adapter is read back
through a small reader: the fake's counters, or the Prometheus registry's samples under the
contract's family names (§5 Observability)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pytest
from prometheus_client import CollectorRegistry

from adapters.in_memory.metrics import InMemoryMetrics
from adapters.prometheus.metrics import PrometheusMetrics
from application.ports.metrics import Metrics, WebhookOutcome


class Reader(Protocol):
    def webhooks(self, event_type: str, outcome: str) -> float: ...
    def webhook_seconds(self, event_type: str) -> tuple[float, float]: ...  # (count, sum)
    def stripe(self, operation: str, outcome: str) -> float: ...
    def stripe_seconds(self, operation: str) -> tuple[float, float]: ...
    def cache(self, cache: str, result: str) -> float: ...
    def emails(self, kind: str, outcome: str) -> float: ...


@dataclass
class FakeReader:
    fake: InMemoryMetrics

    def webhooks(self, event_type: str, outcome: str) -> float:
        return self.fake.webhooks[event_type, outcome]

    def webhook_seconds(self, event_type: str) -> tuple[float, float]:
        return len(self.fake.webhook_seconds[event_type]), sum(self.fake.webhook_seconds[event_type])

    def stripe(self, operation: str, outcome: str) -> float:
        return self.fake.stripe[operation, outcome]

    def stripe_seconds(self, operation: str) -> tuple[float, float]:
        return len(self.fake.stripe_seconds[operation]), sum(self.fake.stripe_seconds[operation])

    def cache(self, cache: str, result: str) -> float:
        return self.fake.cache[cache, result]

    def emails(self, kind: str, outcome: str) -> float:
        return self.fake.emails[kind, outcome]


@dataclass
class PrometheusReader:
    registry: CollectorRegistry

    def _sample(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0

    def _histogram(self, name: str, **labels: str) -> tuple[float, float]:
        return self._sample(f"{name}_count", **labels), self._sample(f"{name}_sum", **labels)

    def webhooks(self, event_type: str, outcome: str) -> float:
        return self._sample("billing_webhook_events_total", type=event_type, outcome=outcome)

    def webhook_seconds(self, event_type: str) -> tuple[float, float]:
        return self._histogram("billing_webhook_handling_seconds", type=event_type)

    def stripe(self, operation: str, outcome: str) -> float:
        return self._sample("billing_stripe_requests_total", operation=operation, outcome=outcome)

    def stripe_seconds(self, operation: str) -> tuple[float, float]:
        return self._histogram("billing_stripe_request_duration_seconds", operation=operation)

    def cache(self, cache: str, result: str) -> float:
        return self._sample("billing_cache_requests_total", cache=cache, result=result)

    def emails(self, kind: str, outcome: str) -> float:
        return self._sample("billing_emails_total", kind=kind, outcome=outcome)


@pytest.fixture(params=["fake", "prometheus"])
def adapter(request: pytest.FixtureRequest) -> tuple[Metrics, Reader]:
    if request.param == "fake":
        fake = InMemoryMetrics()
        return fake, FakeReader(fake)
    registry = CollectorRegistry()
    return PrometheusMetrics(registry), PrometheusReader(registry)


def test_webhook_events_are_counted_by_type_and_outcome(adapter: tuple[Metrics, Reader]) -> None:
    metrics, read = adapter

    metrics.webhook_handled("payment_intent.succeeded", WebhookOutcome.PROCESSED, 0.05)
    metrics.webhook_handled("payment_intent.succeeded", WebhookOutcome.PROCESSED, 0.07)
    metrics.webhook_handled("payment_intent.succeeded", WebhookOutcome.DUPLICATE, 0.01)
    metrics.webhook_handled("other", WebhookOutcome.REJECTED, 0.001)

    assert read.webhooks("payment_intent.succeeded", "processed") == 2
    assert read.webhooks("payment_intent.succeeded", "duplicate") == 1
    assert read.webhooks("other", "rejected") == 1
    assert read.webhooks("payment_intent.succeeded", "failed") == 0


def test_webhook_handling_time_is_observed_per_type(adapter: tuple[Metrics, Reader]) -> None:
    metrics, read = adapter

    metrics.webhook_handled("checkout.session.completed", WebhookOutcome.PROCESSED, 0.25)
    metrics.webhook_handled("checkout.session.completed", WebhookOutcome.FAILED, 0.5)

    count, total = read.webhook_seconds("checkout.session.completed")
    assert (count, round(total, 6)) == (2, 0.75)
    assert read.webhook_seconds("payment_intent.succeeded") == (0, 0)


def test_stripe_requests_are_counted_by_operation_and_outcome_with_their_duration(
    adapter: tuple[Metrics, Reader],
) -> None:
    metrics, read = adapter

    metrics.stripe_request("POST /v1/customers", "server_error", 0.2)
    metrics.stripe_request("POST /v1/customers", "ok", 0.1)
    metrics.stripe_request("GET /v1/prices/{id}", "network_error", 15.0)

    assert read.stripe("POST /v1/customers", "ok") == 1
    assert read.stripe("POST /v1/customers", "server_error") == 1
    assert read.stripe("GET /v1/prices/{id}", "network_error") == 1
    count, total = read.stripe_seconds("POST /v1/customers")
    assert (count, round(total, 6)) == (2, 0.3)


def test_cache_reads_are_counted_by_cache_and_result(adapter: tuple[Metrics, Reader]) -> None:
    metrics, read = adapter

    for result in ("miss", "hit", "hit", "stale"):
        metrics.cache_request("products", result)  # type: ignore[arg-type]
    metrics.cache_request("coupons", "miss")

    assert [read.cache("products", r) for r in ("hit", "miss", "stale")] == [2, 1, 1]
    assert read.cache("coupons", "miss") == 1
    assert read.cache("coupons", "hit") == 0


def test_emails_are_counted_by_kind_and_outcome(adapter: tuple[Metrics, Reader]) -> None:
    metrics, read = adapter

    metrics.email_sent("order-confirmation", "failed")
    metrics.email_sent("order-confirmation", "sent")

    assert read.emails("order-confirmation", "sent") == 1
    assert read.emails("order-confirmation", "failed") == 1
    assert read.emails("trial-ending", "sent") == 0
