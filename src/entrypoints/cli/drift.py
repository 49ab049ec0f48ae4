"""`billing sync` and `billing events pull`: converge on Stripe's truth. One line per finding and a
summary line; never a secret."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from application.errors import ApplicationError
from application.event_log.pull_events import PullEvents
from application.reconciliation.sync_with_stripe import SyncWithStripe
from entrypoints.cli.operations import request_scope
from entrypoints.settings import Settings


async def sync(settings: Settings, *, dry_run: bool) -> int:
    async with request_scope(settings) as scope:
        report = await (await scope.get(SyncWithStripe)).execute(dry_run=dry_run)
    for drift in report.drifts:
        print(drift.line)
    for failure in report.failures:
        print(f"FAIL  {failure}")
    print(report.summary + (" (dry run: nothing changed)" if dry_run else ""))
    return 1 if report.failures else 0


def pull_start(since: str | None, hours: float | None) -> datetime | None:
    """`--since ISO8601` (UTC unless it says otherwise) or `--hours N`; None: the default start."""
    if since is not None:
        parsed = datetime.fromisoformat(since)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if hours is not None:
        return datetime.now(UTC) - timedelta(hours=hours)
    return None


async def pull(settings: Settings, *, since: datetime | None) -> int:
    try:
        async with request_scope(settings) as scope:
            report = await (await scope.get(PullEvents)).execute(since)
    except ApplicationError as exc:
        print(f"FAIL  events pull: {exc.detail}")
        return 1
    for pulled in report.new:
        print(f"{pulled.id}\t{pulled.type}\t{pulled.outcome}")
    print(report.summary)
    return 1 if report.failed else 0
