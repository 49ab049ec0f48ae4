"""The refund, dispute and invoice reconcilers on the fakes: Stripe's state (the fake gateway) is
changed as in the Dashboard or by the card network, no event follows, and the reconciler repairs
through the webhooks' own use cases — one e-mail per refund, one alert per dispute, however often
it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.in_memory.listings import InMemoryListings
from adapters.in_memory.local_records import InMemoryLocalRecords
from application.billing.get_billing_status import GetBillingStatus
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.invoices.sync_invoice import SyncInvoice
from application.orders.capture_order import CaptureOrder
from application.orders.record_dispute import DISPUTE_OPENED, RecordDispute
from application.orders.record_refund import REFUND_ISSUED, RecordRefund
from application.outbox import Outbox
from application.ports.clock import Clock
from application.ports.repositories import UnitOfWork
from application.ports.tokens import Identity
from application.reconciliation.invoices import InvoiceReconciler
from application.reconciliation.money_back import RECHECK, MoneyBackReconciler
from application.reconciliation.sync_with_stripe import Reconcilers, SyncWithStripe
from domain.invoice import InvoiceStatus
from domain.order import Order, OrderStatus
from domain.refund import DisputeStatus, RefundStatus
from tests.support.container import FakeService, fake_service
from tests.support.invoice_events import invoice_state
from tests.unit.factories import PriceFactory

BUYER = "ada@example.com"


@pytest.fixture
async def world() -> AsyncIterator[FakeService]:
    async with fake_service() as service:
        await (await service.get(RegisterUser)).execute(Identity("user_1", BUYER))
        service.gateway.add_price(PriceFactory.build(id="price_tpl", product_name="Template", unit_amount=4900))
        yield service


async def money_back(world: FakeService) -> MoneyBackReconciler:
    request = world.request()
    return MoneyBackReconciler(
        await request.get(UnitOfWork),
        InMemoryLocalRecords(world.store),
        InMemoryListings(world.gateway),
        await request.get(RecordRefund),
        await request.get(RecordDispute),
        await request.get(Outbox),
        await request.get(Clock),
    )


async def invoices(world: FakeService) -> InvoiceReconciler:
    request = world.request()
    records, listing = InMemoryLocalRecords(world.store), InMemoryListings(world.gateway)
    return InvoiceReconciler(await request.get(UnitOfWork), records, listing, await request.get(SyncInvoice))


async def captured(world: FakeService, quantity: int = 2) -> Order:
    """Templates at $49.00 each, paid and captured by the admin; the capture's e-mail already sent."""
    started = await (await world.get(StartCheckout)).execute(StartCheckoutCommand("user_1", "price_tpl", quantity))
    assert started.order_id is not None
    intent = world.gateway.authorize(started.id)
    async with world.uow() as uow:
        order = await uow.orders.get(started.order_id)
        assert order is not None
        await uow.orders.save(order.authorize(world.clock.now(), intent.id))
        await uow.commit()
    await (await world.get(CaptureOrder)).execute(started.order_id)
    world.email.sent.clear()
    return world.store.orders[started.order_id]


def intent_of(order: Order) -> str:
    assert order.payment_intent_id is not None
    return order.payment_intent_id


async def test_a_refund_made_only_at_stripe_is_recorded_with_one_email_and_a_second_sync_finds_nothing(
    world: FakeService,
) -> None:
    order = await captured(world)
    refund = world.gateway.refund_elsewhere(intent_of(order), 1500)

    first = await (await money_back(world)).reconcile(repair=True)
    second = await (await money_back(world)).reconcile(repair=True)

    assert [(d.line, d.repaired) for d in first.drifts] == [
        (f"order {order.id} refund {refund.id} missing -> succeeded", True)
    ]
    stored = world.store.orders[order.id]
    assert (stored.status, stored.amount_refunded, [r.id for r in stored.refunds]) == (
        OrderStatus.CAPTURED,
        1500,
        [refund.id],
    )
    [email] = world.email.sent
    assert (email.to, email.idempotency_key) == (BUYER, f"{REFUND_ISSUED}:{refund.id}")
    assert (second.checked, second.drifts) == (1, [])
    assert len(world.email.sent) == 1


