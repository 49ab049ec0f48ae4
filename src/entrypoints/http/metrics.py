"""`GET /metrics` (METRICS_ENABLED) and the HTTP request families through Litestar's Prometheus
integration: `billing_http_requests_total{method,path,status_code}`, its latency histogram and the
5xx counter, the path being the route's template (`/api/orders/{order_id}`), never the raw path.

The requests are counted in process and written to prometheus-client's values about every second
(`flushing_every`), before this process renders `/metrics`, and at shutdown: a scrape sees the
worker that answers it at once, the other workers' requests up to ~1 s late."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from dishka import FromDishka
from litestar import Controller, Litestar, Response, get
from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusConfig, PrometheusMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.metrics.report_metrics import ReportMetrics

METRICS_PATH = "/metrics"

log = logging.getLogger("billing.metrics")


class PendingRecordings(Protocol):
    """Where the requests are counted until the next flush (`adapters.prometheus.pending`)."""

    def inc(self, counter: Any, amount: float = 1.0) -> None: ...
    def inc_and_observe(self, counter: Any, histogram: Any, amount: float) -> None: ...
    def flush(self) -> None: ...


class HttpRequestMetrics:
    """Litestar's Prometheus families (`litestar.plugins.prometheus`: the same names, labels and
    buckets), recorded at a small part of the cost of its middleware.

    Each prometheus-client call in multiprocess mode takes a lock and writes to a memory-mapped
    file: Litestar's middleware makes nine per request (five label lookups, the in-progress gauge
    up and down, the counter, the histogram), ~30 µs where a warm catalog read costs ~65 µs. Here
    the label children of each (method, route, status) are looked up once, a request is counted in
    `pending` (a few dict operations) and written with the others at the next flush, and there is
    no in-progress gauge (summed over workers it would also keep a dead worker's requests forever).

    It wraps the app's ASGI handler (as the request-id middleware does) rather than being one of
    Litestar's middleware, which adds an exception-handling layer and a per-request exclusion check
    (~3 µs). The route's template is read from the scope after the app ran: Litestar's router sets
    it on routed requests only, so an unknown path or method (404, 405) is not counted and no label
    ever holds a path a client made up.
    """

    def __init__(self, app: ASGIApp, pending: PendingRecordings) -> None:
        self._app = app
        self._pending = pending
        # Litestar's middleware as the factory of the families: one set per process, registered in
        # prometheus-client's default registry, as Litestar registers them.
        config = PrometheusConfig(app_name="billing", prefix="billing_http", group_path=True)
        self._families = PrometheusMiddleware(app, config)
        self._app_name = config.app_name
        self._children: dict[tuple[str, str, int], tuple[Any, Any, Any | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_noting_status)
        finally:
            route = scope.get("path_template")
            if route is not None:
                counter, latency, errors = self._labelled(scope["method"], route, status)
                self._pending.inc_and_observe(counter, latency, time.perf_counter() - started)
                if errors is not None:
                    self._pending.inc(errors)

    def _labelled(self, method: str, route: str, status: int) -> tuple[Any, Any, Any | None]:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:  # bounded: routes x methods x statuses
            labels: dict[str, str | int | float] = {
                "method": method, "path": route, "status_code": status, "app_name": self._app_name
            }  # fmt: skip
            values = list(labels.values())
            families = self._families
            errors = families.requests_error_count(labels).labels(*values) if status >= 500 else None
            counter = families.request_count(labels).labels(*values)
            children = (counter, families.request_time(labels).labels(*values), errors)
            self._children[key] = children
        return children


def flushing_every(
    seconds: float, pending: PendingRecordings
) -> Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]:
    """The app's lifespan part that writes `pending` to prometheus-client's values every
    `seconds` while the app runs, and once more at shutdown (after the server stopped taking
    requests), so a worker stopping in order loses no recording."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(_flush_every(seconds, pending))
        try:
            yield
        finally:
            task.cancel()
            pending.flush()

    return lifespan


async def _flush_every(seconds: float, pending: PendingRecordings) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            pending.flush()
        except Exception:  # the flusher must outlive any single failure
            log.exception("metrics flush failed")


class MetricsController(Controller):
    path = METRICS_PATH
    include_in_schema = False

    @get("/", summary="Prometheus metrics, summed over every worker")
    async def metrics(self, report: FromDishka[ReportMetrics]) -> Response[bytes]:
        page = await report.execute()
        return Response(page.body, headers={"Content-Type": page.content_type})
