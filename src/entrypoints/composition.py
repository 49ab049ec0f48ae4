"""The composition root: which adapter serves each port, chosen in one place from settings."""

from __future__ import annotations

from dishka import Provider

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


def providers_for(settings: Settings) -> list[Provider]:
    return [
        CoreProvider(),
        StripeProvider(),
        RedisProvider() if settings.redis_url else InProcessProvider(),
        SmtpEmailProvider() if settings.smtp_url else LogEmailProvider(),
        UseCaseProvider(),
        OperationsProvider(),
    ]
