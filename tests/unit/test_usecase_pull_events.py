"""PullEvents on the fakes: missed events run through the service's own pipeline, oldest first,
stored ones skipped, from a little before the newest stored event, one worker at a time."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.in_memory.event_log import InMemoryEventLog
from adapters.in_memory.event_source import InMemoryEventSource
from adapters.in_memory.payment_account import InMemoryPaymentAccount
from adapters.in_process.cache import InMemoryCache
from adapters.in_process.job_lock import InProcessJobLock
from application.errors import StorageUnavailable
from application.event_log.pull_events import OVERLAP, PULL_JOB, PullEvents
from application.ports.event_source import RETENTION
from application.webhooks.process_event import ProcessStripeEvent
from domain.webhook_event import EventStatus, WebhookEvent
from tests.support.container import FakeService, fake_service
from tests.support.stripe_events import event, stripe_object


@dataclass
class World:
    service: FakeService
    source: InMemoryEventSource
    lock: InProcessJobLock

    async def pull(self, since: Any = None) -> Any:
        process = await self.service.get(ProcessStripeEvent)
        account = InMemoryPaymentAccount()
        log = InMemoryEventLog(self.service.store)
        return await PullEvents(self.source, log, process, self.lock, account, self.service.clock).execute(since)

    def at_stripe(self, event_id: str, minutes_ago: float, event_type: str = "product.updated") -> dict[str, Any]:
        created = int((self.service.clock.now() - timedelta(minutes=minutes_ago)).timestamp())
        payload = event(event_type, stripe_object("product"), event_id=event_id, created=created)
        self.source.add(payload)
        return payload

    def delivered(self, payload: dict[str, Any]) -> None:
        """The webhook got this one: it is stored, processed."""
        created = datetime.fromtimestamp(payload["created"], UTC)
        stored = WebhookEvent(payload["id"], payload["type"], created, json.dumps(payload).encode())
        self.service.store.events[stored.id] = stored.processed(self.service.clock.now())


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with fake_service() as service:
        yield World(service, InMemoryEventSource(service.clock, page_size=2), InProcessJobLock())


async def test_missed_events_run_oldest_first_and_delivered_ones_are_skipped(world: World) -> None:
    world.delivered(world.at_stripe("evt_a", minutes_ago=30))
    world.at_stripe("evt_b", minutes_ago=20)
    world.delivered(world.at_stripe("evt_c", minutes_ago=10))
    world.at_stripe("evt_d", minutes_ago=5, event_type="coupon.created")
    world.at_stripe("evt_not_handled", minutes_ago=4, event_type="customer.created")

    report = await world.pull()

    assert [(p.id, p.outcome) for p in report.new] == [("evt_b", "processed"), ("evt_d", "processed")]
    assert report.summary == "pulled 4, new 2, failed 0"
    assert world.service.store.events["evt_b"].status is EventStatus.PROCESSED
    assert "evt_not_handled" not in world.service.store.events
    assert world.source.requests == 2  # 4 handled events, 2 a page
    again = await world.pull()
    assert (again.listed, again.new) == (4, [])


async def test_the_default_start_is_an_overlap_before_the_newest_stored_event(world: World) -> None:
    world.delivered(world.at_stripe("evt_newest", minutes_ago=60 * 24))
    world.at_stripe("evt_long_before", minutes_ago=60 * 24 + OVERLAP.total_seconds() / 60 + 5)
    world.at_stripe("evt_just_before", minutes_ago=60 * 24 + 5)

    report = await world.pull()

    assert [p.id for p in report.new] == ["evt_just_before"]
    assert report.since == world.service.store.events["evt_newest"].created - OVERLAP


async def test_with_nothing_stored_a_pull_reaches_back_as_far_as_stripe_keeps_events(world: World) -> None:
    world.at_stripe("evt_29_days", minutes_ago=29 * 24 * 60)

    report = await world.pull()

    assert [p.id for p in report.new] == ["evt_29_days"]
    assert report.since is not None and world.service.clock.now() - report.since < RETENTION


async def test_an_explicit_start_before_stripes_30_days_is_brought_within_them(world: World) -> None:
    report = await world.pull(world.service.clock.now() - timedelta(days=90))

    assert report.since is not None and world.service.clock.now() - report.since < RETENTION


async def test_a_second_worker_skips_while_one_is_pulling(world: World) -> None:
    world.at_stripe("evt_waiting", minutes_ago=1)

    async with world.lock.hold(PULL_JOB):
        skipped = await world.pull()

    assert (skipped.skipped, skipped.summary, skipped.new) == (True, "skipped: another worker is pulling", [])
    assert world.source.requests == 0
    assert [p.id for p in (await world.pull()).new] == ["evt_waiting"]


class DownCache(InMemoryCache):
    async def invalidate_tags(self, tags: Iterable[str]) -> None:
        raise StorageUnavailable("the cache is down")


async def test_an_event_whose_handler_fails_is_stored_failed_counted_and_left_for_replay(world: World) -> None:
    world.service.fakes.cache = DownCache(world.service.clock)  # before anything asks for the cache
    world.at_stripe("evt_fails", minutes_ago=1)

    report = await world.pull()
    again = await world.pull()

    assert [(p.id, p.outcome) for p in report.new] == [("evt_fails", "failed")]
    assert report.summary == "pulled 1, new 1, failed 1"
    assert world.service.store.events["evt_fails"].status is EventStatus.FAILED
    assert again.new == []  # stored: `billing events replay` runs it again, not the pull
