"""Coupons (custom ids, percent or amount off, redemption limits) and their `valid` flag."""

import copy
import secrets
import string
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page


def refresh(state: State, coupon: Obj) -> Obj:
    """`valid` is derived: Stripe flips it once redeem_by passes or redemptions run out."""
    expired = coupon["redeem_by"] is not None and coupon["redeem_by"] <= state.now()
    used_up = coupon["max_redemptions"] is not None and coupon["times_redeemed"] >= coupon["max_redemptions"]
    coupon["valid"] = not (expired or used_up)
    return coupon


def create(state: State, params: dict[str, Any]) -> Obj:
    if ("percent_off" in params) == ("amount_off" in params):
        raise invalid("Coupons require exactly one of percent_off or amount_off.", param="percent_off")
    if "amount_off" in params and "currency" not in params:
        raise invalid("You must specify a currency when creating an amount_off coupon.", param="currency")
    duration = params.get("duration", "once")
    if duration == "repeating" and "duration_in_months" not in params:
        raise invalid("Missing required param: duration_in_months.", param="duration_in_months")
    coupon_id = params.get("id") or "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(8))
    if state.store.find("coupon", coupon_id):
        raise invalid("Coupon already exists.", param="id", code="resource_already_exists")
    percent = params.get("percent_off")
    coupon: Obj = {
        "id": coupon_id,
        "object": "coupon",
        "amount_off": params.get("amount_off"),
        "created": state.now(),
        "currency": params["currency"].lower() if "currency" in params else None,
        "duration": duration,
        "duration_in_months": params.get("duration_in_months"),
        "livemode": False,
        "max_redemptions": params.get("max_redemptions"),
        "metadata": merge_metadata({}, params.get("metadata")),
        "name": params.get("name"),
        "percent_off": None if percent is None else float(percent),
        "redeem_by": params.get("redeem_by"),
        "times_redeemed": 0,
        "valid": True,
    }
    state.store.add(refresh(state, coupon))
    state.events.emit("coupon.created", coupon)
    return coupon


def retrieve(state: State, params: dict[str, Any], coupon_id: str) -> Obj:
    return refresh(state, state.store.get("coupon", coupon_id))


def update(state: State, params: dict[str, Any], coupon_id: str) -> Obj:
    coupon = refresh(state, state.store.get("coupon", coupon_id))
    before = copy.deepcopy(coupon)
    if "name" in params:
        coupon["name"] = params["name"] or None
    if "metadata" in params:
        coupon["metadata"] = merge_metadata(coupon["metadata"], params["metadata"])
    state.events.changed("coupon.updated", before, coupon)
    return coupon


def delete(state: State, params: dict[str, Any], coupon_id: str) -> Obj:
    coupon = refresh(state, state.store.get("coupon", coupon_id))
    del state.store.objects[coupon_id], state.store.by_type["coupon"][coupon_id]
    state.events.emit("coupon.deleted", coupon)
    return {"id": coupon_id, "object": "coupon", "deleted": True}


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = [refresh(state, c) for c in state.store.all("coupon")]
    return page(items, params, "/v1/coupons")


ROUTES: list[Route] = [
    route("POST", "/v1/coupons", p.CouponCreateParams, create),
    route("GET", "/v1/coupons", p.CouponListParams, list_),
    route("GET", "/v1/coupons/{id}", p.CouponRetrieveParams, retrieve),
    route("POST", "/v1/coupons/{id}", p.CouponUpdateParams, update),
    route("DELETE", "/v1/coupons/{id}", p.CouponDeleteParams, delete),
]
