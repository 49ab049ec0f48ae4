"""The demo catalog a fresh sandbox starts with.

Seeding happens before webhook delivery is wired and its events are dropped: to the service the
catalog simply already exists, as it would in a real Stripe account.
"""

from typing import Any

from sandbox.resources import coupons, prices, products, promotion_codes
from sandbox.state import State


def _product(state: State, name: str, description: str, metadata: dict[str, str], features: list[str]) -> str:
    params: dict[str, Any] = {
        "name": name,
        "description": description,
        "metadata": metadata,
        "marketing_features": [{"name": f} for f in features],
    }
    return str(products.create(state, params)["id"])


def _price(state: State, product: str, currency: str, amount: int, lookup_key: str, interval: str | None = None) -> str:
    params: dict[str, Any] = {
        "product": product,
        "currency": currency,
        "unit_amount": amount,
        "lookup_key": lookup_key,
    }
    if interval:
        params["recurring"] = {"interval": interval, "interval_count": 1}
    price_id = str(prices.create(state, params)["id"])
    if state.store.get("product", product)["default_price"] is None:
        products.update(state, {"default_price": price_id}, product)
    return price_id


def seed(state: State) -> None:
    starter = _product(
        state,
        "Starter template",
        "A production-ready project template.",
        {"kind": "one_time", "order": "1"},
        ["Lifetime access", "Free updates for a year"],
    )
    _price(state, starter, "usd", 4900, "starter_template")
    icons = _product(
        state,
        "Icon pack",
        "1,500 hand-drawn icons.",
        {"kind": "one_time", "order": "2"},
        ["SVG and PNG", "Commercial licence"],
    )
    _price(state, icons, "jpy", 1500, "icon_pack_jpy")
    pro = _product(
        state,
        "Pro",
        "For individuals shipping side projects.",
        {"plan_key": "pro", "order": "1", "limit_projects": "10", "limit_seats": "1"},
        ["10 projects", "Email support"],
    )
    _price(state, pro, "usd", 1900, "pro_monthly", "month")
    _price(state, pro, "usd", 19000, "pro_yearly", "year")
    team = _product(
        state,
        "Team",
        "For teams that collaborate.",
        {"plan_key": "team", "order": "2", "limit_projects": "unlimited", "limit_seats": "10"},
        ["Unlimited projects", "10 seats", "Priority support"],
    )
    _price(state, team, "usd", 4900, "team_monthly", "month")
    coupons.create(
        state,
        {
            "id": "LAUNCH20",
            "name": "Launch 20% off",
            "percent_off": "20",
            "duration": "once",
            "metadata": {"isFeatured": "true"},
        },
    )
    promotion_codes.create(state, {"promotion": {"coupon": "LAUNCH20"}, "code": "LAUNCH20"})
    for event_id in list(state.store.by_type.pop("event", {})):
        del state.store.objects[event_id]
