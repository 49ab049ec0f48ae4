"""Checkout Sessions: create, retrieve, update, expire, list, list line items.

Paying happens on the sandbox's own checkout page (see sandbox.flows.checkout).
"""

from typing import Any

import stripe.params.checkout as pc

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.resources import discounts
from sandbox.resources.checkout_lines import line_items, render_line_items
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page

DAY = 86400
MAX_TRIAL_DAYS = 730


def create(state: State, params: dict[str, Any]) -> Obj:
    mode = params.get("mode")
    if mode not in ("payment", "subscription", "setup"):
        raise invalid("Missing required param: mode." if mode is None else f"Invalid mode: {mode}", param="mode")
    customer = params.get("customer")
    if customer:
        state.store.get("customer", customer, "customer")
    if "customer_update" in params and not customer:
        raise invalid("`customer_update` can only be used with `customer`.", param="customer_update")
    trial_days = params.get("subscription_data", {}).get("trial_period_days")
    if trial_days is not None and not 1 <= trial_days <= MAX_TRIAL_DAYS:
        raise invalid(
            f"The trial period must be between 1 and {MAX_TRIAL_DAYS} days.",
            param="subscription_data[trial_period_days]",
        )
    lines = line_items(state, params, mode)
    subtotal = sum(li["amount_subtotal"] for li in lines)
    discount = discounts.resolve(state, params.get("discounts"))
    off = discounts.amount_off(state, discount, subtotal, lines[0]["currency"] if lines else None)
    session_id = new_id("cs_test", 58)
    now = state.now()
    tax_enabled = bool(params.get("automatic_tax", {}).get("enabled"))
    session: Obj = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": params.get("allow_promotion_codes"),
        "allowed_payment_method_types": params.get("allowed_payment_method_types"),
        "amount_subtotal": subtotal,
        "amount_total": subtotal - off,
        "automatic_tax": {
            "enabled": tax_enabled,
            "liability": {"type": "self"} if tax_enabled else None,
            "provider": "stripe" if tax_enabled else None,
            "status": "complete" if tax_enabled else None,
        },
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "created": now,
        "currency": lines[0]["currency"] if lines else None,
        "customer": customer,
        "customer_account": None,
        "customer_creation": None if customer or mode != "payment" else params.get("customer_creation", "if_required"),
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [discount] if discount else [],
        "expires_at": params.get("expires_at", now + DAY),
        "invoice": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": merge_metadata({}, params.get("metadata")),
        "mode": mode,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "recovered_from": None,
        "setup_intent": None,
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": off, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": params.get("ui_mode", "hosted_page"),
        "url": f"{state.public_url}/sandbox/checkout/{session_id}",
    }
    state.hidden[session_id] = {
        "line_items": lines,
        "payment_intent_data": params.get("payment_intent_data", {}),
        "subscription_data": params.get("subscription_data", {}),
        "customer_update": params.get("customer_update", {}),
    }
    return state.store.add(session)


def retrieve(state: State, params: dict[str, Any], session_id: str) -> Obj:
    return state.store.get("checkout.session", session_id)


def update(state: State, params: dict[str, Any], session_id: str) -> Obj:
    session = state.store.get("checkout.session", session_id)
    if "metadata" in params:
        session["metadata"] = merge_metadata(session["metadata"], params["metadata"])
    return session


def expire(state: State, params: dict[str, Any], session_id: str) -> Obj:
    session = state.store.get("checkout.session", session_id)
    if session["status"] != "open":
        raise invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout '
            f'Session has a status of "{session["status"]}".'
        )
    session["status"] = "expired"
    session["url"] = None
    state.events.emit("checkout.session.expired", session)
    return session


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("checkout.session")
    for key in ("customer", "payment_intent", "subscription", "status"):
        if key in params:
            items = [x for x in items if x[key] == params[key]]
    return page(items, params, "/v1/checkout/sessions")


def list_line_items(state: State, params: dict[str, Any], session_id: str) -> Obj:
    session = state.store.get("checkout.session", session_id)
    return page(render_line_items(state, session)["data"], params, f"/v1/checkout/sessions/{session_id}/line_items")


ROUTES: list[Route] = [
    route("POST", "/v1/checkout/sessions", pc.SessionCreateParams, create),
    route("GET", "/v1/checkout/sessions", pc.SessionListParams, list_),
    route("GET", "/v1/checkout/sessions/{id}", pc.SessionRetrieveParams, retrieve),
    route("POST", "/v1/checkout/sessions/{id}", pc.SessionUpdateParams, update),
    route("POST", "/v1/checkout/sessions/{id}/expire", pc.SessionExpireParams, expire),
    route("GET", "/v1/checkout/sessions/{id}/line_items", pc.SessionListLineItemsParams, list_line_items),
]
