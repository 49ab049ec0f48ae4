from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Backlog:
    """What is waiting for an operator or a retry, across every worker (the database's view)."""

    failed_events: int  # stored webhook events whose handling failed (replayed by Stripe or `billing events replay`)
    pending_effects: int  # outbox effects not done yet: in flight, failed, or waiting for the sweeper


class BacklogCounter(Protocol):
    """Counts the backlog, cheaply enough to run on every metrics scrape: each count reads only the
    rows in that state (an index on the state column), never a scan of the whole table.

    Raises `application.errors.StorageUnavailable` when the database does not answer.
    """

    async def count(self) -> Backlog: ...
