"""Refund and dispute events on real orders (PostgreSQL): refunds made in the Dashboard appear as
refunds made here do, reports crossing each other end in Stripe's state, the buyer hears once per
refund that succeeded, the operator once per dispute, and events for payments the service never
saw are stored as ignored."""

from __future__ import annotations

import logging

import pytest

from application.webhooks.refund_handlers import NO_ORDER
from domain.refund import RefundStatus
from domain.webhook_event import EventStatus
from tests.integration.webhook_support import Harness, HarnessFactory, dashboard_capture, intent_event, lapse_hold
from tests.support.refund_events import charge_refunded_event, dispute_event, dispute_object, refund_event
from tests.support.stripe_events import event, stripe_object

pytest_plugins = ["tests.integration.webhook_support"]

BUYER = "user_refunded"
BUYER_EMAIL = "user_refunded@buyers.example"
ADMIN = "ops@shop.example"


async def _captured(h: Harness, *, reported: bool = True) -> tuple[str, str]:
    """A real order, paid and captured in the Dashboard; (order id, intent id). Unless `reported`,
    the capture's own events have not arrived yet (the order is authorized in our books)."""
    order_id, session_id = await h.checkout(BUYER)
    intent_id = h.gateway.authorize(session_id).id
    await h.deliver_ok(intent_event("payment_intent.amount_capturable_updated", h.gateway, intent_id))
    dashboard_capture(h.gateway, intent_id)
    if reported:
        await h.deliver_ok(intent_event("payment_intent.succeeded", h.gateway, intent_id))
    h.email.sent.clear()
    return order_id, intent_id


def _refund_emails(h: Harness) -> list[str]:
    return [m.subject for m in h.email.sent_to(BUYER_EMAIL) if m.subject.startswith("Your refund")]


async def test_a_dashboard_refund_appears_on_the_order_with_one_email_however_often_reported(harness: Harness) -> None:
    order_id, intent_id = await _captured(harness)
    refund = harness.gateway.refund_elsewhere(intent_id, 1900)
    created = refund_event("refund.created", harness.gateway, refund.id)
    charged = charge_refunded_event(harness.gateway, intent_id)
    calls = harness.gateway.calls.copy()

    for payload in (created, charged, created, charged):
        await harness.deliver_ok(payload)

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["amount_refunded"], order["refunded_at"]) == ("captured", 1900, None)
    assert [(r["id"], r["amount"], r["status"]) for r in order["refunds"]] == [(refund.id, 1900, "succeeded")]
    assert _refund_emails(harness) == [f"Your refund of $19.00 for order {order_id}"]
    assert harness.gateway.calls == calls  # everything the events carry: no Stripe call


async def test_refunds_reaching_the_total_make_the_order_refunded(harness: Harness) -> None:
    order_id, intent_id = await _captured(harness)
    for amount in (900, 4000):
        refund = harness.gateway.refund_elsewhere(intent_id, amount)
        await harness.deliver_ok(refund_event("refund.created", harness.gateway, refund.id))

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["amount_refunded"]) == ("refunded", 4900)
    assert order["refunded_at"] is not None
    assert len(_refund_emails(harness)) == 2


async def test_a_refund_reported_before_the_capture_captures_the_order_first(harness: Harness) -> None:
    order_id, intent_id = await _captured(harness, reported=False)
    refund = harness.gateway.refund_elsewhere(intent_id, 1000)
    calls = harness.gateway.calls.copy()

    await harness.deliver_ok(refund_event("refund.created", harness.gateway, refund.id))

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["amount_refunded"]) == ("captured", 1000)
    # one read settles the capture; the capture's own effect then marks the session
    assert harness.gateway.calls - calls == {"get_payment_intent": 1, "set_checkout_session_metadata": 1}
    assert sorted(m.subject.split(" ")[1] for m in harness.email.sent_to(BUYER_EMAIL)) == ["order", "refund"]
    await harness.deliver_ok(intent_event("payment_intent.succeeded", harness.gateway, intent_id))
    assert len(harness.email.sent) == 2  # the capture's own report changes nothing more


async def test_a_pending_refund_sends_its_email_when_it_succeeds_and_none_when_it_fails(harness: Harness) -> None:
    order_id, intent_id = await _captured(harness)
    ok = harness.gateway.refund_elsewhere(intent_id, 1000, RefundStatus.PENDING)
    bad = harness.gateway.refund_elsewhere(intent_id, 2000, RefundStatus.PENDING)
    for refund_id in (ok.id, bad.id):
        await harness.deliver_ok(refund_event("refund.created", harness.gateway, refund_id))
    assert (await harness.order(BUYER, order_id))["amount_refunded"] == 3000
    assert _refund_emails(harness) == []

    harness.gateway.refunds.settle(ok.id, RefundStatus.SUCCEEDED)
    harness.gateway.refunds.settle(bad.id, RefundStatus.FAILED)
    stale = refund_event("refund.created", harness.gateway, ok.id)
    stale["data"]["object"]["status"] = "pending"  # an old snapshot, delivered late
    for payload in (
        refund_event("refund.updated", harness.gateway, ok.id),
        refund_event("refund.failed", harness.gateway, bad.id),
        stale,
    ):
        await harness.deliver_ok(payload)

    order = await harness.order(BUYER, order_id)
    assert [(r["amount"], r["status"]) for r in order["refunds"]] == [(1000, "succeeded"), (2000, "failed")]
    assert order["amount_refunded"] == 1000
    assert _refund_emails(harness) == [f"Your refund of $10.00 for order {order_id}"]


