"""The operators' event log: ListEvents and ReplayEvent on the fakes, and `last_error` as shown."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.in_memory.clock import ManualClock
from adapters.in_memory.event_log import InMemoryEventLog
from adapters.in_memory.unit_of_work import InMemoryStore
from adapters.in_process.cache import InMemoryCache
from application.errors import NotFound, StorageUnavailable, ValidationFailed
from application.event_log.error_summary import MAX_LENGTH, error_summary
from application.event_log.list_events import ListEvents
from application.event_log.replay_event import ReplayEvent
from application.webhooks.process_event import ProcessStripeEvent
from domain.webhook_event import EventStatus, WebhookEvent
from tests.support.container import Fakes, fake_service
from tests.support.stripe_events import event, stripe_object
from tests.unit.factories import T0


class SwitchableCache(InMemoryCache):
    """The catalog cache, down until told otherwise; counts the invalidations that went through."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.down = True
        self.invalidations = 0

    async def invalidate_tags(self, tags: Iterable[str]) -> None:
        if self.down:
            raise StorageUnavailable("the cache is down")
        self.invalidations += 1
        await super().invalidate_tags(tags)


def stored(event_id: str, status: EventStatus, *, minutes: int = 0, type: str = "product.updated") -> WebhookEvent:
    payload = event(type, stripe_object("product"), event_id=event_id)
    return WebhookEvent(
        event_id,
        type,
        T0,
        json.dumps(payload).encode(),
        status=status,
        received_at=T0 + timedelta(minutes=minutes),
    )


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


def log_with(store: InMemoryStore, *events: WebhookEvent) -> InMemoryEventLog:
    for e in events:
        store.events[e.id] = e
    return InMemoryEventLog(store)


async def test_the_log_lists_newest_received_first_filtered_by_status_and_type(store: InMemoryStore) -> None:
    log = log_with(
        store,
        stored("evt_old_failed", EventStatus.FAILED, minutes=1),
        stored("evt_processed", EventStatus.PROCESSED, minutes=2),
        stored("evt_new_failed", EventStatus.FAILED, minutes=3, type="price.updated"),
    )
    events = ListEvents(log)

    assert [e.id for e in await events.execute()] == ["evt_new_failed", "evt_processed", "evt_old_failed"]
    assert [e.id for e in await events.execute(status="failed")] == ["evt_new_failed", "evt_old_failed"]
    assert [e.id for e in await events.execute(status="failed", type="product.updated")] == ["evt_old_failed"]
    assert [e.id for e in await events.execute(limit=1)] == ["evt_new_failed"]


@pytest.mark.parametrize(("status", "limit", "key"), [("paid", 50, "status"), (None, 0, "limit"), (None, 501, "limit")])
async def test_a_bad_filter_is_a_validation_error_naming_it(
    store: InMemoryStore, status: str | None, limit: int, key: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await ListEvents(InMemoryEventLog(store)).execute(status=status, limit=limit)

    assert refused.value.errors[0]["key"] == key


@contextlib.asynccontextmanager
async def replaying(store: InMemoryStore, *, cache_down: bool) -> AsyncIterator[tuple[ReplayEvent, SwitchableCache]]:
    """ReplayEvent over the service's own pipeline, wired on the fakes around `store`."""
    fakes = Fakes(store=store)
    cache = SwitchableCache(fakes.clock)
    cache.down = cache_down
    fakes.cache = cache
    async with fake_service(fakes) as service:
        yield ReplayEvent(await service.get(ProcessStripeEvent), InMemoryEventLog(store)), cache


async def test_replaying_a_failed_event_runs_its_handler_and_returns_it_processed(store: InMemoryStore) -> None:
    log_with(store, replace(stored("evt_replay", EventStatus.FAILED), attempts=1, last_error="RuntimeError: down"))

    async with replaying(store, cache_down=False) as (replay, cache):
        replayed = await replay.execute("evt_replay")

    assert (replayed.status, replayed.attempts, replayed.last_error) == (EventStatus.PROCESSED, 2, None)
    assert cache.invalidations == 1


async def test_replaying_a_processed_event_repeats_nothing(store: InMemoryStore) -> None:
    log_with(store, replace(stored("evt_done", EventStatus.PROCESSED), attempts=1))

    async with replaying(store, cache_down=False) as (replay, cache):
        replayed = await replay.execute("evt_done")

    assert (replayed.status, replayed.attempts) == (EventStatus.PROCESSED, 1)
    assert cache.invalidations == 0


async def test_a_replay_that_fails_again_returns_the_event_failed_with_its_error(store: InMemoryStore) -> None:
    log_with(store, replace(stored("evt_again", EventStatus.FAILED), attempts=1, last_error="RuntimeError: x"))

    async with replaying(store, cache_down=True) as (replay, _):
        replayed = await replay.execute("evt_again")

    assert (replayed.status, replayed.attempts) == (EventStatus.FAILED, 2)
    assert replayed.last_error is not None and "the cache is down" in replayed.last_error


async def test_replaying_an_unknown_event_is_not_found(store: InMemoryStore) -> None:
    async with replaying(store, cache_down=False) as (replay, _):
        with pytest.raises(NotFound):
            await replay.execute("evt_nowhere")


@pytest.mark.parametrize(
    ("stored_error", "shown"),
    [
        (None, None),
        ("PaymentProviderUnavailable: Stripe timed out", "PaymentProviderUnavailable: Stripe timed out"),
        ("KeyError: 'x'\nTraceback (most recent call last):\n  File …", "KeyError: 'x'"),
        ("AuthenticationError: Invalid API Key: sk_live_51Habc123", "AuthenticationError: Invalid API Key: ***"),
        ("bad signature for whsec_abcDEF123 header", "bad signature for whsec_*** header"),
        ("OSError: redis://:hunter2@cache.internal:6379 refused", "OSError: redis://***@cache.internal:6379 refused"),
        ("HTTPError: Authorization: Bearer eyJhbGciOi.abc.def", "HTTPError: Authorization: Bearer ***"),
    ],
    ids=["none", "plain", "first-line", "stripe-key", "webhook-secret", "url-password", "bearer-token"],
)
def test_last_error_is_one_line_without_secrets(stored_error: str | None, shown: str | None) -> None:
    assert error_summary(stored_error) == shown


def test_a_long_last_error_is_cut_to_one_short_line() -> None:
    summary = error_summary("ValueError: " + "x" * 1000)

    assert summary is not None
    assert len(summary) == MAX_LENGTH
    assert summary.endswith("…")
