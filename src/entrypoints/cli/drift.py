"""`billing sync` and `billing events pull`: converge on Stripe's truth. One line per finding and a
summary line; never a secret."""

from __future__ import annotations

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
