from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from application.errors import ApplicationError
from application.reconciliation.reconciler import Drift, Reconciler


@dataclass(slots=True)
class SyncReport:
    checked: int = 0
    drifts: list[Drift] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # reconcilers that could not run, and why

    @property
    def repaired(self) -> int:
        return sum(d.repaired for d in self.drifts)

    @property
    def summary(self) -> str:
        return f"checked {self.checked}, drifted {len(self.drifts)}, repaired {self.repaired}"


@dataclass(frozen=True, slots=True)
class Reconcilers:
    """Every reconciler, in the order they run: customers first (a link lets the others find a
    subscription's or an invoice's user), then the objects that hang from customers; open orders
    before their refunds and disputes (an order captured only at Stripe is then checked for them)."""

    all: Sequence[Reconciler]


class SyncWithStripe:
    """`billing sync [--dry-run]`: run every reconciler, collect its drifts. A reconciler that
    cannot read Stripe (or the database) is reported and the others still run."""

    def __init__(self, reconcilers: Reconcilers) -> None:
        self._reconcilers = reconcilers.all

    async def execute(self, *, dry_run: bool = False) -> SyncReport:
        report = SyncReport()
        for reconciler in self._reconcilers:
            try:
                done = await reconciler.reconcile(repair=not dry_run)
            except ApplicationError as exc:
                report.failures.append(f"{reconciler.name}: {exc.detail}")
                continue
            report.checked += done.checked
            report.drifts.extend(done.drifts)
        return report
