"""`GET /metrics` (METRICS_ENABLED) and the HTTP request families, by Litestar's Prometheus
middleware: `billing_http_requests_total{method,path,status_code}` and its latency histogram, the
path being the route's template (`/api/orders/{order_id}`), never the raw path."""

from __future__ import annotations

from dishka import FromDishka
from litestar import Controller, Response, get
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig

from application.metrics.report_metrics import ReportMetrics

METRICS_PATH = "/metrics"


def http_metrics_middleware() -> DefineMiddleware:
    # Litestar's app-level middleware runs for routed requests only: an unknown path (404) is not
    # counted, so no label ever holds a path a client made up.
    return PrometheusConfig(app_name="billing", prefix="billing_http", group_path=True).middleware


class MetricsController(Controller):
    path = METRICS_PATH
    include_in_schema = False

    @get("/", summary="Prometheus metrics, summed over every worker")
    async def metrics(self, report: FromDishka[ReportMetrics]) -> Response[bytes]:
        page = await report.execute()
        return Response(page.body, headers={"Content-Type": page.content_type})
