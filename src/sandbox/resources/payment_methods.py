"""Card PaymentMethods: Stripe's test cards decide how later charges go; retrieve, list, a customer's cards.

A renewal is charged to the subscription's default card (else the customer's), so choosing a test
card is how a tester makes the next renewal succeed, decline, or ask for 3-D Secure — as with Stripe.
"""

import copy
from enum import StrEnum
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, page


class Outcome(StrEnum):
    SUCCEEDS = "succeeds"
    DECLINES = "declines"
    REQUIRES_AUTHENTICATION = "requires_authentication"


# Stripe's test card numbers for each outcome: 0341 attaches but every charge is declined; 3184
# asks for 3-D Secure on every payment, renewals included.
TEST_CARDS: dict[Outcome, str] = {
    Outcome.SUCCEEDS: "4242424242424242",
    Outcome.DECLINES: "4000000000000341",
    Outcome.REQUIRES_AUTHENTICATION: "4000002760003184",
}
_BY_LAST4 = {number[-4:]: outcome for outcome, number in TEST_CARDS.items()}


def outcome_of(payment_method: Obj | None) -> Outcome:
    """How a charge to this card goes. No card charges as 4242: accounts saved before the sandbox
    kept cards have subscriptions without one, and they must keep renewing."""
    if payment_method is None:
        return Outcome.SUCCEEDS
    return _BY_LAST4.get(payment_method["card"]["last4"], Outcome.SUCCEEDS)


def create_card(state: State, customer: str | None, outcome: Outcome = Outcome.SUCCEEDS) -> Obj:
    """A card PaymentMethod for one of the test cards, attached to `customer` when given."""
    number = TEST_CARDS[outcome]
    card: Obj = {
        "id": new_id("pm", 24),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": "visa",
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "US",
            "display_brand": "visa",
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": new_id("fp", 16)[3:],
            "funding": "credit",
            "generated_from": None,
            "last4": number[-4:],
            "networks": {"available": ["visa"], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": state.now(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    state.store.add(card)
    if customer is not None:
        card["customer"] = customer
        state.events.emit("payment_method.attached", card)
    return card


def set_default_card(state: State, customer_id: str, outcome: Outcome) -> Obj:
    """The customer's new default card, also the default of each subscription still billed (portal-style)."""
    customer = state.store.get("customer", customer_id, "customer")
    card = create_card(state, customer_id, outcome)
    before = copy.deepcopy(customer)
    customer["invoice_settings"]["default_payment_method"] = card["id"]
    state.events.changed("customer.updated", before, customer)
    for sub in state.store.all("subscription"):
        if sub["customer"] == customer_id and sub["status"] not in ("canceled", "incomplete_expired"):
            before = copy.deepcopy(sub)
            sub["default_payment_method"] = card["id"]
            state.events.changed("customer.subscription.updated", before, sub)
    return card


def default_card(state: State, customer_id: str | None, subscription: Obj | None = None) -> Obj | None:
    """The card Stripe would charge: the subscription's default, else the customer's invoice default."""
    chosen = (subscription or {}).get("default_payment_method")
    if chosen is None and customer_id is not None:
        customer = state.store.find("customer", customer_id)
        chosen = ((customer or {}).get("invoice_settings") or {}).get("default_payment_method")
    return state.store.find("payment_method", chosen) if chosen else None


def retrieve(state: State, params: dict[str, Any], pm_id: str) -> Obj:
    return state.store.get("payment_method", pm_id)


def list_(state: State, params: dict[str, Any]) -> Obj:
    if params.get("type", "card") != "card":
        raise invalid("The sandbox only has card payment methods.", param="type")
    items = state.store.all("payment_method")
    if "customer" in params:
        items = [x for x in items if x["customer"] == params["customer"]]
    return page(items, params, "/v1/payment_methods")


def list_for_customer(state: State, params: dict[str, Any], customer_id: str) -> Obj:
    state.store.get("customer", customer_id, "customer")
    return list_(state, {**params, "customer": customer_id})


ROUTES: list[Route] = [
    route("GET", "/v1/payment_methods", p.PaymentMethodListParams, list_),
    route("GET", "/v1/payment_methods/{id}", p.PaymentMethodRetrieveParams, retrieve),
    route("GET", "/v1/customers/{id}/payment_methods", p.CustomerListPaymentMethodsParams, list_for_customer),
]
