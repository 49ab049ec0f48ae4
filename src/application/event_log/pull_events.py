from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.errors import ApplicationError
from application.ports.clock import Clock
from application.ports.event_log import EventLog
from application.ports.event_source import RETENTION, EventSource, ListedEvent
from application.ports.job_lock import JobLock
from application.ports.payment_account import PaymentAccount
from application.webhooks.dispatch import handled_event_patterns
from application.webhooks.process_event import Outcome, ProcessStripeEvent

log = logging.getLogger("billing.pull")

PULL_JOB = "events-pull"
# How far before the newest stored event a default pull starts: it must reach back past the last
# pull (so the periodic pull, every 15 minutes by default, misses nothing created since) and past
# Stripe's delivery delays. Events found again are skipped for one query per page.
OVERLAP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Pulled:
    """One event this pull stored and ran: `outcome` is processed, ignored or failed."""

    id: str
    type: str
    outcome: str


@dataclass(slots=True)
class PullReport:
    since: datetime | None = None
    listed: int = 0  # events of handled types Stripe listed
    new: list[Pulled] = field(default_factory=list)  # those the service had not stored: run now
    skipped: bool = False  # another worker was pulling: this one did nothing

    @property
    def failed(self) -> int:
        return sum(p.outcome == "failed" for p in self.new)

    @property
    def summary(self) -> str:
        if self.skipped:
            return "skipped: another worker is pulling"
        return f"pulled {self.listed}, new {len(self.new)}, failed {self.failed}"


class PullEvents:
    """`billing events pull` and the server's periodic pull: ask Stripe for the handled events it
    sent (`GET /v1/events`, at most its 30 days), and run each one the service never stored through
    the webhook pipeline (`ProcessStripeEvent.ingest`): stored first, the same handlers, the same
    exactly-once effects. Stored ones (delivered, or failed and left for replay) are skipped.

    One worker pulls at a time (`JobLock`); a second one finds the job taken and skips. Default
    start: `OVERLAP` before the newest stored event's `created` (none stored: all Stripe keeps).
    Missed events run oldest first, as Stripe would have delivered them.
    """

    def __init__(
        self,
        source: EventSource,
        log: EventLog,
        process: ProcessStripeEvent,
        lock: JobLock,
        account: PaymentAccount,
        clock: Clock,
    ) -> None:
        self._source = source
        self._log = log
        self._process = process
        self._lock = lock
        self._account = account
        self._clock = clock

    async def execute(self, since: datetime | None = None) -> PullReport:
        async with self._lock.hold(PULL_JOB) as mine:
            if not mine:
                return PullReport(skipped=True)
            report = PullReport(since=await self._start(since))
            missed = await self._missed(report)
            for event in missed:
                outcome = await self._run(event)
                if outcome is not None:  # None: stored meanwhile by a delivery
                    report.new.append(Pulled(event.id, event.type, outcome))
        if report.new:
            log.info("pulled missed events", extra={"new": len(report.new), "failed": report.failed})
        return report

    async def _start(self, since: datetime | None) -> datetime:
        oldest_kept = self._clock.now() - RETENTION + timedelta(minutes=1)
        if since is None:
            newest = await self._log.newest_created()
            since = newest - OVERLAP if newest is not None else oldest_kept
        return max(since, oldest_kept)

    async def _missed(self, report: PullReport) -> Sequence[ListedEvent]:
        assert report.since is not None
        types = self._account.event_types(handled_event_patterns())
        missed: list[tuple[int, ListedEvent]] = []
        async for page in self._source.pages(types, since=report.since):
            report.listed += len(page)
            stored = await self._log.stored(e.id for e in page)
            missed.extend((len(missed) + i, e) for i, e in enumerate(page) if e.id not in stored)
        # Stripe lists newest first: oldest first is by creation time, then reversed listing order.
        return [e for _, e in sorted(missed, key=lambda pair: (pair[1].created, -pair[0]))]

    async def _run(self, event: ListedEvent) -> str | None:
        try:
            outcome = await self._process.ingest(event.payload)
        except ApplicationError:  # stored as failed (or unreadable): for replay, or the next pull
            return "failed"
        return None if outcome is Outcome.DUPLICATE else outcome.value
