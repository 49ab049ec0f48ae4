"""Checkout: `POST /api/stripe/checkout` and `GET /api/stripe/checkout/{id}`, end to end
against the sandbox as the Stripe server."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import FastStripeProvider, Stack, StackFactory, assert_problem, migrated, rows

CHECKOUT = "/api/stripe/checkout"


async def orders_of(stack: Stack, user_id: str) -> list[dict[str, Any]]:
    response = await stack.client.get("/api/orders", headers=stack.auth(user_id))
    assert response.status_code == 200
    return list(response.json()["orders"])


# --- one-time prices ---------------------------------------------------------------------------


async def test_a_one_time_price_opens_a_payment_session_and_records_a_pending_order(
    make_stack: StackFactory, database_url: str
) -> None:
    stack = await make_stack(database_url=database_url)
    price_id = stack.price_id("starter_template")

    response = await stack.checkout("user_buyer", price_id, quantity=2)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "url", "mode", "order_id"}
    assert body["id"].startswith("cs_")
    assert body["url"] == f"{stack.stripe_url}/sandbox/checkout/{body['id']}"
    assert body["mode"] == "payment"
    assert body["order_id"]
    [order] = await orders_of(stack, "user_buyer")
    assert order["id"] == body["order_id"]
    assert order["status"] == "pending"
    assert order["checkout_session_id"] == body["id"]
    assert order["payment_intent_id"] is None
    assert (order["amount_total"], order["currency"]) == (9800, "usd")
    assert order["items"] == [
        {
            "price_id": price_id,
            "product_id": stack.product("Starter template")["id"],
            "description": "Starter template",
            "quantity": 2,
            "amount_total": 9800,
        }
    ]


async def test_the_payment_session_is_created_with_the_contracts_parameters(stack: Stack) -> None:
    price_id = stack.price_id("starter_template")

    body = (await stack.checkout("user_params", price_id, quantity=3)).json()

    [created] = stack.calls("POST", "/v1/checkout/sessions")
    [customer] = stack.calls("POST", "/v1/customers")
    sent = created.params
    assert sent["mode"] == "payment"
    [stripe_customer] = [
        c for c in stack.sb.state.store.all("customer") if c["metadata"].get("user_id") == "user_params"
    ]
    assert sent["customer"] == stripe_customer["id"]
    assert sent["client_reference_id"] == "user_params"
    assert sent["line_items"] == {"0": {"price": price_id, "quantity": "3"}}
    assert sent["payment_intent_data"]["capture_method"] == "manual"
    assert sent["payment_intent_data"]["metadata"] == {"user_id": "user_params", "order_id": body["order_id"]}
    assert sent["metadata"] == {"user_id": "user_params", "order_id": body["order_id"]}
    assert sent["allow_promotion_codes"] == "true"
    assert sent["automatic_tax"] == {"enabled": "true"}
    assert sent["customer_update"] == {"address": "auto"}
    assert sent["success_url"] == "http://shop.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    assert sent["cancel_url"] == "http://shop.test/#pricing"
    assert created.headers.get("idempotency-key")
    assert customer.params["metadata"] == {"user_id": "user_params"}
    assert customer.params["email"] == "user_params@example.com"
    assert customer.headers.get("idempotency-key")


async def test_success_and_cancel_urls_follow_the_settings(make_stack: StackFactory) -> None:
    stack = await make_stack(
        CHECKOUT_SUCCESS_URL="https://app.example.com/thanks?cs={CHECKOUT_SESSION_ID}",
        CHECKOUT_CANCEL_URL="https://app.example.com/pricing",
    )

    await stack.checkout("user_urls", stack.price_id("starter_template"))

    [created] = stack.calls("POST", "/v1/checkout/sessions")
    assert created.params["success_url"] == "https://app.example.com/thanks?cs={CHECKOUT_SESSION_ID}"
    assert created.params["cancel_url"] == "https://app.example.com/pricing"


async def test_automatic_tax_is_off_when_the_setting_says_so(make_stack: StackFactory) -> None:
    stack = await make_stack(STRIPE_AUTOMATIC_TAX="false")

    response = await stack.checkout("user_notax", stack.price_id("starter_template"))

    assert response.status_code == 200
    [created] = stack.calls("POST", "/v1/checkout/sessions")
    assert created.params["automatic_tax"] == {"enabled": "false"}
    assert "customer_update" not in created.params


async def test_a_second_checkout_reuses_the_stripe_customer(stack: Stack) -> None:
    first = await stack.checkout("user_again", stack.price_id("starter_template"))
    second = await stack.checkout("user_again", stack.price_id("icon_pack_jpy"))

    assert first.status_code == second.status_code == 200
    assert len(stack.calls("POST", "/v1/customers")) == 1
    customers = {c.params["customer"] for c in stack.calls("POST", "/v1/checkout/sessions")}
    assert len(customers) == 1
    billing = (await stack.client.get("/api/me/billing", headers=stack.auth("user_again"))).json()
    assert billing["stripe_customer_id"] == customers.pop()
    assert len(await orders_of(stack, "user_again")) == 2


async def test_a_retried_checkout_with_the_same_idempotency_key_records_one_order(stack: Stack) -> None:
    headers = {**stack.auth("user_retry"), "Idempotency-Key": "client-attempt-1"}
    body = {"price_id": stack.price_id("starter_template")}

    first = await stack.client.post(CHECKOUT, json=body, headers=headers)
    second = await stack.client.post(CHECKOUT, json=body, headers=headers)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(await orders_of(stack, "user_retry")) == 1


async def test_an_idempotency_key_reused_for_another_price_is_409_and_the_first_order_stands(stack: Stack) -> None:
    headers = {**stack.auth("user_reuse"), "Idempotency-Key": "client-attempt-reused"}
    first = await stack.client.post(CHECKOUT, json={"price_id": stack.price_id("starter_template")}, headers=headers)

    other = await stack.client.post(
        CHECKOUT, json={"price_id": stack.price_id("starter_template"), "quantity": 2}, headers=headers
    )

    assert first.status_code == 200, first.text
    assert "idempotency key" in assert_problem(other, 409)["detail"]
    assert [o["id"] for o in await orders_of(stack, "user_reuse")] == [first.json()["order_id"]]


@pytest.mark.parametrize("key", ["k" * 129, "k" * 10_000, "two words", "tab\there"], ids=["129", "10k", "space", "tab"])
async def test_an_idempotency_key_too_long_or_not_visible_ascii_is_400_before_any_stripe_call(
    stack: Stack, key: str
) -> None:
    headers = {**stack.auth("user_bad_key"), "Idempotency-Key": key}

    response = await stack.client.post(CHECKOUT, json={"price_id": stack.price_id("starter_template")}, headers=headers)

    assert_problem(response, 400)
    assert key not in response.text
    assert stack.calls_under("/v1/") == []


async def test_an_idempotency_key_of_the_longest_allowed_length_is_accepted(stack: Stack) -> None:
    headers = {**stack.auth("u" * 100), "Idempotency-Key": "k" * 128}

    response = await stack.client.post(CHECKOUT, json={"price_id": stack.price_id("starter_template")}, headers=headers)

    assert response.status_code == 200, response.text


async def test_a_form_post_is_redirected_to_the_session_url(stack: Stack) -> None:
    response = await stack.client.post(
        CHECKOUT,
        data={"price_id": stack.price_id("starter_template"), "quantity": "2"},
        headers=stack.auth("user_form"),
        follow_redirects=False,
    )

    assert response.status_code == 303
    [order] = await orders_of(stack, "user_form")
    assert response.headers["location"] == f"{stack.stripe_url}/sandbox/checkout/{order['checkout_session_id']}"
    assert order["amount_total"] == 9800


# --- recurring prices --------------------------------------------------------------------------


async def test_a_recurring_price_opens_a_subscription_session_without_an_order(stack: Stack) -> None:
    price_id = stack.price_id("pro_monthly")

    response = await stack.checkout("user_sub", price_id)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "subscription"
    assert body["order_id"] is None
    assert body["url"].endswith(body["id"])
    assert await orders_of(stack, "user_sub") == []
    [created] = stack.calls("POST", "/v1/checkout/sessions")
    assert created.params["mode"] == "subscription"
    assert created.params["client_reference_id"] == "user_sub"
    assert created.params["metadata"] == {"user_id": "user_sub"}
    assert created.params["subscription_data"]["metadata"] == {"user_id": "user_sub"}
    assert created.params["allow_promotion_codes"] == "true"
    assert created.params["automatic_tax"] == {"enabled": "true"}
    assert "payment_intent_data" not in created.params
    assert created.headers.get("idempotency-key")


async def test_a_recurring_price_is_refused_while_the_user_has_an_active_subscription(stack: Stack) -> None:
    await stack.subscribe("user_subscribed", "pro_monthly")
    billing = (await stack.client.get("/api/me/billing", headers=stack.auth("user_subscribed"))).json()
    assert billing["subscription"]["status"] == "active"
    sessions_before = len(stack.calls("POST", "/v1/checkout/sessions"))

    response = await stack.checkout("user_subscribed", stack.price_id("team_monthly"))

    body = assert_problem(response, 409)
    assert "portal" in body["detail"].lower()
    assert len(stack.calls("POST", "/v1/checkout/sessions")) == sessions_before


async def test_a_one_time_price_is_still_sold_to_a_subscriber(stack: Stack) -> None:
    await stack.subscribe("user_sub_buys", "pro_monthly")

    response = await stack.checkout("user_sub_buys", stack.price_id("icon_pack_jpy"))

    assert response.status_code == 200
    assert response.json()["mode"] == "payment"


async def test_a_canceled_subscription_does_not_block_a_new_one(stack: Stack) -> None:
    started = await stack.subscribe("user_resubscribes", "pro_monthly")
    sub_id = stack.sb.state.store.get("checkout.session", started["id"])["subscription"]
    stack.stripe.v1.subscriptions.cancel(sub_id)
    await stack.deliver_events()

    response = await stack.checkout("user_resubscribes", stack.price_id("team_monthly"))

    assert response.status_code == 200, response.text
    assert response.json()["mode"] == "subscription"


@contextlib.contextmanager
def trial_on_pro(stack: Stack, days: str = "14") -> Iterator[None]:
    product = stack.product("Pro")["id"]
    stack.stripe.v1.products.update(product, {"metadata": {"trial_days": days}})
    try:
        yield
    finally:
        stack.stripe.v1.products.update(product, {"metadata": {"trial_days": ""}})


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    return migrated(postgres_url)


async def test_concurrent_subscription_checkouts_of_one_user_leave_one_session_open_with_the_one_trial(
    make_stack: StackFactory, postgres_database: str
) -> None:
    stack = await make_stack(database_url=postgres_database)  # row locks: PostgreSQL, as in production
    price_id, headers = stack.price_id("pro_monthly"), stack.auth("user_sub_race")

    with trial_on_pro(stack):
        async with stack.parallel() as client:
            responses = await asyncio.gather(
                *(client.post(CHECKOUT, json={"price_id": price_id}, headers=headers) for _ in range(4))
            )

    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    sessions = [stack.sb.state.store.get("checkout.session", r.json()["id"]) for r in responses]
    assert len(stack.calls("POST", "/v1/customers")) == 1
    assert len({s["customer"] for s in sessions}) == 1
    # Opened one after another under the user's lock, each closing the one before: the buyer can
    # pay one of them only, so one subscription and one trial at most.
    [still_open] = [s for s in sessions if s["status"] == "open"]
    assert sorted(s["status"] for s in sessions) == ["expired", "expired", "expired", "open"]
    assert int(stack.sb.state.hidden[still_open["id"]]["subscription_data"]["trial_period_days"]) == 14
    assert len(stack.calls_under("/v1/checkout/sessions/")) == 3  # the three expiries


async def test_a_subscription_paid_before_its_webhook_arrived_refuses_a_second_one(stack: Stack) -> None:
    with trial_on_pro(stack):
        first = await stack.checkout("user_sub_early", stack.price_id("pro_monthly"))
        assert first.status_code == 200, first.text
        stack.pay(first.json()["id"])  # the webhooks that would tell us have not arrived yet

        again = await stack.checkout("user_sub_early", stack.price_id("team_monthly"))

    body = assert_problem(again, 409)
    assert "trialing" in body["detail"] and "portal" in body["detail"].lower()
    assert len(stack.calls("POST", "/v1/checkout/sessions")) == 1


async def test_an_abandoned_subscription_checkout_is_closed_and_the_next_still_offers_the_trial(stack: Stack) -> None:
    with trial_on_pro(stack):
        first = await stack.checkout("user_sub_abandons", stack.price_id("pro_monthly"))
        second = await stack.checkout("user_sub_abandons", stack.price_id("pro_monthly"))

    assert (first.status_code, second.status_code) == (200, 200)
    store = stack.sb.state.store
    assert store.get("checkout.session", first.json()["id"])["status"] == "expired"
    assert store.get("checkout.session", second.json()["id"])["status"] == "open"
    assert "checkout.session.expired" in await stack.deliver_events()  # no order of ours: acknowledged (200)
    assert [
        c.params["subscription_data"].get("trial_period_days") for c in stack.calls("POST", "/v1/checkout/sessions")
    ] == [
        "14",
        "14",
    ]


async def test_a_retried_subscription_checkout_with_the_same_idempotency_key_gets_the_same_open_session(
    stack: Stack,
) -> None:
    headers = {**stack.auth("user_sub_retry"), "Idempotency-Key": "client-sub-attempt-1"}
    body = {"price_id": stack.price_id("pro_monthly")}

    first = await stack.client.post(CHECKOUT, json=body, headers=headers)
    again = await stack.client.post(CHECKOUT, json=body, headers=headers)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert stack.sb.state.store.get("checkout.session", first.json()["id"])["status"] == "open"
    assert len(stack.calls("POST", "/v1/checkout/sessions")) == 1


# --- bad requests ------------------------------------------------------------------------------

BAD_BODIES: dict[str, dict[str, Any]] = {
    "missing price_id": {"json": {"quantity": 1}},
    "quantity 0": {"json": {"price_id": "price_X", "quantity": 0}},
    "quantity 100": {"json": {"price_id": "price_X", "quantity": 100}},
    "quantity not a number": {"json": {"price_id": "price_X", "quantity": "two"}},
    "unknown field": {"json": {"price_id": "price_X", "coupon": "FREE"}},
    "not a price id": {"json": {"price_id": "prod_123"}},
    "not JSON": {"content": b"price_id=price_X", "headers": {"Content-Type": "application/json"}},
    "a JSON array": {"json": [{"price_id": "price_X"}]},
    "an empty body": {"content": b"", "headers": {"Content-Type": "application/json"}},
}


@pytest.mark.parametrize("request_kwargs", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_a_bad_body_is_400_problem_json_with_errors(stack: Stack, request_kwargs: dict[str, Any]) -> None:
    kwargs = dict(request_kwargs)
    kwargs["headers"] = {**stack.auth("user_bad_body"), **kwargs.get("headers", {})}

    response = await stack.client.post(CHECKOUT, **kwargs)

    body = assert_problem(response, 400)
    assert isinstance(body["errors"], list) and body["errors"]
    assert all("message" in error for error in body["errors"])
    assert stack.calls("POST", "/v1/checkout/sessions") == []


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\n\n"])
async def test_a_price_id_with_trailing_whitespace_is_400_and_never_reaches_stripe(stack: Stack, suffix: str) -> None:
    response = await stack.checkout("user_newline", stack.price_id("starter_template") + suffix)

    body = assert_problem(response, 400)
    assert [error["key"] for error in body["errors"]] == ["price_id"]
    assert stack.calls_under("/v1/") == []


async def test_a_quantity_error_names_the_field(stack: Stack) -> None:
    response = await stack.client.post(
        CHECKOUT, json={"price_id": stack.price_id("starter_template"), "quantity": 100}, headers=stack.auth("user_q")
    )

    body = assert_problem(response, 400)
    assert [error["key"] for error in body["errors"]] == ["quantity"]


async def test_a_quantity_on_a_recurring_price_is_400(stack: Stack) -> None:
    response = await stack.checkout("user_sub_qty", stack.price_id("pro_monthly"), quantity=3)

    assert_problem(response, 400)
    assert stack.calls("POST", "/v1/checkout/sessions") == []


async def test_an_unknown_price_is_404(stack: Stack) -> None:
    response = await stack.checkout("user_unknown_price", "price_doesnotexist0000000000")

    assert_problem(response, 404)
    assert stack.calls("POST", "/v1/checkout/sessions") == []
    assert await orders_of(stack, "user_unknown_price") == []


async def test_an_inactive_price_is_404(stack: Stack) -> None:
    product = stack.product("Starter template")["id"]
    retired = stack.stripe.v1.prices.create({"product": product, "currency": "usd", "unit_amount": 3900})
    stack.stripe.v1.prices.update(retired.id, {"active": False})

    response = await stack.checkout("user_inactive_price", retired.id)

    assert_problem(response, 404)
    assert stack.calls("POST", "/v1/checkout/sessions") == []


async def test_a_price_of_an_archived_product_is_404(stack: Stack) -> None:
    product = stack.stripe.v1.products.create({"name": "Discontinued"})
    price = stack.stripe.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 500})
    stack.stripe.v1.products.update(product.id, {"active": False})

    response = await stack.checkout("user_archived", price.id)

    assert_problem(response, 404)
    assert stack.calls("POST", "/v1/checkout/sessions") == []


# --- Stripe calls: the price comes from the cached catalog ---------------------------------------


def stripe_requests(stack: Stack) -> list[str]:
    return [f"{r.method} {r.path}" for r in stack.sb.requests]


@pytest.mark.parametrize("lookup_key", ["starter_template", "pro_monthly"])
async def test_with_a_warm_catalog_a_checkout_costs_two_stripe_calls_for_a_new_customer_and_one_after(
    stack: Stack, lookup_key: str
) -> None:
    assert (await stack.client.get("/api/stripe/products")).status_code == 200
    user = f"user_counted_{lookup_key}"
    stack.sb.requests.clear()
    first = await stack.checkout(user, stack.price_id(lookup_key))
    new_customer = stripe_requests(stack)
    stack.sb.requests.clear()
    second = await stack.client.post(
        CHECKOUT, json={"price_id": stack.price_id("starter_template")}, headers=stack.auth(user)
    )
    returning = stripe_requests(stack)

    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    # A user's first subscription also reads its price: the trial (`metadata.trial_days`) is not in
    # the cached catalog, and only a user who never subscribed gets one.
    trial_read = [f"GET /v1/prices/{stack.price_id(lookup_key)}"] if lookup_key == "pro_monthly" else []
    assert new_customer == ["POST /v1/customers", *trial_read, "POST /v1/checkout/sessions"]
    assert returning == ["POST /v1/checkout/sessions"]


async def _new_product_price(stack: Stack, name: str) -> tuple[str, str]:
    product = stack.stripe.v1.products.create({"name": name})
    price = stack.stripe.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 700})
    return product.id, price.id


async def test_a_price_archived_since_the_catalog_was_cached_is_404_as_stripe_refuses_the_session(
    stack: Stack,
) -> None:
    _, price = await _new_product_price(stack, "Retired while cached")
    assert price in (await stack.client.get("/api/stripe/products")).text  # cached, webhook not delivered
    stack.stripe.v1.prices.update(price, {"active": False})

    response = await stack.checkout("user_stale_price", price)

    assert_problem(response, 404)
    assert stack.sb.count("GET", f"/v1/prices/{price}") == 0  # the catalog's copy was used…
    assert len(stack.calls("POST", "/v1/checkout/sessions")) == 1  # …and Stripe refused the session
    assert await orders_of(stack, "user_stale_price") == []


async def test_a_price_of_a_product_archived_since_the_catalog_was_cached_is_404(stack: Stack) -> None:
    product, price = await _new_product_price(stack, "Discontinued while cached")
    assert price in (await stack.client.get("/api/stripe/products")).text
    stack.stripe.v1.products.update(product, {"active": False})

    response = await stack.checkout("user_stale_product", price)

    assert_problem(response, 404)
    assert await orders_of(stack, "user_stale_product") == []


async def test_a_price_created_since_the_catalog_was_cached_is_looked_up_at_stripe_and_sold(stack: Stack) -> None:
    assert (await stack.client.get("/api/stripe/products")).status_code == 200
    _, price = await _new_product_price(stack, "New since the catalog was cached")

    response = await stack.checkout("user_new_price", price)

    assert response.status_code == 200, response.text
    assert stack.sb.count("GET", f"/v1/prices/{price}") == 1


async def test_checkout_without_a_token_is_401(stack: Stack) -> None:
    response = await stack.client.post(CHECKOUT, json={"price_id": stack.price_id("starter_template")})

    assert_problem(response, 401)
    assert stack.calls("POST", "/v1/checkout/sessions") == []


# --- Stripe failing ----------------------------------------------------------------------------


async def test_stripe_failing_is_502_and_no_order_is_written(stack: Stack) -> None:
    stack.sb.faults.fail("POST", "/v1/checkout/sessions", status=500, times=100)

    response = await stack.checkout("user_stripe_down", stack.price_id("starter_template"))

    body = assert_problem(response, 502)
    assert "Injected" not in body["detail"]  # no raw Stripe message reaches the client
    assert len(stack.calls("POST", "/v1/checkout/sessions")) >= 1
    assert await orders_of(stack, "user_stripe_down") == []
    assert await rows(stack.settings.database_url, "SELECT id FROM orders") == []


async def test_stripe_stalling_past_the_client_timeout_is_502_and_no_order_is_written(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(providers=(FastStripeProvider(timeout=0.5),))
    stack.sb.faults.stall("POST", "/v1/checkout/sessions", seconds=3.0)

    started = time.monotonic()
    response = await stack.checkout("user_stripe_slow", stack.price_id("starter_template"))

    assert_problem(response, 502)
    assert time.monotonic() - started < 2.5  # the client gave up; it did not wait out the stall
    assert await rows(stack.settings.database_url, "SELECT id FROM orders") == []


async def test_stripe_rejecting_the_customer_create_is_502_without_a_session(stack: Stack) -> None:
    stack.sb.faults.fail("POST", "/v1/customers", status=400, error_type="invalid_request_error", times=1)

    response = await stack.checkout("user_customer_refused", stack.price_id("starter_template"))

    assert_problem(response, 502)
    assert stack.calls("POST", "/v1/checkout/sessions") == []


# --- rate limit --------------------------------------------------------------------------------


def assert_rate_headers(response: Any, remaining: int) -> None:
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == str(remaining)
    reset = int(response.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 11


async def test_the_sixth_checkout_within_ten_seconds_is_429_with_retry_after(stack: Stack) -> None:
    price_id = stack.price_id("starter_template")

    responses = [await stack.checkout("user_hasty", price_id) for _ in range(6)]

    assert [r.status_code for r in responses] == [200, 200, 200, 200, 200, 429]
    for i, response in enumerate(responses[:5]):
        assert_rate_headers(response, remaining=4 - i)
        assert "Retry-After" not in response.headers
    limited = responses[5]
    assert_problem(limited, 429)
    assert_rate_headers(limited, remaining=0)
    assert 1 <= int(limited.headers["Retry-After"]) <= 10
    assert len(stack.calls("POST", "/v1/checkout/sessions")) == 5
    assert len(await orders_of(stack, "user_hasty")) == 5


async def test_the_default_window_is_ten_seconds_long(stack: Stack) -> None:
    # Cheap requests (refused bodies count too), so the timings below are the window's, not Stripe's.
    async def attempt() -> Any:
        return await stack.client.post(CHECKOUT, json={}, headers=stack.auth("user_steady"))

    started = time.monotonic()
    assert (await attempt()).status_code == 400
    first_counted = time.monotonic()  # the window's first hit happened between `started` and now
    for _ in range(4):
        assert (await attempt()).status_code == 400
    first_refusal = await attempt()
    elapsed = time.monotonic() - started

    assert first_refusal.status_code == 429
    assert 10 - math.ceil(elapsed) <= int(first_refusal.headers["Retry-After"]) <= 10  # 9 or 10 when quick

    await asyncio.sleep(max(0.0, first_counted + 6 - time.monotonic()))
    six_seconds_in = await attempt()
    elapsed = time.monotonic() - started

    assert elapsed < 9, "too slow a run to tell a 10 s window"
    assert six_seconds_in.status_code == 429
    assert 10 - math.ceil(elapsed) <= int(six_seconds_in.headers["Retry-After"]) <= 4


async def test_rate_limit_headers_are_on_error_responses_too(stack: Stack) -> None:
    response = await stack.client.post(CHECKOUT, json={}, headers=stack.auth("user_sloppy"))

    assert_problem(response, 400)
    assert_rate_headers(response, remaining=4)


async def test_each_user_has_their_own_window(stack: Stack) -> None:
    for _ in range(5):
        await stack.client.post(CHECKOUT, json={}, headers=stack.auth("user_busy"))

    busy = await stack.client.post(CHECKOUT, json={}, headers=stack.auth("user_busy"))
    other = await stack.client.post(CHECKOUT, json={}, headers=stack.auth("user_calm"))

    assert busy.status_code == 429
    assert other.status_code == 400
    assert_rate_headers(other, remaining=4)


async def test_unauthenticated_requests_get_401_until_their_ip_is_limited(stack: Stack) -> None:
    body = {"price_id": stack.price_id("starter_template")}

    responses = [await stack.client.post(CHECKOUT, json=body) for _ in range(6)]

    assert [r.status_code for r in responses] == [401, 401, 401, 401, 401, 429]
    for i, response in enumerate(responses[:5]):
        assert_rate_headers(response, remaining=4 - i)
    assert "Retry-After" in responses[5].headers
    signed_in = await stack.checkout("user_same_ip", body["price_id"])
    assert signed_in.status_code == 200  # a signed-in user is counted on their own key, not the IP


async def test_the_window_reopens_after_the_period(make_stack: StackFactory) -> None:
    stack = await make_stack(RATE_LIMIT_CHECKOUT="2/1 second")
    calls = [await stack.client.post(CHECKOUT, json={}, headers=stack.auth("user_patient")) for _ in range(3)]
    assert [c.status_code for c in calls] == [400, 400, 429]

    deadline = time.monotonic() + 3
    while True:
        again = await stack.client.post(CHECKOUT, json={}, headers=stack.auth("user_patient"))
        if again.status_code != 429 or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)

    assert again.status_code == 400


# --- GET /api/stripe/checkout/{id} -------------------------------------------------------------


async def test_the_success_page_sees_its_open_session_with_the_pending_order(stack: Stack) -> None:
    started = (await stack.checkout("user_success", stack.price_id("starter_template"))).json()

    response = await stack.client.get(f"{CHECKOUT}/{started['id']}", headers=stack.auth("user_success"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "status", "payment_status", "mode", "amount_total", "currency", "order", "subscription"}
    assert body["id"] == started["id"]
    assert (body["status"], body["payment_status"], body["mode"]) == ("open", "unpaid", "payment")
    assert (body["amount_total"], body["currency"]) == (4900, "usd")
    assert body["order"]["id"] == started["order_id"]
    assert body["order"]["status"] == "pending"
    assert body["subscription"] is None


async def test_the_success_page_sees_the_paid_session_with_the_authorized_order(stack: Stack) -> None:
    order = await stack.paid_order("user_paid")

    response = await stack.client.get(f"{CHECKOUT}/{order['checkout_session_id']}", headers=stack.auth("user_paid"))

    body = response.json()
    assert (body["status"], body["payment_status"]) == ("complete", "paid")
    assert body["order"]["status"] == "authorized"
    assert body["order"]["payment_intent_id"].startswith("pi_")


async def test_the_success_page_of_a_subscription_shows_the_subscription(stack: Stack) -> None:
    started = await stack.subscribe("user_sub_success", "pro_monthly")

    response = await stack.client.get(f"{CHECKOUT}/{started['id']}", headers=stack.auth("user_sub_success"))

    body = response.json()
    assert body["mode"] == "subscription"
    assert body["order"] is None
    assert body["subscription"]["status"] == "active"
    assert body["subscription"]["plan_key"] == "pro"
    assert body["subscription"]["price_id"] == stack.price_id("pro_monthly")


async def test_someone_elses_session_is_404(stack: Stack) -> None:
    started = (await stack.checkout("user_owner", stack.price_id("starter_template"))).json()

    response = await stack.client.get(f"{CHECKOUT}/{started['id']}", headers=stack.auth("user_snoop"))

    body = assert_problem(response, 404)
    assert started["order_id"] not in response.text
    assert "user_owner" not in body["detail"]


async def test_an_unknown_session_is_404(stack: Stack) -> None:
    response = await stack.client.get(f"{CHECKOUT}/cs_test_nosuchsession", headers=stack.auth("user_lost"))

    assert_problem(response, 404)


async def test_the_session_status_needs_a_token(stack: Stack) -> None:
    started = (await stack.checkout("user_anon_status", stack.price_id("starter_template"))).json()

    assert_problem(await stack.client.get(f"{CHECKOUT}/{started['id']}"), 401)
