"""The sandbox's billing controls on its pages: the Dashboard stand-in (cards, retries, void), the
portal's payment method and invoice history, and the hosted invoice page — as HTML forms and JSON."""

import re

import httpx
import stripe

from sandbox import Sandbox
from sandbox.pages.common import money
from tests.sandbox.billing_support import Subscribed, advance_to, period_end, subscribe


def _failed_renewal(client: stripe.StripeClient, sb: Sandbox, base_url: str) -> tuple[Subscribed, stripe.Invoice]:
    subscribed = subscribe(client)
    chosen = httpx.post(f"{base_url}/sandbox/dashboard/customers/{subscribed.customer}/card", json={"card": "declines"})
    assert chosen.status_code == 200 and chosen.json()["card"]["last4"] == "0341"
    advance_to(sb, period_end(client, subscribed.subscription) + 3600)
    return subscribed, client.v1.invoices.list({"subscription": subscribed.subscription}).data[0]


def test_the_dashboard_lists_customers_their_card_and_invoices_with_actions(
    client: stripe.StripeClient, sb: Sandbox, base_url: str
) -> None:
    subscribed, invoice = _failed_renewal(client, sb, base_url)
    page = httpx.get(f"{base_url}/sandbox/dashboard")
    assert page.status_code == 200
    assert subscribed.customer in page.text and "past_due" in page.text
    assert f"/sandbox/dashboard/invoices/{invoice.id}/retry" in page.text
    assert "after the last fails the subscription becomes <b>unpaid</b>" in page.text
    settings = client.v1.customers.retrieve(subscribed.customer).invoice_settings
    assert settings is not None
    assert client.v1.subscriptions.retrieve(subscribed.subscription).default_payment_method == (
        settings.default_payment_method
    )


def test_the_dashboard_retries_an_invoice_now_and_answers_json_callers_with_the_outcome(
    client: stripe.StripeClient, sb: Sandbox, base_url: str
) -> None:
    subscribed, invoice = _failed_renewal(client, sb, base_url)
    retry = f"{base_url}/sandbox/dashboard/invoices/{invoice.id}/retry"
    declined = httpx.post(retry, json={})
    assert (declined.status_code, declined.json()["error"]["code"]) == (402, "card_declined")
    by_form = httpx.post(retry, data={})
    assert (by_form.status_code, by_form.headers["location"]) == (303, "/sandbox/dashboard")
    httpx.post(f"{base_url}/sandbox/dashboard/customers/{subscribed.customer}/card", data={"card": "succeeds"})
    paid = httpx.post(retry, json={})
    assert (paid.status_code, paid.json()["status"]) == (200, "paid")
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "active"
    assert httpx.post(f"{base_url}/sandbox/dashboard/invoices/{invoice.id}/void", json={}).status_code == 400


def test_the_dashboard_refuses_unknown_cards_customers_and_actions(
    client: stripe.StripeClient, sb: Sandbox, base_url: str
) -> None:
    subscribed, invoice = _failed_renewal(client, sb, base_url)
    bad_card = httpx.post(f"{base_url}/sandbox/dashboard/customers/{subscribed.customer}/card", json={"card": "gold"})
    assert (bad_card.status_code, bad_card.json()["error"]["param"]) == (400, "card")
    no_customer = httpx.post(f"{base_url}/sandbox/dashboard/customers/cus_nobody/card", json={"card": "declines"})
    assert no_customer.status_code == 404
    assert httpx.post(f"{base_url}/sandbox/dashboard/invoices/{invoice.id}/refund", json={}).status_code == 404
    voided = httpx.post(f"{base_url}/sandbox/dashboard/invoices/{invoice.id}/void", data={})
    assert voided.status_code == 303
    assert client.v1.invoices.retrieve(invoice.id).status == "void"


