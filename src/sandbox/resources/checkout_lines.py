"""A Checkout Session's line items: priced from the catalog, kept out of the session object itself."""

import copy
from typing import Any

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.state import State
from sandbox.store import Obj


def line_items(state: State, params: dict[str, Any], mode: str) -> list[Obj]:
    items = params.get("line_items") or []
    if mode in ("payment", "subscription") and not items:
        raise invalid("Missing required param: line_items.", param="line_items")
    lines = []
    for i, item in enumerate(items):
        if "price" not in item:
            raise invalid(f"Missing required param: line_items[{i}][price].", param=f"line_items[{i}][price]")
        price = state.store.get("price", item["price"], f"line_items[{i}][price]")
        if not price["active"]:
            raise invalid(f"The price specified ({price['id']}) is inactive.", param=f"line_items[{i}][price]")
        if mode == "payment" and price["type"] == "recurring":
            raise invalid(
                "You specified `payment` mode but passed a recurring price. Either switch to "
                "`subscription` mode or use only one-time prices.",
                param=f"line_items[{i}][price]",
            )
        quantity = item.get("quantity", 1)
        product = state.store.get("product", price["product"])
        if not product["active"]:
            raise invalid(
                f"The price specified ({price['id']}) belongs to an archived product.", param=f"line_items[{i}][price]"
            )
        amount = (price["unit_amount"] or 0) * quantity
        lines.append(
            {
                "id": new_id("li", 24),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": price["currency"],
                "description": product["name"],
                "metadata": item.get("metadata", {}),
                "price": copy.deepcopy(price),
                "quantity": quantity,
            }
        )
    if mode == "subscription" and not any(li["price"]["type"] == "recurring" for li in lines):
        raise invalid(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items",
        )
    if len({li["currency"] for li in lines}) > 1:
        raise invalid("All prices on a Checkout Session must share a currency.", param="line_items")
    return lines


def render_line_items(state: State, session: Obj) -> Obj:
    lines = state.hidden.get(session["id"], {}).get("line_items", [])
    return {
        "object": "list",
        "data": copy.deepcopy(lines),
        "has_more": False,
        "url": f"/v1/checkout/sessions/{session['id']}/line_items",
    }
