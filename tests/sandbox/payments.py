"""Payments made the way a buyer makes them: a Checkout Session paid on the sandbox's page."""

import httpx
import stripe


def held_payment(client: stripe.StripeClient, lookup_key: str = "starter_template", quantity: int = 1) -> str:
    """A paid one-time checkout with manual capture: the PaymentIntent's id, its money held."""
    price = client.v1.prices.list({"lookup_keys": [lookup_key]}).data[0].id
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": price, "quantity": quantity}],
            "success_url": "http://shop.test/done",
            "payment_intent_data": {"capture_method": "manual", "metadata": {"order_id": "ord_1"}},
        }
    )
    assert session.url is not None
    assert httpx.post(f"{session.url}/pay").status_code == 303
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert isinstance(intent_id, str)
    return intent_id


def captured_payment(client: stripe.StripeClient, lookup_key: str = "starter_template", quantity: int = 1) -> str:
    intent_id = held_payment(client, lookup_key, quantity)
    client.v1.payment_intents.capture(intent_id)
    return intent_id
