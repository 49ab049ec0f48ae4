"""What `billing sync` is made of: one reconciler per family of objects, behind one small interface.

A reconciler reads its stored objects and Stripe's current ones in bulk (list endpoints, a request
per page), and repairs each difference through the same use case a webhook would use (the order
state machine, the subscription sync, the outbox's exactly-once effects), one object at a time
under that object's lock. With `repair=False` (`--dry-run`) it only reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Drift:
    """One stored object that disagrees with Stripe. `change` reads `authorized -> captured`."""

    kind: str  # order, subscription, customer, …
    subject: str  # the stored object's id
    change: str
    repaired: bool = False
    why_not: str | None = None  # when it could not be repaired here

    def as_repaired(self) -> Drift:
        return replace(self, repaired=True)

    def unrepaired(self, why: str) -> Drift:
        """The same difference, left as it is: `why` it could not be repaired here."""
        return replace(self, why_not=why)

    @property
    def line(self) -> str:
        return f"{self.kind} {self.subject} {self.change}" + (
            f" (not repaired: {self.why_not})" if self.why_not else ""
        )


@dataclass(slots=True)
class Reconciled:
    checked: int = 0  # stored objects compared
    drifts: list[Drift] = field(default_factory=list)


class Reconciler(Protocol):
    name: str  # what it compares, for messages: "orders", "subscriptions", …

    async def reconcile(self, *, repair: bool) -> Reconciled:
        """Compare every stored object of the family with Stripe's; repair unless `repair` is
        False. Raises the payment gateway's errors when Stripe cannot be listed (nothing is
        repaired from a partial listing)."""
        ...
