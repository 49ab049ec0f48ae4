"""Subscriptions API: retrieve, update (cancel at period end, switch price), cancel, list.

All items share one billing period here.
"""

import copy
from typing import Any

import stripe.params as p

from sandbox import collection
from sandbox.errors import invalid
from sandbox.resources.subscription_objects import _plan, make_item, period_end
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page


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


def cancel(
    state: State, params: dict[str, Any], sub_id: str, at: int | None = None, reason: str = "cancellation_requested"
) -> Obj:
    sub = state.store.get("subscription", sub_id)
    if sub["status"] == "canceled":
        raise invalid(f"No such subscription: '{sub_id}'", param="id", code="resource_missing")
    now = at or state.now()
    sub.update(status="canceled", canceled_at=sub["canceled_at"] or now, ended_at=now, cancel_at_period_end=False)
    sub["cancellation_details"].update(params.get("cancellation_details", {}), reason=reason)
    state.events.emit("customer.subscription.deleted", sub)
    collection.stop_collecting(state, sub_id)
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
