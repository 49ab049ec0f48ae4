"""The dashboard's payment pages: a payment's refunds and dispute, driven by forms (303) or JSON (the object)."""

import httpx
import stripe

from sandbox import Sandbox
from tests.sandbox.payments import captured_payment


def _charge_id(client: stripe.StripeClient, intent_id: str) -> str:
    return client.v1.charges.list({"payment_intent": intent_id}).data[0].id


def test_the_payments_page_lists_payments_and_links_each_one(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = captured_payment(client)
    listing = httpx.get(f"{sb.public_url}/sandbox/dashboard/payments")
    assert listing.status_code == 200
    assert intent_id in listing.text and "$49.00" in listing.text and "succeeded" in listing.text
    shown = httpx.get(f"{sb.public_url}/sandbox/dashboard/payments/{intent_id}")
    assert shown.status_code == 200
    assert "Refund</button>" in shown.text and "Open a dispute" in shown.text


def test_the_refund_form_refunds_part_and_returns_to_the_payment(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = captured_payment(client)
    charge_id = _charge_id(client, intent_id)
    response = httpx.post(
        f"{sb.public_url}/sandbox/dashboard/payments/{charge_id}/refund",
        data={"amount": "1500", "reason": "duplicate"},
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/sandbox/dashboard/payments/{charge_id}")
    refund = client.v1.refunds.list({"charge": charge_id}).data[0]
    assert (refund.amount, refund.reason, refund.status) == (1500, "duplicate", "succeeded")
    assert "partially refunded" in httpx.get(f"{sb.public_url}/sandbox/dashboard/payments").text
    assert "/sandbox/dashboard/payments" in httpx.get(f"{sb.public_url}/sandbox/dashboard").text  # linked from billing


def test_a_blank_amount_refunds_all_that_is_left_and_a_bad_one_is_refused(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    intent_id = captured_payment(client)
    url = f"{sb.public_url}/sandbox/dashboard/payments/{intent_id}/refund"
    refused = httpx.post(url, json={"amount": "ten"})
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "amount"
    assert httpx.post(url, json={"amount": 99999}).json()["error"]["code"] == "amount_too_large"
    whole = httpx.post(url, json={})
    assert (whole.status_code, whole.json()["amount"]) == (200, 4900)
    assert client.v1.charges.retrieve(_charge_id(client, intent_id)).refunded is True


def test_pending_refunds_are_switched_on_then_settled_from_the_page(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = captured_payment(client)
    base = f"{sb.public_url}/sandbox/dashboard"
    assert httpx.post(f"{base}/refunds/hold", json={"on": "true"}).json() == {"refunds_stay_pending": True}
    refund = httpx.post(f"{base}/payments/{intent_id}/refund", json={"amount": 200}).json()
    assert refund["status"] == "pending"
    assert "Succeed</button>" in httpx.get(f"{base}/payments/{intent_id}").text
    settled = httpx.post(f"{base}/refunds/{refund['id']}/settle", data={"outcome": "failed"})
    assert settled.status_code == 303
    assert client.v1.refunds.retrieve(refund["id"]).status == "failed"
    assert [e["type"] for e in sb.events("refund.")][-2:] == ["refund.updated", "refund.failed"]


def test_a_dispute_is_opened_and_closed_from_the_payment_page(client: stripe.StripeClient, sb: Sandbox) -> None:
    intent_id = captured_payment(client)
    base = f"{sb.public_url}/sandbox/dashboard"
    opened = httpx.post(f"{base}/payments/{intent_id}/dispute", data={"reason": "duplicate"})
    assert opened.status_code == 303
    dispute = client.v1.disputes.list({"payment_intent": intent_id}).data[0]
    assert (dispute.reason, dispute.status) == ("duplicate", "needs_response")
    assert "Close as won" in httpx.get(f"{base}/payments/{intent_id}").text
    closed = httpx.post(f"{base}/disputes/{dispute.id}/close", json={"outcome": "lost"})
    assert (closed.status_code, closed.json()["status"]) == (200, "lost")
    again = httpx.post(f"{base}/disputes/{dispute.id}/close", data={"outcome": "won"})
    assert again.status_code == 400 and "already closed" in again.text


def test_an_unknown_payment_is_a_404_page(sb: Sandbox, base_url: str) -> None:
    assert httpx.get(f"{base_url}/sandbox/dashboard/payments/pi_missing").status_code == 404
