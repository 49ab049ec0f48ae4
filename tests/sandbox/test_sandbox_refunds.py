"""The Refunds API: partial and full refunds, Stripe's refusals, pending refunds that settle later."""

import pytest
import stripe

from sandbox import Sandbox
from tests.sandbox.payments import captured_payment, held_payment


def _types(sb: Sandbox, prefix: str = "") -> list[str]:
    return [e["type"] for e in sb.events(prefix)]


def _charge(client: stripe.StripeClient, intent_id: str) -> stripe.Charge:
    return client.v1.charges.list({"payment_intent": intent_id}).data[0]


def test_a_partial_refund_emits_refund_created_then_charge_refunded(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = captured_payment(client)
    refund = client.v1.refunds.create(
        {"payment_intent": intent_id, "amount": 1000, "reason": "requested_by_customer", "metadata": {"by": "me"}}
    )
    assert refund.id.startswith("re_")
    assert (refund.amount, refund.status, refund.reason, refund.currency) == (
        1000,
        "succeeded",
        "requested_by_customer",
        "usd",
    )
    assert refund.metadata is not None
    assert (refund.payment_intent, refund.metadata.to_dict()) == (intent_id, {"by": "me"})
    charge = _charge(client, intent_id)
    assert (refund.charge, charge.amount_refunded, charge.refunded) == (charge.id, 1000, False)
    assert charge.refunds is not None and [r.id for r in charge.refunds.data] == [refund.id]
    assert _types(sb)[-2:] == ["refund.created", "charge.refunded"]
    refunded_event = sb.events("charge.refunded")[-1]
    assert refunded_event["data"]["object"]["amount_refunded"] == 1000
    assert refunded_event["data"]["previous_attributes"]["amount_refunded"] == 0


def test_refunding_the_rest_marks_the_charge_refunded_and_then_nothing_is_left(client: stripe.StripeClient) -> None:
    intent_id = captured_payment(client)
    client.v1.refunds.create({"payment_intent": intent_id, "amount": 900})
    rest = client.v1.refunds.create({"charge": _charge(client, intent_id).id})
    assert rest.amount == 4000
    charge = _charge(client, intent_id)
    assert (charge.amount_refunded, charge.refunded) == (4900, True)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": intent_id, "amount": 1})
    assert raised.value.code == "charge_already_refunded"
    assert str(raised.value.user_message) == f"Charge {charge.id} has already been refunded."


def test_more_than_what_is_left_is_refused_in_stripes_words(client: stripe.StripeClient) -> None:
    intent_id = captured_payment(client)
    client.v1.refunds.create({"payment_intent": intent_id, "amount": 4000})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": intent_id, "amount": 1000})
    assert (raised.value.param, raised.value.code) == ("amount", "amount_too_large")
    assert raised.value.user_message == "Refund amount ($10.00) is greater than unrefunded amount on charge ($9.00)"


@pytest.mark.parametrize("amount", [0, -5])
def test_an_amount_below_one_is_refused(client: stripe.StripeClient, amount: int) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": captured_payment(client), "amount": amount})
    assert raised.value.param == "amount"


def test_a_held_payment_cannot_be_refunded_only_canceled(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = held_payment(client)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": intent_id})
    assert raised.value.user_message == f"This PaymentIntent ({intent_id}) does not have a successful charge to refund."
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"charge": _charge(client, intent_id).id})
    assert sb.events("refund.") == []


def test_a_refund_needs_a_charge_or_a_payment_intent_that_exists(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"amount": 100})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.refunds.create({"payment_intent": "pi_missing"})
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (
        404,
        "resource_missing",
        "payment_intent",
    )


def test_a_retried_refund_with_the_same_idempotency_key_refunds_once(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = captured_payment(client)
    first = client.v1.refunds.create({"payment_intent": intent_id, "amount": 500}, {"idempotency_key": "refund-1"})
    again = client.v1.refunds.create({"payment_intent": intent_id, "amount": 500}, {"idempotency_key": "refund-1"})
    assert again.id == first.id
    assert len(client.v1.refunds.list({"payment_intent": intent_id}).data) == 1
    assert len(sb.events("refund.created")) == 1


def test_refunds_are_retrieved_listed_by_charge_and_updated(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = captured_payment(client)
    one = client.v1.refunds.create({"payment_intent": intent_id, "amount": 100})
    two = client.v1.refunds.create({"payment_intent": intent_id, "amount": 200})
    charge_id = _charge(client, intent_id).id
    assert [r.id for r in client.v1.refunds.list({"charge": charge_id}).data] == [two.id, one.id]
    nested = client.raw_request("get", f"/v1/charges/{charge_id}/refunds").data
    assert [r["id"] for r in nested["data"]] == [two.id, one.id]
    client.v1.refunds.update(one.id, {"metadata": {"ticket": "42"}})
    assert client.v1.refunds.retrieve(one.id).to_dict()["metadata"] == {"ticket": "42"}
    assert sb.events("refund.updated")[-1]["data"]["previous_attributes"] == {"metadata": {}}


def test_a_held_refund_stays_pending_then_succeeds_with_refund_updated(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    intent_id = captured_payment(client)
    sb.dashboard.hold_refunds()
    refund = client.v1.refunds.create({"payment_intent": intent_id, "amount": 700})
    assert refund.status == "pending"
    assert _charge(client, intent_id).amount_refunded == 700  # pending refunds already hold the money back
    sb.dashboard.settle_refund(refund.id, "succeeded")
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    assert _types(sb, "refund.") == ["refund.created", "refund.updated"]
    assert sb.events("refund.updated")[0]["data"]["previous_attributes"] == {"status": "pending"}


def test_a_failed_refund_gives_the_amount_back_to_the_charge_and_emits_refund_failed(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    intent_id = captured_payment(client)
    sb.dashboard.hold_refunds()
    refund = client.v1.refunds.create({"payment_intent": intent_id})
    sb.dashboard.settle_refund(refund.id, "failed")
    failed = client.v1.refunds.retrieve(refund.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    charge = _charge(client, intent_id)
    assert (charge.amount_refunded, charge.refunded) == (0, False)
    assert _types(sb, "refund.") == ["refund.created", "refund.updated", "refund.failed"]
    sb.dashboard.hold_refunds(False)
    assert client.v1.refunds.create({"payment_intent": intent_id}).amount == 4900


def test_only_a_pending_refund_can_succeed_later(client: stripe.StripeClient, sb: Sandbox) -> None:
    refund = client.v1.refunds.create({"payment_intent": captured_payment(client), "amount": 100})
    with pytest.raises(Exception, match="cannot become succeeded"):
        sb.dashboard.settle_refund(refund.id, "succeeded")
    sb.dashboard.settle_refund(refund.id, "failed")  # a card refund that succeeded can still fail later
    assert client.v1.refunds.retrieve(refund.id).status == "failed"