async def test_refunds_that_complete_the_total_make_the_order_refunded_on_the_line_that_does(
    world: FakeService,
) -> None:
    order = await captured(world)
    part = world.gateway.refund_elsewhere(intent_of(order), 1800)
    rest = world.gateway.refund_elsewhere(intent_of(order))

    done = await (await money_back(world)).reconcile(repair=True)

    assert sorted(d.line for d in done.drifts) == sorted(
        [
            f"order {order.id} refund {part.id} missing -> succeeded",
            f"order {order.id} refund {rest.id} missing -> succeeded (captured -> refunded)",
        ]
    )
    assert all(d.repaired for d in done.drifts)
    assert world.store.orders[order.id].status is OrderStatus.REFUNDED
    assert sorted(m.idempotency_key or "" for m in world.email.sent) == sorted(
        [f"{REFUND_ISSUED}:{part.id}", f"{REFUND_ISSUED}:{rest.id}"]
    )


async def test_a_pending_refund_that_succeeded_at_stripe_is_settled_and_only_then_emailed(world: FakeService) -> None:
    order = await captured(world)
    pending = world.gateway.refund_elsewhere(intent_of(order), 1000, RefundStatus.PENDING)
    await (await money_back(world)).reconcile(repair=True)
    assert world.email.sent == []
    world.gateway.refunds.settle(pending.id, RefundStatus.SUCCEEDED)

    done = await (await money_back(world)).reconcile(repair=True)

    assert [d.line for d in done.drifts] == [f"order {order.id} refund {pending.id} pending -> succeeded"]
    assert world.store.orders[order.id].refunds[0].status is RefundStatus.SUCCEEDED
    assert [m.idempotency_key for m in world.email.sent] == [f"{REFUND_ISSUED}:{pending.id}"]


async def test_a_dispute_opened_then_closed_only_at_stripe_alerts_the_operator_once(world: FakeService) -> None:
    order = await captured(world)
    dispute = world.gateway.refunds.open_dispute(world.gateway.intents[intent_of(order)])

    opened = await (await money_back(world)).reconcile(repair=True)
    world.gateway.refunds.settle_dispute(dispute.id, DisputeStatus.WON)
    closed = await (await money_back(world)).reconcile(repair=True)
    again = await (await money_back(world)).reconcile(repair=True)

    assert [d.line for d in opened.drifts] == [f"order {order.id} dispute {dispute.id} missing -> needs_response"]
    assert [d.line for d in closed.drifts] == [f"order {order.id} dispute {dispute.id} needs_response -> won"]
    assert again.drifts == []
    stored = world.store.orders[order.id].dispute
    assert stored is not None and (stored.id, stored.status, stored.amount) == (dispute.id, DisputeStatus.WON, 9800)
    [alert] = world.email.sent
    assert (alert.to, alert.idempotency_key) == ("ops@app.test", f"{DISPUTE_OPENED}:{dispute.id}")


async def test_a_dry_run_reports_refunds_and_disputes_and_changes_nothing(world: FakeService) -> None:
    refunded, disputed = await captured(world), await captured(world, quantity=1)
    refund = world.gateway.refund_elsewhere(intent_of(refunded), 500)
    dispute = world.gateway.refunds.open_dispute(world.gateway.intents[intent_of(disputed)])

    done = await (await money_back(world)).reconcile(repair=False)

    assert sorted(d.line for d in done.drifts) == sorted(
        [
            f"order {refunded.id} refund {refund.id} missing -> succeeded",
            f"order {disputed.id} dispute {dispute.id} missing -> needs_response",
        ]
    )
    assert not any(d.repaired for d in done.drifts)
    assert world.store.orders[refunded.id] == refunded
    assert world.store.orders[disputed.id] == disputed
    assert world.email.sent == []


async def test_orders_that_agree_with_stripe_cost_two_listings_and_no_paid_order_costs_none(
    world: FakeService,
) -> None:
    order = await captured(world)
    world.gateway.refund_elsewhere(intent_of(order), 700)
    await (await money_back(world)).reconcile(repair=True)
    await captured(world, quantity=1)
    world.gateway.calls.clear()

    agreeing = await (await money_back(world)).reconcile(repair=True)
    calls = dict(world.gateway.calls)
    world.gateway.calls.clear()
    world.clock.advance(days=RECHECK.days + 1)  # every order is now older than the window
    none_recent = await (await money_back(world)).reconcile(repair=True)

    assert (agreeing.checked, agreeing.drifts) == (2, [])
    assert calls == {"list_refunds_since": 1, "list_disputes": 1}
    assert (none_recent.checked, none_recent.drifts) == (0, [])
    assert sum(world.gateway.calls.values()) == 0


