"""Resolving `discounts[][coupon|promotion_code]` and applying them to an amount."""

from typing import Any

from sandbox.errors import invalid
from sandbox.resources.coupons import refresh
from sandbox.state import State
from sandbox.store import Obj


def resolve(state: State, requested: Any) -> Obj | None:
    if not requested:
        return None
    entry = requested[0]
    if "promotion_code" in entry:
        promo = state.store.get("promotion_code", entry["promotion_code"], "discounts[0][promotion_code]")
        if not promo["active"]:
            raise invalid("This promotion code is inactive.", param="discounts[0][promotion_code]")
        return {"coupon": promo["promotion"]["coupon"], "promotion_code": promo["id"]}
    if "coupon" in entry:
        coupon = refresh(state, state.store.get("coupon", entry["coupon"], "discounts[0][coupon]"))
        if not coupon["valid"]:
            raise invalid(f"Coupon {coupon['id']} is no longer valid.", param="discounts[0][coupon]")
        return {"coupon": coupon["id"], "promotion_code": None}
    return None


def amount_off(state: State, discount: Obj | None, subtotal: int, currency: str | None) -> int:
    if discount is None:
        return 0
    coupon = state.store.get("coupon", discount["coupon"])
    if coupon["percent_off"] is not None:
        return min(subtotal, round(subtotal * float(coupon["percent_off"]) / 100))
    if coupon["currency"] != currency:
        return 0
    return int(min(subtotal, coupon["amount_off"] or 0))


def redeem(state: State, discount: Obj | None) -> None:
    if discount is None:
        return
    coupon = state.store.find("coupon", discount["coupon"])
    if coupon is not None:
        coupon["times_redeemed"] += 1
        refresh(state, coupon)
    if discount.get("promotion_code"):
        promo = state.store.find("promotion_code", discount["promotion_code"])
        if promo is not None:
            promo["times_redeemed"] += 1