async def test_charge_refunded_without_its_refunds_reads_them_only_when_it_knows_more(harness: Harness) -> None:
    order_id, intent_id = await _captured(harness)
    first = harness.gateway.refund_elsewhere(intent_id, 500)
    await harness.deliver_ok(refund_event("refund.created", harness.gateway, first.id))
    calls = harness.gateway.calls.copy()
    await harness.deliver_ok(charge_refunded_event(harness.gateway, intent_id, with_refunds=False))
    assert harness.gateway.calls == calls  # its amount_refunded is what we count already

    harness.gateway.refund_elsewhere(intent_id, 700)
    await harness.deliver_ok(charge_refunded_event(harness.gateway, intent_id, with_refunds=False))
    assert harness.gateway.calls - calls == {"list_refunds": 1}
    assert (await harness.order(BUYER, order_id))["amount_refunded"] == 1200


async def test_a_canceled_holds_release_is_no_refund_of_the_order(harness: Harness) -> None:
    # Stripe gives a canceled hold's money back as a refund: refund.created and charge.refunded
    # (an uncaptured charge), here delivered before the cancellation's own event.
    order_id, session_id = await harness.checkout(BUYER)
    intent_id = harness.gateway.authorize(session_id).id
    await harness.deliver_ok(intent_event("payment_intent.amount_capturable_updated", harness.gateway, intent_id))
    lapse_hold(harness.gateway, intent_id)
    release = stripe_object("refund", id="re_release", amount=4900, payment_intent=intent_id, created=1)
    charge = charge_refunded_event(harness.gateway, intent_id)
    charge["data"]["object"].update(captured=False, amount_captured=0, amount_refunded=4900, refunded=True)
    payloads = [charge, event("refund.created", release)]
    calls = harness.gateway.calls.copy()

    await harness.deliver_ok(charge)
    assert harness.gateway.calls == calls  # an uncaptured charge says enough
    await harness.deliver_ok(payloads[1])
    assert harness.gateway.calls - calls == {"get_payment_intent": 1}  # a bare refund: one read of its payment
    await harness.deliver_ok(intent_event("payment_intent.canceled", harness.gateway, intent_id))

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["refunds"], order["amount_refunded"]) == ("canceled", [], 0)
    assert harness.email.sent == []
    for payload in payloads:
        stored = harness.stored_event(payload["id"])
        assert stored is not None and stored.status is EventStatus.IGNORED


async def test_events_for_payments_the_service_never_saw_are_stored_as_ignored(harness: Harness) -> None:
    stranger = "pi_from_another_app"
    refund = stripe_object("refund", id="re_stranger", payment_intent=stranger, charge="ch_stranger", created=1)
    payloads = [
        event("refund.created", refund),
        dispute_event("charge.dispute.created", dispute_object(stranger, status="needs_response")),
    ]
    for payload in payloads:
        await harness.deliver_ok(payload)
        stored = harness.stored_event(payload["id"])
        assert stored is not None and (stored.status, stored.last_error) == (EventStatus.IGNORED, NO_ORDER)
    assert harness.email.sent == []
    assert harness.gateway.calls["get_payment_intent"] == 2  # one read each: is it an order of ours?


async def test_a_dispute_is_tracked_to_its_close_with_one_alert_to_the_admin(make_harness: HarnessFactory) -> None:
    async with make_harness(ADMIN_EMAIL=ADMIN) as h:
        order_id, intent_id = await _captured(h)
        dispute = dispute_object(intent_id, status="needs_response", reason="product_not_received")
        for payload in (
            dispute_event("charge.dispute.funds_withdrawn", dispute),
            dispute_event("charge.dispute.created", dispute),
            dispute_event("charge.dispute.closed", dispute, status="won"),
            dispute_event("charge.dispute.updated", dispute, status="under_review"),  # late
            dispute_event("charge.dispute.funds_reinstated", dispute, status="won"),
        ):
            await h.deliver_ok(payload)

        order = await h.order(BUYER, order_id)
        assert order["dispute"] == {
            "id": dispute["id"],
            "status": "won",
            "reason": "product_not_received",
            "amount": 4900,
            "created_at": order["dispute"]["created_at"],
        }
        (alert,) = h.email.sent_to(ADMIN)
        assert alert.subject == f"Dispute opened on order {order_id} ($49.00, product_not_received)"
        assert dispute["id"] in alert.text


async def test_without_admin_email_the_dispute_alert_goes_to_the_log(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    order_id, intent_id = await _captured(harness)
    dispute = dispute_object(intent_id, status="needs_response")
    with caplog.at_level(logging.WARNING, logger="billing.alerts"):
        await harness.deliver_ok(dispute_event("charge.dispute.created", dispute))
    assert [r.getMessage() for r in caplog.records if r.name == "billing.alerts"] == [
        f"Dispute opened on order {order_id} ($49.00, fraudulent)"
    ]
    assert harness.email.sent == []