async def test_refunds_of_payments_that_are_no_paid_order_of_ours_are_no_drift(world: FakeService) -> None:
    order = await captured(world)
    held = await captured(world, quantity=1)
    async with world.uow() as uow:  # an order the service canceled while Stripe still captured it
        await uow.orders.save(replace(held, status=OrderStatus.CANCELED))
        await uow.commit()
    world.gateway.refund_elsewhere(intent_of(held), 100)

    done = await (await money_back(world)).reconcile(repair=True)

    assert (done.checked, done.drifts) == (1, [])
    assert world.store.orders[order.id].refunds == ()


async def test_the_runner_counts_refund_lines_in_its_summary(world: FakeService) -> None:
    order = await captured(world)
    world.gateway.refund_elsewhere(intent_of(order), 2000)

    dry = await SyncWithStripe(Reconcilers([await money_back(world)])).execute(dry_run=True)
    report = await SyncWithStripe(Reconcilers([await money_back(world)])).execute()

    assert dry.summary == "checked 1, drifted 1, repaired 0"
    assert report.summary == "checked 1, drifted 1, repaired 1"


# --- invoices ----------------------------------------------------------------------------------


async def _stored_open_invoice(world: FakeService) -> str:
    customer_id = (await (await world.get(EnsureStripeCustomer)).execute("user_1")).stripe_customer_id or ""
    state = world.gateway.add_invoice(
        invoice_state("in_0001", customer_id, user_id="user_1", attempt_count=1, created=world.clock.now())
    )
    async with world.uow() as uow:  # as its `invoice.payment_failed` webhook stored it
        await (await world.get(SyncInvoice)).apply(uow, state, world.clock.now())
        await uow.commit()
    return state.id


async def test_an_invoice_paid_only_at_stripe_is_stored_paid_and_its_payment_issue_goes(world: FakeService) -> None:
    invoice_id = await _stored_open_invoice(world)
    assert (await (await world.get(GetBillingStatus)).execute("user_1")).payment_issue is not None
    paid = replace(world.gateway.invoices[invoice_id], status=InvoiceStatus.PAID, amount_paid=1900, amount_remaining=0)
    world.gateway.add_invoice(paid)
    world.gateway.calls.clear()

    dry = await (await invoices(world)).reconcile(repair=False)
    first = await (await invoices(world)).reconcile(repair=True)
    second = await (await invoices(world)).reconcile(repair=True)

    line = f"invoice {invoice_id} open -> paid (amount_paid, amount_remaining)"
    assert [(d.line, d.repaired) for d in dry.drifts] == [(line, False)]
    assert [(d.line, d.repaired) for d in first.drifts] == [(line, True)]
    assert world.store.invoices[invoice_id].status is InvoiceStatus.PAID
    assert (await (await world.get(GetBillingStatus)).execute("user_1")).payment_issue is None
    assert (second.checked, second.drifts) == (0, [])
    assert world.gateway.calls["get_invoice"] == 0  # the listing stands for the read
    assert world.email.sent == []


async def test_invoices_that_agree_cost_one_listing_and_one_gone_at_stripe_is_reported(world: FakeService) -> None:
    invoice_id = await _stored_open_invoice(world)
    world.gateway.calls.clear()

    agreeing = await (await invoices(world)).reconcile(repair=True)
    del world.gateway.invoices[invoice_id]
    gone = await (await invoices(world)).reconcile(repair=True)

    assert (agreeing.checked, agreeing.drifts) == (1, [])
    assert world.gateway.calls["list_invoices"] == 2
    assert [d.line for d in gone.drifts] == [
        f"invoice {invoice_id} open -> not found at Stripe (not repaired: deleted at Stripe)"
    ]
    assert world.store.invoices[invoice_id].status is InvoiceStatus.OPEN


async def test_no_unsettled_invoice_costs_no_request(world: FakeService) -> None:
    done = await (await invoices(world)).reconcile(repair=True)
    assert (done.checked, done.drifts, sum(world.gateway.calls.values())) == (0, [], 0)
