"""`Metrics` for use-case tests: counts what was recorded, by label values, for tests to assert on."""

from __future__ import annotations

from collections import Counter, defaultdict

from application.ports.metrics import CacheResult, EmailOutcome, StripeOutcome, WebhookOutcome


class InMemoryMetrics:
    def __init__(self) -> None:
        self.webhooks: Counter[tuple[str, str]] = Counter()  # (type, outcome) → count
        self.webhook_seconds: defaultdict[str, list[float]] = defaultdict(list)  # type → durations
        self.stripe: Counter[tuple[str, str]] = Counter()  # (operation, outcome) → count
        self.stripe_seconds: defaultdict[str, list[float]] = defaultdict(list)  # operation → durations
        self.cache: Counter[tuple[str, str]] = Counter()  # (cache, result) → count
        self.emails: Counter[tuple[str, str]] = Counter()  # (kind, outcome) → count

    def webhook_handled(self, event_type: str, outcome: WebhookOutcome, seconds: float) -> None:
        self.webhooks[event_type, outcome] += 1
        self.webhook_seconds[event_type].append(seconds)

    def stripe_request(self, operation: str, outcome: StripeOutcome, seconds: float) -> None:
        self.stripe[operation, outcome] += 1
        self.stripe_seconds[operation].append(seconds)

    def cache_request(self, cache: str, result: CacheResult) -> None:
        self.cache[cache, result] += 1

    def email_sent(self, kind: str, outcome: EmailOutcome) -> None:
        self.emails[kind, outcome] += 1

    def label_values(self) -> set[str]:
        """Every label value recorded so far (for tests that no user id or address ever is one)."""
        keys = [*self.webhooks, *self.stripe, *self.cache, *self.emails]
        return {value for key in keys for value in key}
