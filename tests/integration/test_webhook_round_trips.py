"""Issue 18: what a delivery costs the database, counted on PostgreSQL's driver path through the
webhook route — round trips (asyncpg calls: each one a request and its answer) and pool checkouts.

A webhook's CPU per event follows its round trips (bench/README.md, "Why the code looks as it
does"); these counts are the floor the store-first contract leaves with one statement per round
trip: the store committed on its own, then BEGIN, the claim, the handler's statements, COMMIT. A
change that adds one shows up here before it shows up, within the noise, in the bench."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.webhook_support import Harness, HarnessFactory, dashboard_capture, intent_event
from tests.support.databases import FAST_PATH

pytest_plugins = ["tests.integration.webhook_support"]
pytestmark = pytest.mark.skipif(not FAST_PATH, reason="counts the driver path (DATABASE_FAST_PATH=true)")


@dataclass
class Counted:
    round_trips: list[str] = field(default_factory=list)
    checkouts: int = 0


@contextlib.contextmanager
def counting(h: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Counted]:
    counted = Counted()

    def wrap(name: str) -> None:
        original = getattr(asyncpg.Connection, name)

        async def counting_call(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
            counted.round_trips.append(query.split(None, 1)[0].upper())
            return await original(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.Connection, name, counting_call)

    for name in ("execute", "fetch", "fetchrow", "fetchval", "prepare"):
        wrap(name)
    engine: AsyncEngine = h.client.blocking_portal.call(h.app.state.dishka_container.get, AsyncEngine)

    def checked_out(*_: object) -> None:
        counted.checkouts += 1

    event.listen(engine.sync_engine.pool, "checkout", checked_out)
    try:
        yield counted
    finally:
        event.remove(engine.sync_engine.pool, "checkout", checked_out)
        monkeypatch.undo()


async def test_round_trips_and_checkouts_per_delivery(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_harness() as h:
        _, session_id = await h.checkout("user_a")
        intent_id = h.gateway.authorize(session_id).id
        authorized = intent_event("payment_intent.amount_capturable_updated", h.gateway, intent_id)

        with counting(h, monkeypatch) as new:
            await h.deliver_ok(authorized)
        with counting(h, monkeypatch) as duplicate:
            await h.deliver_ok(authorized)
        dashboard_capture(h.gateway, intent_id)
        with counting(h, monkeypatch) as capture:
            await h.deliver_ok(intent_event("payment_intent.succeeded", h.gateway, intent_id))

    # store; BEGIN, claim, the order read for update, its save, COMMIT
    assert (new.round_trips, new.checkouts) == (["WITH", "BEGIN", "UPDATE", "SELECT", "UPDATE", "COMMIT"], 1)
    # a duplicate of an event already done: answered by the store's one statement
    assert (duplicate.round_trips, duplicate.checkouts) == (["WITH"], 1)
    # the same and the two effects recorded before COMMIT; after it, performed and marked done by one
    # statement on a connection of their own
    assert capture.round_trips == ["WITH", "BEGIN", "UPDATE", "SELECT", "UPDATE", "INSERT", "COMMIT", "UPDATE"]
    assert capture.checkouts == 2
