"""The invoice repository's contract, one test body run against the in-memory fake, SQLite and
PostgreSQL: invoices round-trip whole, replace by Stripe id, list per user newest first, and a row
read for update waits for the transaction that holds it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.ports.repositories import UnitOfWork
from domain.invoice import Invoice, InvoiceStatus
from tests.contract.conftest import LOCKING_PAIRS, UNITS_OF_WORK, Pair

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(params=UNITS_OF_WORK)
def uow(request: pytest.FixtureRequest) -> UnitOfWork:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture(params=LOCKING_PAIRS)
def pair(request: pytest.FixtureRequest) -> Pair:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def an_invoice(invoice_id: str, user_id: str = "user_1", *, days: int = 0, **changes: object) -> Invoice:
    invoice = Invoice(
        stripe_invoice_id=invoice_id,
        user_id=user_id,
        stripe_customer_id="cus_1",
        stripe_subscription_id="sub_1",
        number="ABC-0001",
        status=InvoiceStatus.OPEN,
        amount_due=1900,
        amount_paid=0,
        amount_remaining=1900,
        currency="usd",
        created_at=T0 + timedelta(days=days),
        period_start=T0 + timedelta(days=days),
        period_end=T0 + timedelta(days=days + 30),
        hosted_invoice_url=f"https://invoice.test/{invoice_id}",
        invoice_pdf=f"https://invoice.test/{invoice_id}/pdf",
        attempt_count=1,
        next_payment_attempt=T0 + timedelta(days=days + 3),
        action_required_attempt=1,
        as_of=T0 + timedelta(days=days, seconds=5),
    )
    return replace(invoice, **changes)  # type: ignore[arg-type]


async def test_an_invoice_round_trips_whole_and_saving_again_replaces_it(uow: UnitOfWork) -> None:
    first = an_invoice("in_1")
    paid = an_invoice(
        "in_1", status=InvoiceStatus.PAID, amount_paid=1900, amount_remaining=0, next_payment_attempt=None
    )
    async with uow:
        await uow.invoices.save(first)
        await uow.commit()
    async with uow:
        assert await uow.invoices.get("in_1") == first
        await uow.invoices.save(paid)
        await uow.commit()
    async with uow:
        assert await uow.invoices.get("in_1", for_update=True) == paid
        assert await uow.invoices.get("in_missing") is None


async def test_nullable_fields_stay_null(uow: UnitOfWork) -> None:
    bare = an_invoice(
        "in_draft",
        status=InvoiceStatus.DRAFT,
        number=None,
        hosted_invoice_url=None,
        invoice_pdf=None,
        attempt_count=0,
        next_payment_attempt=None,
        action_required_attempt=None,
        period_start=None,
        period_end=None,
        as_of=None,
    )
    async with uow:
        await uow.invoices.save(bare)
        await uow.commit()
    async with uow:
        assert await uow.invoices.get("in_draft") == bare


async def test_a_users_invoices_are_listed_newest_first_and_nobody_elses(uow: UnitOfWork) -> None:
    async with uow:
        await uow.invoices.save(an_invoice("in_old", days=0))
        await uow.invoices.save(an_invoice("in_new", days=60))
        await uow.invoices.save(an_invoice("in_mid", days=30))
        await uow.invoices.save(an_invoice("in_theirs", user_id="user_2", days=90))
        await uow.commit()
    async with uow:
        assert [i.stripe_invoice_id for i in await uow.invoices.list_for_user("user_1")] == [
            "in_new",
            "in_mid",
            "in_old",
        ]
        assert await uow.invoices.list_for_user("nobody") == []


async def test_a_rolled_back_invoice_is_not_stored(uow: UnitOfWork) -> None:
    async with uow:
        await uow.invoices.save(an_invoice("in_1"))
        await uow.rollback()
    async with uow:
        assert await uow.invoices.get("in_1") is None


async def test_an_invoice_read_for_update_waits_for_the_transaction_holding_it(pair: Pair) -> None:
    first, second = pair.first, pair.second
    async with first:
        await first.invoices.save(an_invoice("in_1", attempt_count=1))
        await first.commit()
    seen: list[int] = []
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold_then_retry() -> None:
        async with first:
            found = await first.invoices.get("in_1", for_update=True)
            assert found is not None
            locked.set()
            await release.wait()
            await first.invoices.save(replace(found, attempt_count=2))
            await first.commit()

    async def read_for_update() -> None:
        await locked.wait()
        async with second:
            found = await second.invoices.get("in_1", for_update=True)
            assert found is not None
            seen.append(found.attempt_count)
            await second.commit()

    holder, reader = asyncio.create_task(hold_then_retry()), asyncio.create_task(read_for_update())
    await locked.wait()
    await pair.until_one_waits()
    assert seen == []  # the reader waits for the lock
    release.set()
    await asyncio.gather(holder, reader)
    assert seen == [2]
