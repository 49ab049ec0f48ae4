"""Promotion codes: customer-facing codes for a coupon, under `promotion.coupon` as in endive."""

import copy
import secrets
import string
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page

_NO_RESTRICTIONS: Obj = {
    "first_time_transaction": False,
    "minimum_amount": None,
    "minimum_amount_currency": None,
}


def create(state: State, params: dict[str, Any]) -> Obj:
    promotion = params.get("promotion") or {}
    if "coupon" not in promotion:
        raise invalid("Missing required param: promotion[coupon].", param="promotion[coupon]")
    state.store.get("coupon", promotion["coupon"], "promotion[coupon]")
    code = params.get("code") or "".join(secrets.choice(string.ascii_uppercase) for _ in range(8))
    if any(c["code"].lower() == code.lower() and c["active"] for c in state.store.all("promotion_code")):
        raise invalid("An active promotion code with that code already exists.", param="code")
    promo: Obj = {
        "id": new_id("promo", 24),
        "object": "promotion_code",
        "active": params.get("active", True),
        "code": code,
        "created": state.now(),
        "customer": params.get("customer"),
        "customer_account": None,
        "expires_at": params.get("expires_at"),
        "livemode": False,
        "max_redemptions": params.get("max_redemptions"),
        "metadata": merge_metadata({}, params.get("metadata")),
        "promotion": {"coupon": promotion["coupon"], "type": "coupon"},
        "restrictions": {**_NO_RESTRICTIONS, **params.get("restrictions", {})},
        "times_redeemed": 0,
    }
    state.store.add(promo)
    state.events.emit("promotion_code.created", promo)
    return promo


def retrieve(state: State, params: dict[str, Any], promo_id: str) -> Obj:
    return state.store.get("promotion_code", promo_id)


def update(state: State, params: dict[str, Any], promo_id: str) -> Obj:
    promo = state.store.get("promotion_code", promo_id)
    before = copy.deepcopy(promo)
    if "active" in params:
        promo["active"] = params["active"]
    if "metadata" in params:
        promo["metadata"] = merge_metadata(promo["metadata"], params["metadata"])
    if "restrictions" in params:
        promo["restrictions"] = {**promo["restrictions"], **params["restrictions"]}
    state.events.changed("promotion_code.updated", before, promo)
    return promo


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("promotion_code")
    for key in ("active", "code", "customer"):
        if key in params:
            items = [x for x in items if x[key] == params[key]]
    if "coupon" in params:
        items = [x for x in items if x["promotion"]["coupon"] == params["coupon"]]
    return page(items, params, "/v1/promotion_codes")


ROUTES: list[Route] = [
    route("POST", "/v1/promotion_codes", p.PromotionCodeCreateParams, create),
    route("GET", "/v1/promotion_codes", p.PromotionCodeListParams, list_),
    route("GET", "/v1/promotion_codes/{id}", p.PromotionCodeRetrieveParams, retrieve),
    route("POST", "/v1/promotion_codes/{id}", p.PromotionCodeUpdateParams, update),
]
