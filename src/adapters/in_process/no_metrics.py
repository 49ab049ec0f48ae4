"""`Metrics` when METRICS_ENABLED=false: records nothing, costs a method call."""

from __future__ import annotations

from application.ports.metrics import CacheResult, EmailOutcome, StripeOutcome, WebhookOutcome


class NoMetrics:
    def webhook_handled(self, event_type: str, outcome: WebhookOutcome, seconds: float) -> None:
        pass

    def stripe_request(self, operation: str, outcome: StripeOutcome, seconds: float) -> None:
        pass

    def cache_request(self, cache: str, result: CacheResult) -> None:
        pass

    def email_sent(self, kind: str, outcome: EmailOutcome) -> None:
        pass
