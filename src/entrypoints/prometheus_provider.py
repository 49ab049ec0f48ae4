"""METRICS_ENABLED: Prometheus records the metrics, `/metrics` shows them with the backlog gauges."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.backlog import SqlAlchemyBacklogCounter
from adapters.prometheus.exposition import PrometheusExposition, create_prometheus
from adapters.prometheus.metrics import PrometheusMetrics
from application.metrics.report_metrics import ReportMetrics
from application.ports.backlog import BacklogCounter
from application.ports.metrics import Metrics, MetricsExposition


@dataclass(frozen=True, slots=True)
class _Prometheus:
    metrics: PrometheusMetrics
    exposition: PrometheusExposition


class PrometheusProvider(Provider):
    @provide(scope=Scope.APP)
    def prometheus(self) -> Iterator[_Prometheus]:
        prometheus = _Prometheus(*create_prometheus())
        yield prometheus
        # At close: what this process counted since the last flush (a CLI command's recordings, a
        # worker's last second; the HTTP app's lifespan flushes too).
        prometheus.metrics.flush()

    @provide(scope=Scope.APP)
    def metrics(self, prometheus: _Prometheus) -> Metrics:
        return prometheus.metrics

    @provide(scope=Scope.APP)
    def exposition(self, prometheus: _Prometheus) -> MetricsExposition:
        return prometheus.exposition

    @provide(scope=Scope.APP)
    def backlog(self, engine: AsyncEngine) -> BacklogCounter:
        return SqlAlchemyBacklogCounter(engine)

    report = provide(ReportMetrics, scope=Scope.APP)
