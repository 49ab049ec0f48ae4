"""Traces (contract §2 OTEL_EXPORTER_OTLP_ENDPOINT, §5 Observability), read with the OpenTelemetry
SDK's in-memory exporter in place of the OTLP one: a span per HTTP request named by its route, and
under it the SQL (SQLite through SQLAlchemy, PostgreSQL through asyncpg), Redis, Stripe and SMTP
spans; log lines carry the trace id. Without the variable no tracing code is loaded at all."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, format_trace_id

from entrypoints.http.app import create_app
from entrypoints.logging_setup import configure_logging
from entrypoints.settings import load_settings
from sandbox import Sandbox
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, stripe_env
from tests.support.service import ROOT, free_port
from tests.support.tokens import TokenMinter

COLLECTOR = "http://127.0.0.1:4318"  # never reached: the in-memory exporter replaces the OTLP one
BUYER, BUYER_EMAIL = "user_traced", "traced.buyer@buyers.example"


class _Inbox:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, _server: object, _session: object, _envelope: object) -> str:
        self.count += 1
        return "250 OK"


@contextlib.contextmanager
def smtp_url() -> Iterator[str]:
    port = free_port()
    controller = Controller(_Inbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def traced_env(
    sandbox: tuple[Sandbox, str], minter: TokenMinter, database_url: str, redis_url: str
) -> Iterator[dict[str, str]]:
    """The service on the sandbox with Redis, SMTP and an OTLP endpoint."""
    sb, stripe_url = sandbox
    with smtp_url() as smtp:
        yield stripe_env(
            sb,
            stripe_url,
            minter,
            database_url,
            REDIS_URL=redis_url,
            SMTP_URL=smtp,
            OTEL_EXPORTER_OTLP_ENDPOINT=COLLECTOR,
        )


def server_span(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.kind is SpanKind.SERVER and s.name == name]
    assert len(found) == 1, sorted(s.name for s in spans if s.kind is SpanKind.SERVER)
    return found[0]


def in_trace(spans: list[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    assert root.context is not None
    return [s for s in spans if s.context is not None and s.context.trace_id == root.context.trace_id]


@pytest.mark.redis
@pytest.mark.usefixtures("restore_logging")
async def test_a_request_is_one_trace_with_its_sql_redis_stripe_and_smtp_spans(
    sandbox: tuple[Sandbox, str],
    minter: TokenMinter,
    traced_env: dict[str, str],
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    exporter = InMemorySpanExporter()
    settings = load_settings(traced_env, env_file=None)
    configure_logging("INFO", "json")
    async with AsyncTestClient(app=create_app(settings, sweep_effects=None, span_exporter=exporter)) as client:
        stack = Stack(*sandbox, client, minter, settings)
        stack.skip_pending_events()
        order = await stack.paid_order(BUYER)
        captured = await stack.client.post(
            f"/api/admin/orders/{order['id']}/capture", headers={**stack.admin(), "X-Request-ID": "req-traced"}
        )
    assert captured.status_code == 200, captured.text
    spans = list(exporter.get_finished_spans())  # the app's shutdown flushed its batch of spans

    capture = server_span(spans, "POST /api/admin/orders/{order_id}/capture")
    assert capture.attributes is not None and capture.context is not None
    assert capture.attributes["http.route"] == "/api/admin/orders/{order_id}/capture"
    assert capture.attributes["http.request.header.x-request-id"] == "req-traced"
    children = in_trace(spans, capture)
    assert any(_calls_stripe(s, "/v1/payment_intents/") for s in children), [s.name for s in children]
    assert any(s.name == "smtp send" for s in children), [s.name for s in children]
    assert any(_is_sql(s, database_url) for s in children), [s.name for s in children]
    checkout = server_span(spans, "POST /api/stripe/checkout")  # its rate limit lives in Redis
    assert any((s.attributes or {}).get("db.system") == "redis" for s in in_trace(spans, checkout))
    webhook = next(s for s in spans if s.name == "webhook checkout.session.completed")
    delivery = next(
        s for s in spans if s.context is not None and s.context.span_id == (webhook.parent or capture.context).span_id
    )
    assert delivery.name == "POST /api/webhooks/stripe"
    assert (webhook.attributes or {}).get("stripe.event_type") == "checkout.session.completed"
    trace_id = format_trace_id(capture.context.trace_id)
    logged = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert any(r.get("request_id") == "req-traced" and r.get("trace_id") == trace_id for r in logged), logged


def _calls_stripe(span: ReadableSpan, path: str) -> bool:
    attributes = span.attributes or {}
    url = str(attributes.get("url.full") or attributes.get("http.url") or "")
    return span.kind is SpanKind.CLIENT and path in url and "?" not in url


def _is_sql(span: ReadableSpan, database_url: str) -> bool:
    system = (span.attributes or {}).get("db.system") or (span.attributes or {}).get("db.system.name")
    return system == ("postgresql" if database_url.startswith("postgresql") else "sqlite")


def test_without_an_otlp_endpoint_no_tracing_code_is_loaded_and_no_library_is_patched() -> None:
    # A fresh interpreter: this test process has loaded the SDK for the tests above.
    script = textwrap.dedent(
        """
        import sys
        import aiohttp, asyncpg
        from entrypoints.http.app import create_app
        from entrypoints.settings import load_settings

        settings = load_settings(
            {"DATABASE_URL": "sqlite+aiosqlite:///:memory:", "STRIPE_SECRET_KEY": "sk_test_x"}, env_file=None
        )
        app = create_app(settings)
        tracing = [
            name for name in sys.modules
            if name.startswith(("opentelemetry.sdk.trace", "opentelemetry.exporter", "adapters.opentelemetry",
                                "entrypoints.tracing"))
            or name.startswith("opentelemetry.instrumentation.") and not name.startswith(
                ("opentelemetry.instrumentation.asgi", "opentelemetry.instrumentation._semconv",
                 "opentelemetry.instrumentation.utils", "opentelemetry.instrumentation.propagators",
                 "opentelemetry.instrumentation.version", "opentelemetry.instrumentation.dependencies"))
        ]
        patched = [f for f in (aiohttp.ClientSession.__init__, asyncpg.connection.Connection.execute)
                   if hasattr(f, "__wrapped__")]
        print(tracing, patched)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[] []", result.stdout + result.stderr


def test_with_metrics_disabled_prometheus_is_not_loaded() -> None:
    script = textwrap.dedent(
        """
        import sys
        from entrypoints.http.app import create_app
        from entrypoints.settings import load_settings

        settings = load_settings({"DATABASE_URL": "sqlite+aiosqlite:///:memory:", "STRIPE_SECRET_KEY": "sk_test_x",
                                  "METRICS_ENABLED": "false"}, env_file=None)
        create_app(settings)
        print(sorted(name for name in sys.modules if name.startswith(("prometheus_client", "adapters.prometheus"))))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )

    assert result.stdout.strip() == "[]", result.stdout + result.stderr
