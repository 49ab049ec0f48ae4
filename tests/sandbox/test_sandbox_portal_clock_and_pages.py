"""The portal's subscription actions, the sandbox clock, demo sign-in, the checkout page's amounts, and
mounting into a host app."""

import httpx
import jwt
import pytest
import stripe
from litestar import Litestar
from litestar.testing import TestClient

from sandbox import Sandbox

DAY = 86400


def _subscribe(client: stripe.StripeClient, lookup_key: str = "pro_monthly") -> tuple[str, str]:
    price = client.v1.prices.list({"lookup_keys": [lookup_key]}).data[0].id
    customer = client.v1.customers.create({"email": "portal@example.com"})
    session = client.v1.checkout.sessions.create(
        {"mode": "subscription", "customer": customer.id, "line_items": [{"price": price, "quantity": 1}]}
    )
    httpx.post(f"{session.url}/pay")
    subscription = client.v1.checkout.sessions.retrieve(session.id).subscription
    assert isinstance(subscription, str)  # not expanded
    return customer.id, subscription


def _portal(client: stripe.StripeClient, customer: str) -> str:
    return client.v1.billing_portal.sessions.create({"customer": customer, "return_url": "http://shop.test/acct"}).url


def test_the_portal_cancels_at_period_end_resumes_and_switches_plans(client: stripe.StripeClient, sb: Sandbox) -> None:
    customer, sub_id = _subscribe(client)
    portal = _portal(client, customer)
    page = httpx.get(portal)
    assert "Cancel at period end" in page.text and "http://shop.test/acct" in page.text
    assert httpx.post(f"{portal}/subscriptions/{sub_id}/cancel_at_period_end").status_code == 303
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert sub.cancel_at_period_end and sub.cancel_at == sub["items"].data[0].current_period_end
    httpx.post(f"{portal}/subscriptions/{sub_id}/resume")
    assert client.v1.subscriptions.retrieve(sub_id).cancel_at is None
    team = client.v1.prices.list({"lookup_keys": ["team_monthly"]}).data[0].id
    httpx.post(f"{portal}/subscriptions/{sub_id}/switch", data={"price": team})
    assert client.v1.subscriptions.retrieve(sub_id)["items"].data[0].price.id == team
    updates = sb.events("customer.subscription.updated")
    assert len(updates) == 3
    assert updates[0]["data"]["previous_attributes"]["cancel_at_period_end"] is False
    httpx.post(f"{portal}/subscriptions/{sub_id}/cancel_now")
    assert client.v1.subscriptions.retrieve(sub_id).status == "canceled"
    assert sb.events()[-1]["type"] == "customer.subscription.deleted"


def test_advancing_the_clock_renews_a_subscription(client: stripe.StripeClient, sb: Sandbox) -> None:
    _, sub_id = _subscribe(client)
    end = client.v1.subscriptions.retrieve(sub_id)["items"].data[0].current_period_end
    report = httpx.post(f"{sb.public_url}/sandbox/clock/advance", json={"days": 32}).json()
    assert report["renewed"] == [sub_id]
    item = client.v1.subscriptions.retrieve(sub_id)["items"].data[0]
    assert item.current_period_start == end
    assert item.current_period_end > end
    renewal = sb.events("customer.subscription.updated")[-1]
    assert end <= renewal["created"] <= end + 1  # stamped when the period turned, not when the jump ended
    assert renewal["data"]["previous_attributes"]["items"]["data"][0]["current_period_start"] < end


def test_advancing_past_the_period_end_ends_a_subscription_set_to_cancel(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    _, sub_id = _subscribe(client)
    client.v1.subscriptions.update(sub_id, {"cancel_at_period_end": True})
    sb.advance_clock(days=40)
    sub = client.v1.subscriptions.retrieve(sub_id)
    assert sub.status == "canceled"
    assert sub.ended_at == sub.cancel_at
    assert isinstance(sub.customer, str)  # not expanded
    assert client.v1.subscriptions.list({"customer": sub.customer}).data == []
    assert [s.id for s in client.v1.subscriptions.list({"customer": sub.customer, "status": "all"}).data] == [sub_id]


def test_a_hold_older_than_seven_days_lapses(client: stripe.StripeClient, sb: Sandbox) -> None:
    price = client.v1.prices.list({"lookup_keys": ["starter_template"]}).data[0].id
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": price, "quantity": 1}],
            "payment_intent_data": {"capture_method": "manual"},
        }
    )
    httpx.post(f"{session.url}/pay")
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert isinstance(intent_id, str)  # not expanded
    sb.advance_clock(days=6)
    assert client.v1.payment_intents.retrieve(intent_id).status == "requires_capture"
    sb.advance_clock(days=2)
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.cancellation_reason) == ("canceled", "automatic")
    assert sb.events()[-1]["type"] == "payment_intent.canceled"


