"""Contract §5 The signed-in user's billing (`/api/me/billing`) and orders (`/api/orders`)."""

from __future__ import annotations

from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, assert_problem

BILLING = "/api/me/billing"


async def billing_of(stack: Stack, user_id: str) -> dict:  # type: ignore[type-arg]
    response = await stack.client.get(BILLING, headers=stack.auth(user_id))
    assert response.status_code == 200, response.text
    return dict(response.json())


def subscription_id(stack: Stack, session_id: str) -> str:
    return str(stack.sb.state.store.get("checkout.session", session_id)["subscription"])


# --- billing -----------------------------------------------------------------------------------


async def test_billing_of_a_user_without_a_subscription(stack: Stack) -> None:
    body = await billing_of(stack, "user_free")

    assert body == {
        "user_id": "user_free",
        "email": "user_free@example.com",
        "stripe_customer_id": None,
        "subscription": None,
        "entitlements": {"plan_key": None, "active": False, "limits": {}},
        "payment_issue": None,
    }


async def test_billing_of_a_subscriber_shows_the_subscription_and_the_plans_limits(stack: Stack) -> None:
    started = await stack.subscribe("user_pro", "pro_monthly")
    sub_id = subscription_id(stack, started["id"])
    stripe_sub = stack.sb.state.store.get("subscription", sub_id)

    body = await billing_of(stack, "user_pro")

    assert body["stripe_customer_id"] == stripe_sub["customer"]
    subscription = body["subscription"]
    assert set(subscription) == {
        "id", "status", "plan_key", "price_id", "product_id", "current_period_end",
        "cancel_at_period_end", "cancel_at", "canceled_at", "trial_end",
    }  # fmt: skip
    assert subscription["id"] == sub_id
    assert subscription["status"] == "active"
    assert subscription["plan_key"] == "pro"
    assert subscription["price_id"] == stack.price_id("pro_monthly")
    assert subscription["product_id"] == stack.product("Pro")["id"]
    assert subscription["current_period_end"].endswith("Z")
    assert (subscription["cancel_at_period_end"], subscription["cancel_at"], subscription["canceled_at"]) == (
        False,
        None,
        None,
    )
    assert body["entitlements"] == {"plan_key": "pro", "active": True, "limits": {"projects": 10, "seats": 1}}


async def test_unlimited_plan_limits_are_null(stack: Stack) -> None:
    await stack.subscribe("user_team", "team_monthly")

    body = await billing_of(stack, "user_team")

    assert body["entitlements"] == {"plan_key": "team", "active": True, "limits": {"projects": None, "seats": 10}}


async def test_a_subscription_canceled_at_period_end_keeps_access_until_then(stack: Stack) -> None:
    started = await stack.subscribe("user_leaving", "pro_monthly")
    stack.stripe.v1.subscriptions.update(subscription_id(stack, started["id"]), {"cancel_at_period_end": True})
    await stack.deliver_events()

    body = await billing_of(stack, "user_leaving")

    assert body["subscription"]["cancel_at_period_end"] is True
    assert body["subscription"]["cancel_at"] is not None
    assert body["entitlements"]["active"] is True


async def test_a_canceled_subscription_grants_nothing(stack: Stack) -> None:
    started = await stack.subscribe("user_gone", "pro_monthly")
    stack.stripe.v1.subscriptions.cancel(subscription_id(stack, started["id"]))
    await stack.deliver_events()

    body = await billing_of(stack, "user_gone")

    assert body["subscription"]["status"] == "canceled"
    assert body["subscription"]["canceled_at"] is not None
    assert body["entitlements"] == {"plan_key": None, "active": False, "limits": {}}


async def test_a_resubscribed_user_is_billed_on_the_new_subscription_not_the_canceled_one(stack: Stack) -> None:
    first = await stack.subscribe("user_returns", "pro_monthly")
    stack.stripe.v1.subscriptions.cancel(subscription_id(stack, first["id"]))
    await stack.deliver_events()

    second = await stack.subscribe("user_returns", "team_monthly")

    body = await billing_of(stack, "user_returns")
    assert body["subscription"]["id"] == subscription_id(stack, second["id"])
    assert body["entitlements"] == {"plan_key": "team", "active": True, "limits": {"projects": None, "seats": 10}}