def test_the_portal_shows_the_card_and_invoice_history_and_updates_the_card(
    client: stripe.StripeClient, sb: Sandbox, base_url: str
) -> None:
    subscribed, invoice = _failed_renewal(client, sb, base_url)
    portal = client.v1.billing_portal.sessions.create({"customer": subscribed.customer}).url
    page = httpx.get(portal).text
    assert "•••• 0341" in page
    assert f"{invoice.hosted_invoice_url}'>{invoice.number}</a>" in page
    updated = httpx.post(f"{portal}/payment_method", data={"card": "succeeds"})
    assert updated.status_code == 303
    assert "•••• 4242" in httpx.get(portal).text
    card = client.v1.subscriptions.retrieve(subscribed.subscription).default_payment_method
    assert client.v1.payment_methods.retrieve(str(card)).card.last4 == "4242"  # type: ignore[union-attr]
    assert len(client.v1.customers.payment_methods.list(subscribed.customer).data) == 3


def test_the_hosted_invoice_page_takes_a_payment_with_a_test_card(
    client: stripe.StripeClient, sb: Sandbox, base_url: str
) -> None:
    subscribed, invoice = _failed_renewal(client, sb, base_url)
    assert invoice.hosted_invoice_url is not None
    page = httpx.get(invoice.hosted_invoice_url).text
    form = re.search(r"<form method='post' action='([^']+/pay)'>", page)
    assert form and f"Pay {money(1900, 'usd')}" in page and "Complete authentication" not in page
    declined = httpx.post(f"{base_url}{form.group(1)}", json={"card": "declines"})
    assert (declined.status_code, declined.json()["error"]["code"]) == (402, "card_declined")
    paid = httpx.post(f"{base_url}{form.group(1)}", data={"card": "succeeds"})
    assert paid.status_code == 303
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert f"Pay {money(1900, 'usd')}" not in httpx.get(invoice.hosted_invoice_url).text
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "active"


def test_a_draft_invoice_has_no_hosted_page_yet(client: stripe.StripeClient, sb: Sandbox, base_url: str) -> None:
    subscribed = subscribe(client)
    advance_to(sb, period_end(client, subscribed.subscription))
    draft = client.v1.invoices.list({"status": "draft"}).data[0]
    assert httpx.get(f"{base_url}/sandbox/invoices/{draft.id}").status_code == 404
    assert httpx.get(f"{base_url}/sandbox/invoices/in_missing").status_code == 404


def test_advancing_the_clock_from_the_dashboard_returns_to_it(sb: Sandbox, base_url: str) -> None:
    before = sb.state.now()
    moved = httpx.post(f"{base_url}/sandbox/clock/advance", data={"days": "2", "redirect": "/sandbox/dashboard"})
    assert (moved.status_code, moved.headers["location"]) == (303, "/sandbox/dashboard")
    assert sb.state.now() >= before + 2 * 86400
    elsewhere = httpx.post(f"{base_url}/sandbox/clock/advance", data={"days": "0", "redirect": "https://evil.test/"})
    assert elsewhere.headers["location"] == "/sandbox"


def test_the_dashboard_sets_a_products_trial_as_its_metadata(
    client: stripe.StripeClient, sb: Sandbox, base_url: str
) -> None:
    pro = client.v1.prices.list({"lookup_keys": ["pro_monthly"]}).data[0].product
    page = httpx.get(f"{base_url}/sandbox/dashboard").text
    assert f"/sandbox/dashboard/products/{pro}/trial_days" in page
    assert httpx.post(f"{base_url}/sandbox/dashboard/products/{pro}/trial_days", json={"days": 7}).status_code == 200
    assert client.v1.products.retrieve(str(pro)).metadata["trial_days"] == "7"
    updated = sb.events("product.updated")[-1]["data"]  # the service's catalog cache hears of it
    assert "trial_days" not in updated["previous_attributes"]["metadata"]
    assert updated["object"]["metadata"]["trial_days"] == "7"
    refused = httpx.post(f"{base_url}/sandbox/dashboard/products/{pro}/trial_days", json={"days": "-2"})
    assert (refused.status_code, refused.json()["error"]["param"]) == (400, "days")
    cleared = httpx.post(f"{base_url}/sandbox/dashboard/products/{pro}/trial_days", data={"days": ""})
    assert cleared.status_code == 303
    assert "trial_days" not in client.v1.products.retrieve(str(pro)).metadata
