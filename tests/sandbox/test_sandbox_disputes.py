"""Disputes: opened on a captured payment, answered with evidence or accepted, closed won or lost."""

import pytest
import stripe

from sandbox import Sandbox
from tests.sandbox.payments import captured_payment, held_payment


def _types(sb: Sandbox) -> list[str]:
    return [e["type"] for e in sb.events("charge.dispute.")]


def test_opening_a_dispute_withdraws_the_funds_with_stripes_two_events(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    intent_id = captured_payment(client)
    opened = sb.dashboard.open_dispute(intent_id, reason="product_not_received")
    dispute = client.v1.disputes.retrieve(opened["id"])
    assert dispute.id.startswith("dp_")
    assert (dispute.status, dispute.reason, dispute.amount, dispute.payment_intent) == (
        "needs_response",
        "product_not_received",
        4900,
        intent_id,
    )
    assert dispute.is_charge_refundable is False
    assert [t.amount for t in dispute.balance_transactions] == [-4900]
    assert client.v1.charges.retrieve(str(dispute.charge)).disputed is True
    assert _types(sb) == ["charge.dispute.created", "charge.dispute.funds_withdrawn"]
    assert [d.id for d in client.v1.disputes.list({"payment_intent": intent_id}).data] == [dispute.id]


def test_winning_evidence_closes_the_dispute_won_and_reinstates_the_funds(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    dispute_id = sb.dashboard.open_dispute(captured_payment(client))["id"]
    won = client.v1.disputes.update(dispute_id, {"evidence": {"uncategorized_text": "winning_evidence"}})
    assert won.status == "won"
    assert won.evidence_details.submission_count == 1
    assert [t.amount for t in won.balance_transactions] == [-4900, 4900]
    assert _types(sb)[2:] == ["charge.dispute.updated", "charge.dispute.closed", "charge.dispute.funds_reinstated"]
    assert sb.events("charge.dispute.updated")[0]["data"]["object"]["status"] == "under_review"


def test_losing_evidence_closes_the_dispute_lost_without_reinstating(client: stripe.StripeClient, sb: Sandbox) -> None:
    dispute_id = sb.dashboard.open_dispute(captured_payment(client))["id"]
    lost = client.v1.disputes.update(dispute_id, {"evidence": {"uncategorized_text": "losing_evidence"}})
    assert lost.status == "lost"
    assert _types(sb)[2:] == ["charge.dispute.updated", "charge.dispute.closed"]


def test_staged_evidence_stays_unsubmitted_until_the_network_decides(client: stripe.StripeClient, sb: Sandbox) -> None:
    dispute_id = sb.dashboard.open_dispute(captured_payment(client))["id"]
    staged = client.v1.disputes.update(dispute_id, {"evidence": {"product_description": "A PDF"}, "submit": False})
    assert (staged.status, staged.evidence.product_description) == ("needs_response", "A PDF")
    closed = sb.dashboard.close_dispute(dispute_id, "won")
    assert closed["status"] == "won"
    assert _types(sb)[-2:] == ["charge.dispute.closed", "charge.dispute.funds_reinstated"]


def test_accepting_a_dispute_closes_it_lost_and_it_cannot_be_closed_twice(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    dispute_id = sb.dashboard.open_dispute(captured_payment(client))["id"]
    assert client.v1.disputes.close(dispute_id).status == "lost"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute_id)
    assert _types(sb)[-1] == "charge.dispute.closed"
    assert sb.events("charge.dispute.closed")[0]["data"]["previous_attributes"] == {"status": "needs_response"}


def test_a_charged_back_payment_cannot_be_refunded_until_the_dispute_is_won(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    intent_id = captured_payment(client)
    dispute_id = sb.dashboard.open_dispute(intent_id)["id"]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": intent_id})
    assert raised.value.code == "charge_disputed"
    sb.dashboard.close_dispute(dispute_id, "won")
    assert client.v1.refunds.create({"payment_intent": intent_id, "amount": 100}).status == "succeeded"


def test_only_a_captured_payment_not_refunded_in_full_can_be_disputed_and_only_once(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    with pytest.raises(Exception, match="has not been captured"):
        sb.dashboard.open_dispute(held_payment(client))
    intent_id = captured_payment(client)
    sb.dashboard.open_dispute(intent_id)
    with pytest.raises(Exception, match="already been disputed"):
        sb.dashboard.open_dispute(intent_id)
    refunded = captured_payment(client)
    client.v1.refunds.create({"payment_intent": refunded})
    with pytest.raises(Exception, match="fully refunded"):
        sb.dashboard.open_dispute(refunded)
