"""Contract §5 Customer portal: `POST /api/stripe/portal` against the sandbox."""

from __future__ import annotations

from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory, assert_problem

PORTAL = "/api/stripe/portal"


async def customer_of(stack: Stack, user_id: str) -> str:
    """Arrange a Stripe customer the way users get one: by starting a checkout."""
    assert (await stack.checkout(user_id, stack.price_id("starter_template"))).status_code == 200
    billing = (await stack.client.get("/api/me/billing", headers=stack.auth(user_id))).json()
    return str(billing["stripe_customer_id"])


async def test_a_customer_is_redirected_to_a_new_portal_session(stack: Stack) -> None:
    customer_id = await customer_of(stack, "user_portal")

    response = await stack.client.post(PORTAL, headers=stack.auth("user_portal"), follow_redirects=False)

    assert response.status_code == 303
    [created] = stack.calls("POST", "/v1/billing_portal/sessions")
    assert created.params == {"customer": customer_id, "return_url": "http://shop.test/"}
    [portal] = [p for p in stack.sb.state.store.all("billing_portal.session") if p["customer"] == customer_id]
    assert response.headers["location"] == portal["url"]
    assert portal["url"].startswith(f"{stack.stripe_url}/sandbox/portal/")


async def test_asking_for_json_gets_the_portal_url_in_a_200(stack: Stack) -> None:
    await customer_of(stack, "user_portal_json")

    response = await stack.client.post(PORTAL, headers={**stack.auth("user_portal_json"), "Accept": "application/json"})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url"}
    assert body["url"].startswith(f"{stack.stripe_url}/sandbox/portal/")


async def test_the_return_url_follows_the_setting(make_stack: StackFactory) -> None:
    stack = await make_stack(PORTAL_RETURN_URL="https://app.example.com/account")
    await customer_of(stack, "user_portal_return")

    await stack.client.post(PORTAL, headers=stack.auth("user_portal_return"), follow_redirects=False)

    [created] = stack.calls("POST", "/v1/billing_portal/sessions")
    assert created.params["return_url"] == "https://app.example.com/account"


async def test_a_user_without_a_customer_is_sent_to_the_pricing_section(stack: Stack) -> None:
    response = await stack.client.post(PORTAL, headers=stack.auth("user_never_paid"), follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "http://shop.test/#pricing"
    assert stack.calls("POST", "/v1/billing_portal/sessions") == []
    assert stack.calls("POST", "/v1/customers") == []


async def test_a_user_without_a_customer_asking_for_json_gets_the_pricing_url(make_stack: StackFactory) -> None:
    stack = await make_stack(CHECKOUT_CANCEL_URL="https://app.example.com/pricing")

    response = await stack.client.post(
        PORTAL, headers={**stack.auth("user_never_paid_json"), "Accept": "application/json"}
    )

    assert response.status_code == 200
    assert response.json() == {"url": "https://app.example.com/pricing"}


async def test_the_portal_needs_a_token(stack: Stack) -> None:
    assert_problem(await stack.client.post(PORTAL), 401)
    assert stack.calls("POST", "/v1/billing_portal/sessions") == []


async def test_stripe_failing_is_502(stack: Stack) -> None:
    await customer_of(stack, "user_portal_down")
    stack.sb.faults.fail("POST", "/v1/billing_portal/sessions", status=503, times=100)

    response = await stack.client.post(PORTAL, headers=stack.auth("user_portal_down"), follow_redirects=False)

    assert_problem(response, 502)


async def test_the_portal_is_rate_limited_like_checkout(stack: Stack) -> None:
    headers = stack.auth("user_portal_hasty")

    responses = [await stack.client.post(PORTAL, headers=headers, follow_redirects=False) for _ in range(6)]

    assert [r.status_code for r in responses] == [303, 303, 303, 303, 303, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"5"}
    assert all("X-RateLimit-Reset" in r.headers for r in responses)
    assert_problem(responses[5], 429)
    assert int(responses[5].headers["Retry-After"]) >= 1
