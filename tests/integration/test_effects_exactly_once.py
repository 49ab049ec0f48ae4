"""Exactly one confirmation e-mail per captured order, end to end on PostgreSQL: past the outbox
lease, whichever sweeper runs — the service's own loop or `billing effects run` — and when the
database connection dies between sending the e-mail and recording that it was sent."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg

from adapters.in_memory.clock import ManualClock
from adapters.in_memory.email import InMemoryEmailSender
from application.orders.confirmation import ORDER_CONFIRMATION
from application.outbox import LEASE_SECONDS
from application.ports.email import EmailMessage
from application.ports.repositories import Effect, UnitOfWork
from domain.order import OrderStatus
from tests.integration.webhook_support import (
    Harness,
    HarnessFactory,
    intent_event,
    smtp_server,
)
from tests.support.service import ROOT, clean_environ

pytest_plugins = ["tests.integration.webhook_support"]


async def _authorized(h: Harness, user_id: str) -> str:
    """A paid order awaiting review (funds held); returns its id."""
    order_id, session_id = await h.checkout(user_id)
    intent_id = h.gateway.authorize(session_id).id
    await h.deliver_ok(intent_event("payment_intent.amount_capturable_updated", h.gateway, intent_id))
    return order_id


async def _capture(h: Harness, order_id: str) -> int:
    response = await h.client.post(f"/api/admin/orders/{order_id}/capture", headers=h.headers("admin", role="admin"))
    return response.status_code


def _recorded_by_a_worker_that_died(h: Harness, order_id: str, clock: ManualClock) -> None:
    """A capture's confirmation, recorded (and leased) by a worker that died before sending it."""
    now = clock.now()
    effect = Effect(f"{ORDER_CONFIRMATION}:{order_id}", ORDER_CONFIRMATION, {"order_id": order_id}, now, attempts=1)

    async def record(uow: UnitOfWork) -> None:
        order = await uow.orders.get(order_id, for_update=True)
        assert order is not None
        await uow.orders.save(order.reach(OrderStatus.CAPTURED, now, payment_intent_id=order.payment_intent_id))
        await uow.effects.add_all_if_absent([effect], leased_until=now + timedelta(seconds=LEASE_SECONDS))
        await uow.commit()

    h.in_app_loop(record)


def _subjects(sent: list[EmailMessage]) -> list[str]:
    return sorted(message.subject for message in sent)


async def test_the_services_own_sweeper_past_the_lease_sends_what_a_dead_worker_left_and_nothing_twice(
    make_harness: HarnessFactory,
) -> None:
    clock = ManualClock(datetime.now(UTC))
    async with make_harness(clock=clock, sweep_effects=0.05) as h:
        captured, orphaned = await _authorized(h, "user_a"), await _authorized(h, "user_b")
        assert await _capture(h, captured) == 200
        _recorded_by_a_worker_that_died(h, orphaned, clock)
        await asyncio.sleep(0.3)  # several sweeps inside the lease: the orphan is still leased
        assert _subjects(h.email.sent) == [f"Your order {captured} is confirmed"]

        clock.advance(seconds=LEASE_SECONDS + 1)
        for _ in range(100):  # bounded: the loop sweeps every 0.05 s
            if len(h.email.sent) > 1:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # and a few sweeps more

    assert _subjects(h.email.sent) == sorted(
        [f"Your order {captured} is confirmed", f"Your order {orphaned} is confirmed"]
    )


def _billing(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args],
        env={**clean_environ(), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_billing_effects_run_past_the_lease_sends_what_a_dead_worker_left_and_nothing_twice(
    make_harness: HarnessFactory,
) -> None:
    # The command runs on the system's clock: the service's ran an hour behind, so its leases
    # have all expired by the time the command runs.
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=1))
    with smtp_server() as (inbox, smtp_url):
        async with make_harness(clock=clock, SMTP_URL=smtp_url) as h:
            captured, orphaned = await _authorized(h, "user_a"), await _authorized(h, "user_b")
            assert await _capture(h, captured) == 200
            _recorded_by_a_worker_that_died(h, orphaned, clock)
            env = {"DATABASE_URL": h.settings.database_url, "SMTP_URL": smtp_url, "STRIPE_SECRET_KEY": "sk_test_cli",
                   "STRIPE_API_BASE": "http://127.0.0.1:9"}  # fmt: skip

            first, second = _billing("effects", "run", env=env), _billing("effects", "run", env=env)

    assert (first.returncode, first.stdout) == (0, "1 effect(s) performed\n"), first.stderr
    assert (second.returncode, second.stdout) == (0, "0 effect(s) performed\n"), second.stderr
    assert sorted(str(m["Subject"]) for m in inbox.messages) == sorted(
        [f"Your order {captured} is confirmed", f"Your order {orphaned} is confirmed"]
    )


class OutageAfterSending:
    """Sends (to an in-memory sink), then the database goes away for a moment: every session of
    the service's is ended and no new one is accepted, as in a failover or a network cut."""

    def __init__(self, sink: InMemoryEmailSender, database_url: str, seconds: float) -> None:
        self._sink = sink
        parts = urlsplit(database_url.replace("+asyncpg", ""))
        self._server = f"{parts.scheme}://{parts.netloc}/postgres"
        self._database = parts.path.lstrip("/")
        self._seconds = seconds
        self.outages: list[asyncio.Task[None]] = []

    async def send(self, message: EmailMessage) -> None:
        await self._sink.send(message)
        if not self.outages:
            await self.allow(False)
            self.outages.append(asyncio.create_task(self._back_after_a_while()))

    async def _back_after_a_while(self) -> None:
        await asyncio.sleep(self._seconds)
        await self.allow(True)

    async def allow(self, allowed: bool) -> None:
        admin = await asyncpg.connect(self._server)
        try:
            await admin.execute(f'ALTER DATABASE "{self._database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", self._database
                )
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def _restored(sender: OutageAfterSending) -> AsyncIterator[None]:
    try:
        yield
    finally:  # whatever happened, the shared test database accepts connections again
        await sender.allow(True)


async def test_a_confirmation_sent_just_before_the_database_went_away_is_recorded_once_it_is_back_and_not_resent(
    make_harness: HarnessFactory, webhook_db_url: str
) -> None:
    clock = ManualClock(datetime.now(UTC))
    sink = InMemoryEmailSender()
    sender = OutageAfterSending(sink, webhook_db_url, seconds=1.0)
    async with _restored(sender), make_harness(clock=clock, email=sender) as h:
        order_id = await _authorized(h, "user_buyer")

        status = await _capture(h, order_id)  # sends, then the connection dies before the mark

        assert status == 200  # Stripe captured and the order was saved: the answer says so
        assert sender.outages and sender.outages[0].done()
        assert h.pending_effects(clock.now() + timedelta(days=1)) == []  # recorded done after all
        clock.advance(seconds=LEASE_SECONDS + 1)
        assert h.run_pending_effects() == 0
        assert (await h.order("user_buyer", order_id))["status"] == "captured"

    assert _subjects(sink.sent) == [f"Your order {order_id} is confirmed"]