def test_sign_in_issues_a_token_the_service_can_verify_with_the_public_key(sb: Sandbox, base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/sandbox/sign-in", json={"user_id": "u1", "email": "u1@example.com", "role": "admin"}
    )
    token = response.json()["token"]
    assert response.cookies["__session"] == token
    claims = jwt.decode(token, sb.jwt_public_key_pem, algorithms=["RS256"], options={"verify_aud": False})
    assert (claims["sub"], claims["email"], claims["metadata"]) == ("u1", "u1@example.com", {"role": "admin"})
    assert claims["azp"] == base_url and claims["iss"] == f"{base_url}/sandbox"
    assert claims["exp"] - claims["iat"] == 3600


def test_a_sign_in_form_sets_the_session_cookie_and_returns_to_the_page_it_came_from(
    sb: Sandbox, base_url: str
) -> None:
    with httpx.Client(base_url=base_url) as browser:
        signed_in = browser.post(
            "/sandbox/sign-in",
            data={"user_id": "u7", "email": "u7@x.io", "redirect": "/checkout/success?session_id=cs_1"},
        )
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/checkout/success?session_id=cs_1"
        claims = sb.signer.read(browser.cookies["__session"])
        assert claims is not None and claims["sub"] == "u7"

        signed_out = browser.post("/sandbox/sign-out", data={"redirect": "/sandbox/account"})
        assert signed_out.headers["location"] == "/sandbox/account"
        assert "__session" not in browser.cookies


@pytest.mark.parametrize("elsewhere", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_a_sign_in_form_never_sends_the_browser_to_another_site(base_url: str, elsewhere: str) -> None:
    signed_in = httpx.post(
        f"{base_url}/sandbox/sign-in", data={"user_id": "u7", "email": "u7@x.io", "redirect": elsewhere}
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/sandbox"


def test_the_clock_is_read_and_a_form_moving_it_returns_to_its_page(sb: Sandbox, base_url: str) -> None:
    before = httpx.get(f"{base_url}/sandbox/clock").json()["now"]
    moved = httpx.post(f"{base_url}/sandbox/clock/advance", data={"days": "2", "redirect": "/sandbox/account"})
    assert moved.status_code == 303
    assert moved.headers["location"] == "/sandbox/account"
    assert httpx.get(f"{base_url}/sandbox/clock").json()["now"] >= before + 2 * DAY


@pytest.mark.parametrize("days", ["inf", "nan", "-1", "soon"])
def test_moving_the_clock_by_no_sensible_amount_is_refused(sb: Sandbox, base_url: str, days: str) -> None:
    refused = httpx.post(f"{base_url}/sandbox/clock/advance", json={"days": days})
    assert refused.status_code == 400
    assert sb.state.clock.offset == 0


def test_the_checkout_page_shows_amounts_as_stripe_does(client: stripe.StripeClient) -> None:
    price = client.v1.prices.list({"lookup_keys": ["starter_template"]}).data[0].id
    session = client.v1.checkout.sessions.create({"mode": "payment", "line_items": [{"price": price, "quantity": 2}]})
    assert session.url is not None
    page = httpx.get(session.url).text
    assert "Starter template &times; 2" in page and "$98.00" in page
    assert "USD" not in page


def test_the_routers_mount_under_a_prefix_in_a_host_app() -> None:
    sb = Sandbox(public_url="http://testserver", api_prefix="/sandbox/stripe")
    assert sb.api_base == "http://testserver/sandbox/stripe"
    app = Litestar(route_handlers=sb.route_handlers())
    with TestClient(app) as http:
        created = http.post(
            "/sandbox/stripe/v1/customers",
            data={"email": "m@example.com", "metadata[user_id]": "u1"},
            headers={"Authorization": f"Bearer {sb.secret_key}"},
        )
        assert created.status_code == 200
        assert created.json()["metadata"] == {"user_id": "u1"}
        assert http.get("/sandbox/clock").status_code == 200
