"""The composition root: which adapter serves each port, chosen in one place from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dishka import Provider

from entrypoints.observability import observability_providers
from entrypoints.operations_providers import OperationsProvider
from entrypoints.providers import (
    CoreProvider,
    InProcessProvider,
    LogEmailProvider,
    RedisProvider,
    SmtpEmailProvider,
    StripeProvider,
    UseCaseProvider,
)
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from adapters.opentelemetry.tracing import OpenTelemetryTracing


def providers_for(settings: Settings, tracing: OpenTelemetryTracing | None = None) -> list[Provider]:
    return [
        *observability_providers(settings, tracing),
        CoreProvider(),
        StripeProvider(),
        RedisProvider() if settings.redis_url else InProcessProvider(),
        SmtpEmailProvider() if settings.smtp_url else LogEmailProvider(),
        UseCaseProvider(),
        OperationsProvider(),
    ]
