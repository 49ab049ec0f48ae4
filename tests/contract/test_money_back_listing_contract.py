"""The listings a reconciliation reads for money going back and invoices (refunds, disputes and
invoices created since a time), over the fake and `StripeListings` on the sandbox (pages of two, so
paging is exercised). Each test looks only at the objects it made."""

# ruff: noqa: F811 - the tests take the imported `side` fixture as their parameter, as pytest wants

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from application.errors import PaymentProviderUnavailable
from application.ports.payment_gateway import RefundRequest
from application.ports.stripe_objects import DisputeState, InvoiceState
from domain.invoice import InvoiceStatus
from domain.refund import DisputeStatus, RefundStatus
from tests.contract.test_payment_gateway_contract import (  # noqa: F401 - fake, sandbox…: the gateway contract's fixtures
    FakeStripe,
    SandboxStripe,
    StripeSide,
    _request,
    _shop,
    fake,
    sandbox,
    sandbox_server,
    side,
)
from tests.contract.test_refund_gateway_contract import _captured
from tests.contract.test_stripe_listings_contract import listings
from tests.support.invoice_events import invoice_state

SINCE = datetime.now(UTC) - timedelta(hours=1)


async def _refund(side: StripeSide, intent_id: str, amount: int, key: str) -> str:
    refund = await side.gateway.create_refund(RefundRequest(intent_id, amount, None, {}), idempotency_key=key)
    return refund.id


def _open_dispute(side: StripeSide, intent_id: str) -> str:
    if isinstance(side, FakeStripe):
        return side.gateway.refunds.open_dispute(side.gateway.intents[intent_id]).id
    assert isinstance(side, SandboxStripe)
    return str(side.sb.dashboard.open_dispute(intent_id)["id"])


def _close_dispute(side: StripeSide, dispute_id: str, outcome: DisputeStatus) -> None:
    if isinstance(side, FakeStripe):
        side.gateway.refunds.settle_dispute(dispute_id, outcome)
    else:
        assert isinstance(side, SandboxStripe)
        side.sb.dashboard.close_dispute(dispute_id, outcome.value)


async def _invoiced(side: StripeSide) -> str:
    """A paid first invoice of a subscription: the one Stripe makes at checkout (the fake makes none
    by itself: it is arranged as Stripe's state, like the fake's other invoices)."""
    shop = await _shop(side)
    if isinstance(side, FakeStripe):
        state = invoice_state("in_fake_first", shop.customer_id, user_id="user_1", status=InvoiceStatus.PAID)
        return side.gateway.add_invoice(replace(state, created=datetime.now(UTC).replace(microsecond=0))).id
    assert isinstance(side, SandboxStripe)
    session = await side.gateway.create_checkout_session(_request(shop, "subscription"), idempotency_key="cs:inv")
    await side.pay(session.id)
    paid = await side.gateway.get_checkout_session(session.id)
    assert paid is not None and paid.subscription_id is not None
    return str(side.client.v1.subscriptions.retrieve(paid.subscription_id).latest_invoice)


async def test_refunds_since_a_time_are_listed_as_they_were_answered(side: StripeSide) -> None:
    intent_id, charge_id = await _captured(side)
    made = [await _refund(side, intent_id, amount, f"r{amount}") for amount in (100, 200, 300)]
    answered = {r.id: r for r in await side.gateway.list_refunds(charge_id)}

    in_order = await listings(side).refunds(since=SINCE)
    listed = {r.id: r for r in in_order}

    assert [r.id for r in in_order if r.id in made] == list(reversed(made))  # newest first, within a second too
    assert [listed[i] for i in made] == [answered[i] for i in made]
    assert {(listed[i].payment_intent_id, listed[i].status) for i in made} == {(intent_id, RefundStatus.SUCCEEDED)}


async def test_refunds_and_disputes_created_before_since_are_left_out(side: StripeSide) -> None:
    intent_id, _ = await _captured(side)
    refund_id = await _refund(side, intent_id, 100, "r-old")
    dispute_id = _open_dispute(side, intent_id)
    refund = next(r for r in await listings(side).refunds(since=SINCE) if r.id == refund_id)
    dispute = next(d for d in await listings(side).disputes(since=SINCE) if d.id == dispute_id)
    later = max(refund.created, dispute.created) + timedelta(seconds=1)

    assert refund_id not in {r.id for r in await listings(side).refunds(since=later)}
    assert dispute_id not in {d.id for d in await listings(side).disputes(since=later)}
    within_its_second = refund.created + timedelta(microseconds=999_999)
    assert refund_id in {r.id for r in await listings(side).refunds(since=within_its_second)}


async def test_a_dispute_is_listed_as_its_events_carry_it_until_it_closes(side: StripeSide) -> None:
    intent_id, charge_id = await _captured(side)
    await _refund(side, intent_id, 800, "r-before-dispute")
    dispute_id = _open_dispute(side, intent_id)

    opened = {d.id: d for d in await listings(side).disputes(since=SINCE)}[dispute_id]
    _close_dispute(side, dispute_id, DisputeStatus.WON)
    closed = {d.id: d for d in await listings(side).disputes(since=SINCE)}[dispute_id]

    assert opened == DisputeState(
        id=dispute_id,
        charge_id=charge_id,
        payment_intent_id=intent_id,
        status=DisputeStatus.NEEDS_RESPONSE,
        reason="fraudulent",
        amount=9800 - 800,
        currency="usd",
        created=opened.created,
    )
    assert closed == replace(opened, status=DisputeStatus.WON)


async def test_invoices_since_a_time_are_listed_as_a_single_read_sees_them(side: StripeSide) -> None:
    invoice_id = await _invoiced(side)
    read = await side.gateway.get_invoice(invoice_id)
    assert read is not None

    listed = {i.id: i for i in await listings(side).invoices(since=SINCE)}
    later = await listings(side).invoices(since=read.created + timedelta(seconds=1))

    # A listing does not expand the invoice's payments: whether one waits for 3-D Secure is unknown.
    assert listed[invoice_id] == replace(read, payment_requires_action=None)
    assert listed[invoice_id].status is InvoiceStatus.PAID
    assert invoice_id not in {i.id for i in later}
    assert all(isinstance(i, InvoiceState) for i in later)


@pytest.mark.parametrize("listing", ["refunds", "disputes", "invoices"])
async def test_stripe_down_is_payment_provider_unavailable(sandbox: SandboxStripe, listing: str) -> None:
    sandbox.sb.faults.fail("GET", "/v1/", status=503, times=5)
    with pytest.raises(PaymentProviderUnavailable):
        await getattr(listings(sandbox), listing)(since=SINCE)
    sandbox.sb.faults.clear()
