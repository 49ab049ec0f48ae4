"""Subscriptions: created by Checkout; retrieve, update (cancel at period end, switch price), cancel, list.

Periods live on the items (endive). All items share one billing period here.
"""

import copy
from typing import Any

import stripe.params as p

from sandbox.clock import add_interval
from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page


def _plan(price: Obj) -> Obj:
    recurring = price["recurring"] or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price["active"],
        "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"],
        "billing_scheme": "per_unit",
        "created": price["created"],
        "currency": price["currency"],
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count"),
        "livemode": False,
        "metadata": price["metadata"],
        "meter": None,
        "nickname": price["nickname"],
        "product": price["product"],
        "tiers_mode": None,
        "transform_usage": None,
        "trial_period_days": None,
        "usage_type": "licensed",
    }


def make_item(state: State, sub_id: str, price: Obj, quantity: int, start: int, end: int) -> Obj:
    return {
        "id": new_id("si", 14),
        "object": "subscription_item",
        "billing_thresholds": None,
        "created": state.now(),
        "current_period_end": end,
        "current_period_start": start,
        "current_trial": None,
        "discounts": [],
        "metadata": {},
        "plan": _plan(price),
        "price": copy.deepcopy(price),
        "quantity": quantity,
        "subscription": sub_id,
        "tax_rates": [],
    }


def period_end(sub: Obj) -> int:
    return max(int(item["current_period_end"]) for item in sub["items"]["data"])


def create(state: State, customer: str, lines: list[Obj], metadata: dict[str, str]) -> Obj:
    sub_id = new_id("sub", 24)
    now = state.now()
    recurring = [li for li in lines if li["price"]["type"] == "recurring"]
    first = recurring[0]["price"]["recurring"]
    end = add_interval(now, first["interval"], first["interval_count"])
    items = [make_item(state, sub_id, li["price"], li["quantity"], now, end) for li in recurring]
    sub: Obj = {
        "id": sub_id,
        "object": "subscription",
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"enabled": False, "liability": None, "disabled_reason": None},
        "billing_cycle_anchor": now,
        "billing_mode": {"type": "flexible"},
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": now,
        "currency": items[0]["price"]["currency"],
        "customer": customer,
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": [],
        "ended_at": None,
        "items": {
            "object": "list",
            "data": items,
            "has_more": False,
            "total_count": len(items),
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": dict(metadata),
        "on_behalf_of": None,
        "pause_collection": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": now,
        "status": "active",
        "status_details": None,
        "test_clock": None,
        "trial_end": None,
        "trial_start": None,
    }
    state.store.add(sub)
    state.events.emit("customer.subscription.created", sub)
    return sub


def retrieve(state: State, params: dict[str, Any], sub_id: str) -> Obj:
    return state.store.get("subscription", sub_id)


def _switch_items(state: State, sub: Obj, changes: list[Obj]) -> None:
    items = sub["items"]["data"]
    start, end = items[0]["current_period_start"], items[0]["current_period_end"]
    for i, change in enumerate(changes):
        current = next((it for it in items if it["id"] == change.get("id")), None)
        if change.get("id") and current is None:
            raise invalid(f"Invalid subscription_item: {change['id']}", param=f"items[{i}][id]")
        if current is not None and change.get("deleted"):
            items.remove(current)
            continue
        price = state.store.get("price", change["price"], f"items[{i}][price]") if "price" in change else None
        if price is not None and price["type"] != "recurring":
            raise invalid("The price specified is not recurring.", param=f"items[{i}][price]")
        if current is None:
            if price is None:
                raise invalid(f"Missing required param: items[{i}][price].", param=f"items[{i}][price]")
            items.append(make_item(state, sub["id"], price, change.get("quantity", 1), start, end))
            continue
        if price is not None:
            current["price"], current["plan"] = copy.deepcopy(price), _plan(price)
        if "quantity" in change:
            current["quantity"] = change["quantity"]
        if "metadata" in change:
            current["metadata"] = merge_metadata(current["metadata"], change["metadata"])
    sub["items"]["total_count"] = len(items)


def update(state: State, params: dict[str, Any], sub_id: str) -> Obj:
    sub = state.store.get("subscription", sub_id)
    before = copy.deepcopy(sub)
    if sub["status"] in ("canceled", "incomplete_expired") and set(params) - {
        "metadata",
        "cancellation_details",
        "expand",
    }:
        raise invalid("A canceled subscription can only update its cancellation_details and metadata.")
    if "items" in params:
        _switch_items(state, sub, params["items"])
    if "cancel_at_period_end" in params:
        at_end = params["cancel_at_period_end"]
        sub["cancel_at_period_end"], sub["cancel_at"] = at_end, period_end(sub) if at_end else None
        sub["canceled_at"] = state.now() if at_end else None
        sub["cancellation_details"]["reason"] = "cancellation_requested" if at_end else None
    if "cancel_at" in params:
        at = params["cancel_at"]
        at = period_end(sub) if at in ("max_period_end", "min_period_end") else at
        sub["cancel_at"] = at or None
        sub["cancel_at_period_end"] = bool(at) and at == period_end(sub)
        sub["canceled_at"] = state.now() if at else None
    if "cancellation_details" in params:
        sub["cancellation_details"].update(params["cancellation_details"])
    if "metadata" in params:
        sub["metadata"] = merge_metadata(sub["metadata"], params["metadata"])
    state.events.changed("customer.subscription.updated", before, sub)
    return sub


def cancel(state: State, params: dict[str, Any], sub_id: str, at: int | None = None) -> Obj:
    sub = state.store.get("subscription", sub_id)
    if sub["status"] == "canceled":
        raise invalid(f"No such subscription: '{sub_id}'", param="id", code="resource_missing")
    now = at or state.now()
    sub.update(
        status="canceled", canceled_at=sub["canceled_at"] or now, ended_at=now, cancel_at_period_end=False
    )
    sub["cancellation_details"].update(
        params.get("cancellation_details", {}), reason="cancellation_requested"
    )
    state.events.emit("customer.subscription.deleted", sub)
    return sub


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("subscription")
    status = params.get("status")
    if status is None:
        items = [x for x in items if x["status"] != "canceled"]
    elif status != "all":
        items = [x for x in items if x["status"] == status]
    if "customer" in params:
        items = [x for x in items if x["customer"] == params["customer"]]
    if "price" in params:
        items = [x for x in items if any(it["price"]["id"] == params["price"] for it in x["items"]["data"])]
    return page(items, params, "/v1/subscriptions")


ROUTES: list[Route] = [
    route("GET", "/v1/subscriptions", p.SubscriptionListParams, list_),
    route("GET", "/v1/subscriptions/{id}", p.SubscriptionRetrieveParams, retrieve),
    route("POST", "/v1/subscriptions/{id}", p.SubscriptionUpdateParams, update),
    route("DELETE", "/v1/subscriptions/{id}", p.SubscriptionCancelParams, cancel),
]
