"""Charges: the card payment behind each PaymentIntent; retrieve, update, list, list refunds.

A charge is created when a PaymentIntent is paid (`captured` false while the money is only held),
captured with its PaymentIntent, and keeps `amount_refunded`, `refunded` and its `refunds` list
in step with the refund objects that point at it (see `refresh`).
"""

import copy
from typing import Any

import stripe.params as p

from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page

# refunds that hold money back from the charge; failed and canceled ones gave it back
COUNTED_REFUND_STATUSES = ("pending", "requires_action", "succeeded")


def create_for_intent(state: State, intent: Obj, captured: bool) -> Obj:
    charge_id = new_id("ch", 24)
    charge: Obj = {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if captured else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn", 24) if captured else None,
        "billing_details": {
            "address": {key: None for key in ("city", "country", "line1", "line2", "postal_code", "state")},
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "SANDBOX",
        "captured": captured,
        "created": state.now(),
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "payment_method_details": {
            "card": {"brand": "visa", "country": "US", "exp_month": 12, "exp_year": 2034, "last4": "4242"},
            "type": "card",
        },
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge_id}/refunds"},
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    state.store.add(charge)
    state.events.emit("charge.succeeded", charge)
    return charge


def capture(state: State, charge: Obj, amount: int) -> None:
    """Capture with the PaymentIntent: `charge.captured` carries what changed."""
    before = copy.deepcopy(charge)
    charge.update(captured=True, amount_captured=amount, balance_transaction=new_id("txn", 24))
    state.events.emit("charge.captured", charge, _changed(before, charge, ("captured", "amount_captured")))


def refundable(charge: Obj) -> int:
    return int(charge["amount_captured"] - charge["amount_refunded"]) if charge["captured"] else 0


def refresh(state: State, charge: Obj) -> Obj:
    """Recompute the refund fields from the refund objects; return the fields' previous values."""
    before = copy.deepcopy(charge)
    refunds = [r for r in state.store.all("refund") if r["charge"] == charge["id"]]
    counted = sum(r["amount"] for r in refunds if r["status"] in COUNTED_REFUND_STATUSES)
    ceiling = charge["amount_captured"] if charge["captured"] else charge["amount"]
    charge["amount_refunded"] = counted
    charge["refunded"] = counted >= ceiling > 0
    charge["refunds"]["data"] = [copy.deepcopy(r) for r in refunds]
    return _changed(before, charge, ("amount_refunded", "refunded", "refunds"))


def _changed(before: Obj, after: Obj, keys: tuple[str, ...]) -> Obj:
    return {key: before[key] for key in keys if before[key] != after[key]}


def retrieve(state: State, params: dict[str, Any], charge_id: str) -> Obj:
    return state.store.get("charge", charge_id)


def update(state: State, params: dict[str, Any], charge_id: str) -> Obj:
    charge = state.store.get("charge", charge_id)
    before = copy.deepcopy(charge)
    if "metadata" in params:
        charge["metadata"] = merge_metadata(charge["metadata"], params["metadata"])
    for key in ("description", "receipt_email"):
        if key in params:
            charge[key] = params[key]
    state.events.changed("charge.updated", before, charge)
    return charge


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("charge")
    for key in ("customer", "payment_intent"):
        if key in params:
            items = [x for x in items if x[key] == params[key]]
    return page(items, params, "/v1/charges")


def list_refunds(state: State, params: dict[str, Any], charge_id: str) -> Obj:
    charge = state.store.get("charge", charge_id)
    return page(charge["refunds"]["data"], params, charge["refunds"]["url"])


ROUTES: list[Route] = [
    route("GET", "/v1/charges", p.ChargeListParams, list_),
    route("GET", "/v1/charges/{id}", p.ChargeRetrieveParams, retrieve),
    route("POST", "/v1/charges/{id}", p.ChargeUpdateParams, update),
    route("GET", "/v1/charges/{id}/refunds", p.ChargeListRefundsParams, list_refunds),
]
