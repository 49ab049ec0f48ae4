"""The `/metrics` page: the `billing_*` families, Litestar's HTTP families and the backlog gauges,
in Prometheus's text format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from adapters.prometheus.metrics import PrometheusMetrics
from adapters.prometheus.multiprocess import multiprocess_dir
from adapters.prometheus.pending import PENDING, PendingSamples
from application.ports.backlog import Backlog
from application.ports.metrics import MetricsPage


class PrometheusExposition:
    # The classic text format: every Prometheus (and compatible scraper) reads it; the names here
    # need none of the newer format's escaping.
    content_type = CONTENT_TYPE_PLAIN_0_0_4

    def __init__(
        self, registry: CollectorRegistry | None, multiprocess_path: Path | None, pending: PendingSamples = PENDING
    ) -> None:
        self._registry = registry
        self._multiprocess_path = multiprocess_path
        self._pending = pending

    def render(self, backlog: Backlog | None) -> MetricsPage:
        """Every worker's values summed (multiprocess mode), else this process's: the app's registry
        and the default one (where Litestar's middleware registers, with process and GC figures).
        The backlog gauges are read from the database, the same from any worker, so they are added
        here rather than summed; None (the database did not answer) leaves them out.

        This process's recordings are written first, so the page shows every one of them; other
        workers' are up to ~1 s late (`pending.FLUSH_SECONDS`)."""
        self._pending.flush()
        extra = CollectorRegistry(auto_describe=False)
        if backlog is not None:
            extra.register(_BacklogCollector(backlog))
        if self._multiprocess_path is not None:
            MultiProcessCollector(extra, path=str(self._multiprocess_path))
            return MetricsPage(generate_latest(extra), self.content_type)
        own = generate_latest(self._registry) if self._registry is not None else b""
        return MetricsPage(own + generate_latest(REGISTRY) + generate_latest(extra), self.content_type)


class _BacklogCollector:
    def __init__(self, backlog: Backlog) -> None:
        self._backlog = backlog

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "billing_webhook_events_failed",
            "Stored webhook events whose handling failed (Stripe redelivers them; `billing events replay`).",
            value=self._backlog.failed_events,
        )
        yield GaugeMetricFamily(
            "billing_outbox_effects_pending",
            "Outbox effects (e-mails, Stripe metadata) not done yet: in flight, failed or waiting for a retry.",
            value=self._backlog.pending_effects,
        )


def create_prometheus() -> tuple[PrometheusMetrics, PrometheusExposition]:
    """The recorder and the page of one app, in multiprocess mode when `billing serve` set it up."""
    # `*_created` samples double the series of every counter and histogram for a value Prometheus
    # itself does not use (multiprocess mode never writes them).
    disable_created_metrics()
    path = multiprocess_dir()
    registry = None if path is not None else CollectorRegistry(auto_describe=True)
    return PrometheusMetrics(registry), PrometheusExposition(registry, path)
