"""Charges behind PaymentIntents: held, captured, released, listed — with Stripe's charge events."""

import stripe

from sandbox import Sandbox
from tests.sandbox.payments import captured_payment, held_payment


def _types(sb: Sandbox, prefix: str = "") -> list[str]:
    return [e["type"] for e in sb.events(prefix)]


def test_a_held_payment_has_an_uncaptured_charge_behind_its_payment_intent(client: stripe.StripeClient) -> None:
    intent = client.v1.payment_intents.retrieve(held_payment(client), {"expand": ["latest_charge"]})
    charge = intent.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert charge.id.startswith("ch_")
    assert (charge.payment_intent, charge.amount, charge.currency) == (intent.id, 4900, "usd")
    assert (charge.status, charge.paid, charge.captured, charge.amount_captured) == ("succeeded", True, False, 0)
    assert (charge.amount_refunded, charge.refunded, charge.disputed) == (0, False, False)
    assert charge.refunds is not None and charge.refunds.data == []
    assert charge.metadata.to_dict() == {"order_id": "ord_1"}


def test_capturing_the_payment_intent_captures_its_charge_and_says_so_first(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    intent = client.v1.payment_intents.capture(held_payment(client))
    assert isinstance(intent.latest_charge, str)
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.amount_captured) == (True, 4900)
    assert charge.balance_transaction is not None
    assert _types(sb)[-2:] == ["charge.captured", "payment_intent.succeeded"]
    captured_event = sb.events("charge.captured")[0]
    assert captured_event["data"]["previous_attributes"] == {"captured": False, "amount_captured": 0}


def test_charges_are_listed_newest_first_and_by_payment_intent(client: stripe.StripeClient) -> None:
    first, second = captured_payment(client), held_payment(client)
    listed = client.v1.charges.list()
    assert [c.payment_intent for c in listed.data] == [second, first]
    only = client.v1.charges.list({"payment_intent": first})
    assert [c.payment_intent for c in only.data] == [first]


def test_canceling_a_hold_gives_the_amount_back_as_a_refund(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = held_payment(client)
    client.v1.payment_intents.cancel(intent_id, {"cancellation_reason": "requested_by_customer"})
    charge = client.v1.charges.list({"payment_intent": intent_id}).data[0]
    assert (charge.captured, charge.refunded, charge.amount_refunded) == (False, True, 4900)
    refund = client.v1.refunds.list({"payment_intent": intent_id}).data[0]
    assert (refund.amount, refund.status, refund.reason) == (4900, "succeeded", None)
    assert _types(sb)[-3:] == ["refund.created", "charge.refunded", "payment_intent.canceled"]


def test_a_lapsed_hold_expires_its_charge(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = held_payment(client)
    sb.advance_clock(days=8)
    refund = client.v1.refunds.list({"payment_intent": intent_id}).data[0]
    assert (refund.amount, refund.reason) == (4900, "expired_uncaptured_charge")
    assert _types(sb)[-3:] == ["refund.created", "charge.expired", "payment_intent.canceled"]


def test_a_charge_update_changes_its_metadata_and_emits_charge_updated(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    charge = client.v1.charges.list({"payment_intent": captured_payment(client)}).data[0]
    updated = client.v1.charges.update(charge.id, {"metadata": {"note": "vip"}})
    assert updated.metadata.to_dict() == {"order_id": "ord_1", "note": "vip"}
    assert sb.events("charge.updated")[-1]["data"]["previous_attributes"] == {"metadata": {"order_id": "ord_1"}}
