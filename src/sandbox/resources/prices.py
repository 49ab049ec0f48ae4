"""Prices: one-time and recurring, lookup keys (with transfer), active flag."""

import copy
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page


def _claim_lookup_key(state: State, key: str | None, transfer: bool) -> None:
    for other in state.store.all("price"):
        if key is not None and other["lookup_key"] == key:
            if not transfer:
                raise invalid(f"A price ({other['id']}) already uses that lookup key.", param="lookup_key")
            before = copy.deepcopy(other)
            other["lookup_key"] = None
            state.events.changed("price.updated", before, other)


def create(state: State, params: dict[str, Any]) -> Obj:
    if "product_data" in params:
        from sandbox.resources import products  # circular by nature: products create prices too

        product_id = products.create(state, params["product_data"])["id"]
    elif "product" in params:
        product_id = state.store.get("product", params["product"], "product")["id"]
    else:
        raise invalid("Missing required param: product.", param="product")
    amount = params.get("unit_amount")
    if amount is None and "unit_amount_decimal" in params:
        amount = int(params["unit_amount_decimal"])
    recurring = params.get("recurring")
    _claim_lookup_key(state, params.get("lookup_key"), params.get("transfer_lookup_key", False))
    price: Obj = {
        "id": new_id("price", 24),
        "object": "price",
        "active": params.get("active", True),
        "billing_scheme": params.get("billing_scheme", "per_unit"),
        "created": state.now(),
        "currency": params["currency"].lower(),
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": params.get("lookup_key"),
        "metadata": merge_metadata({}, params.get("metadata")),
        "nickname": params.get("nickname"),
        "product": product_id,
        "recurring": None
        if not recurring
        else {
            "interval": recurring["interval"],
            "interval_count": recurring.get("interval_count", 1),
            "meter": None,
            "trial_period_days": recurring.get("trial_period_days"),
            "usage_type": recurring.get("usage_type", "licensed"),
        },
        "tax_behavior": params.get("tax_behavior", "unspecified"),
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": amount,
        "unit_amount_decimal": None if amount is None else str(amount),
    }
    state.store.add(price)
    state.events.emit("price.created", price)
    return price


def retrieve(state: State, params: dict[str, Any], price_id: str) -> Obj:
    return state.store.get("price", price_id)


def update(state: State, params: dict[str, Any], price_id: str) -> Obj:
    price = state.store.get("price", price_id)
    before = copy.deepcopy(price)
    if "lookup_key" in params:
        key = params["lookup_key"] or None
        if key != price["lookup_key"]:
            _claim_lookup_key(state, key, params.get("transfer_lookup_key", False))
            price["lookup_key"] = key
    for key in ("active", "nickname", "tax_behavior"):
        if key in params:
            price[key] = params[key] if params[key] != "" else None
    if "metadata" in params:
        price["metadata"] = merge_metadata(price["metadata"], params["metadata"])
    state.events.changed("price.updated", before, price)
    return price


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("price")
    for key in ("active", "currency", "product", "type"):
        if key in params:
            items = [x for x in items if x[key] == params[key]]
    if "lookup_keys" in params:
        items = [x for x in items if x["lookup_key"] in params["lookup_keys"]]
    if "recurring" in params and "interval" in params["recurring"]:
        wanted = params["recurring"]["interval"]
        items = [x for x in items if x["recurring"] and x["recurring"]["interval"] == wanted]
    return page(items, params, "/v1/prices")


ROUTES: list[Route] = [
    route("POST", "/v1/prices", p.PriceCreateParams, create),
    route("GET", "/v1/prices", p.PriceListParams, list_),
    route("GET", "/v1/prices/{id}", p.PriceRetrieveParams, retrieve),
    route("POST", "/v1/prices/{id}", p.PriceUpdateParams, update),
]