async def test_a_plan_switch_in_stripe_changes_the_limits(stack: Stack) -> None:
    started = await stack.subscribe("user_upgrades", "pro_monthly")
    sub_id = subscription_id(stack, started["id"])
    item = stack.sb.state.store.get("subscription", sub_id)["items"]["data"][0]["id"]
    stack.stripe.v1.subscriptions.update(sub_id, {"items": [{"id": item, "price": stack.price_id("team_monthly")}]})
    await stack.deliver_events()

    body = await billing_of(stack, "user_upgrades")

    assert body["subscription"]["plan_key"] == "team"
    assert body["entitlements"]["limits"] == {"projects": None, "seats": 10}


async def test_billing_needs_a_token(stack: Stack) -> None:
    assert_problem(await stack.client.get(BILLING), 401)


# --- orders ------------------------------------------------------------------------------------


async def test_orders_are_listed_newest_first_and_only_the_users_own(stack: Stack) -> None:
    mine = []
    for lookup_key in ("starter_template", "icon_pack_jpy", "starter_template"):
        mine.append((await stack.checkout("user_shopper", stack.price_id(lookup_key))).json()["order_id"])
    theirs = (await stack.checkout("user_neighbour", stack.price_id("starter_template"))).json()["order_id"]

    response = await stack.client.get("/api/orders", headers=stack.auth("user_shopper"))

    assert response.status_code == 200
    orders = response.json()["orders"]
    assert [o["id"] for o in orders] == list(reversed(mine))
    assert theirs not in {o["id"] for o in orders}
    created = [o["created_at"] for o in orders]
    assert created == sorted(created, reverse=True)
    assert [o["currency"] for o in orders] == ["usd", "jpy", "usd"]


async def test_an_order_has_the_contracts_shape(stack: Stack) -> None:
    order = await stack.paid_order("user_shape")

    response = await stack.client.get(f"/api/orders/{order['id']}", headers=stack.auth("user_shape"))

    body = response.json()
    assert set(body) == {
        "id", "status", "checkout_session_id", "payment_intent_id", "amount_total", "currency", "items",
        "created_at", "authorized_at", "captured_at", "canceled_at", "cancellation_reason",
    }  # fmt: skip
    assert body["status"] == "authorized"
    assert body["created_at"].endswith("Z") and body["authorized_at"].endswith("Z")
    assert body["authorized_at"] >= body["created_at"]
    assert (body["captured_at"], body["canceled_at"], body["cancellation_reason"]) == (None, None, None)


async def test_someone_elses_order_is_404(stack: Stack) -> None:
    order_id = (await stack.checkout("user_a_owner", stack.price_id("starter_template"))).json()["order_id"]

    response = await stack.client.get(f"/api/orders/{order_id}", headers=stack.auth("user_b_curious"))

    assert_problem(response, 404)
    assert (await stack.client.get(f"/api/orders/{order_id}", headers=stack.auth("user_a_owner"))).status_code == 200


async def test_an_unknown_order_is_404(stack: Stack) -> None:
    assert_problem(await stack.client.get("/api/orders/ord_nope", headers=stack.auth("user_c")), 404)


async def test_orders_need_a_token(stack: Stack) -> None:
    assert_problem(await stack.client.get("/api/orders"), 401)


async def test_an_abandoned_checkout_expires_its_order(stack: Stack) -> None:
    started = (await stack.checkout("user_abandons", stack.price_id("starter_template"))).json()
    stack.stripe.v1.checkout.sessions.expire(started["id"])

    await stack.deliver_events()

    order = (await stack.client.get(f"/api/orders/{started['order_id']}", headers=stack.auth("user_abandons"))).json()
    assert order["status"] == "expired"
