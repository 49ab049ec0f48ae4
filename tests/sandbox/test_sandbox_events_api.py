"""`GET /v1/events` as Stripe has it, through the official SDK: type filters, `created`, paging,
the 30-day window; and `GET /v1/account`, what a key check asks."""

import pytest
import stripe

from sandbox import Sandbox


def _products(client: stripe.StripeClient, count: int) -> list[str]:
    return [client.v1.products.create({"name": f"P{i}"}).id for i in range(count)]


def test_types_lists_only_the_named_event_types(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Typed"})
    client.v1.products.update(product.id, {"name": "Typed again"})
    client.v1.customers.create({"email": "typed@example.com"})

    listed = client.v1.events.list({"types": ["product.updated", "customer.created"]})

    assert [e.type for e in listed.data] == ["customer.created", "product.updated"]


def test_type_takes_a_wildcard_group(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Grouped"})
    client.v1.products.update(product.id, {"name": "Grouped again"})
    client.v1.customers.create({"email": "grouped@example.com"})

    listed = client.v1.events.list({"type": "product.*"})

    assert {e.type for e in listed.data} == {"product.created", "product.updated"}


@pytest.mark.parametrize(
    "params",
    [
        {"type": "product.created", "types": ["product.updated"]},
        {"types": [f"product.t{i}" for i in range(21)]},
        {"types": ["product.*"]},
    ],
    ids=["type-and-types", "more-than-20-types", "wildcard-in-types"],
)
def test_a_filter_stripe_refuses_is_a_400(client: stripe.StripeClient, params: dict[str, object]) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.events.list(params)  # type: ignore[arg-type]

    assert refused.value.http_status == 400
    assert refused.value.param == "types"


def test_created_bounds_the_listing_in_time(client: stripe.StripeClient, sb: Sandbox) -> None:
    client.v1.customers.create({"email": "early@example.com"})
    sb.advance_clock(seconds=100)
    middle = sb.state.now()
    client.v1.customers.create({"email": "late@example.com"})

    since = client.v1.events.list({"type": "customer.created", "created": {"gte": middle}})
    before = client.v1.events.list({"type": "customer.created", "created": {"lt": middle}})

    assert [e.data.object.email for e in since.data] == ["late@example.com"]
    assert "early@example.com" in [e.data.object.email for e in before.data]
    assert "late@example.com" not in [e.data.object.email for e in before.data]


def test_auto_paging_walks_every_page_newest_first(client: stripe.StripeClient) -> None:
    ids = _products(client, 25)

    listed = client.v1.events.list({"type": "product.created", "limit": 10})
    walked = [e.data.object.id for e in listed.auto_paging_iter()]

    assert len(listed.data) == 10
    assert listed.has_more
    assert walked[:25] == list(reversed(ids))


def test_events_older_than_30_days_are_neither_listed_nor_retrievable(client: stripe.StripeClient, sb: Sandbox) -> None:
    old = client.v1.customers.create({"email": "old@example.com"})
    old_event = client.v1.events.list({"type": "customer.created"}).data[0]
    assert old_event.data.object.id == old.id
    sb.advance_clock(days=31)
    client.v1.customers.create({"email": "new@example.com"})

    listed = client.v1.events.list({"type": "customer.created"})

    assert [e.data.object.email for e in listed.data] == ["new@example.com"]
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.events.retrieve(old_event.id)
    assert gone.value.http_status == 404


def test_delivery_success_false_lists_events_still_owed_to_an_endpoint(sb: Sandbox, base_url: str) -> None:
    client = stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=0)
    client.v1.customers.create({"email": "nobody-listens@example.com"})  # no endpoint yet: owed to none
    sb.deliverer.dropping = True
    sb.webhook_url = "http://127.0.0.1:9/unreachable"
    owed = client.v1.customers.create({"email": "owed@example.com"})

    failed = client.v1.events.list({"delivery_success": False})

    assert [e.data.object.id for e in failed.data] == [owed.id]


def test_the_account_of_the_key_is_retrievable_and_stable(client: stripe.StripeClient) -> None:
    first = client.v1.accounts.retrieve_current()
    second = client.v1.accounts.retrieve_current()

    assert first.id.startswith("acct_")
    assert first.id == second.id
    assert first.charges_enabled is True


def test_the_lists_a_reconciliation_reads_take_created_bounds(client: stripe.StripeClient, sb: Sandbox) -> None:
    early = client.v1.customers.create({"email": "early-list@example.com"})
    sb.advance_clock(seconds=100)
    middle = sb.state.now()
    late = client.v1.customers.create({"email": "late-list@example.com"})

    since = [c.id for c in client.v1.customers.list({"created": {"gte": middle}}).data]
    before = [c.id for c in client.v1.customers.list({"created": {"lt": middle}, "limit": 100}).data]

    assert since == [late.id]
    assert early.id in before
    assert late.id not in before
    for listing in (client.v1.payment_intents, client.v1.subscriptions, client.v1.checkout.sessions):
        assert listing.list({"created": {"gte": middle}}).data == []  # type: ignore[attr-defined]
