"""What the use cases record through the `Metrics` port, read from the in-memory fake (contract §5
Observability): webhook deliveries by type and outcome with their handling time, catalog reads by
result, e-mails by kind and outcome — and never a label that names a user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from application.catalog.get_catalog import GetCatalog
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.register_user import RegisterUser
from application.errors import InvalidWebhook
from application.orders.capture_order import CaptureOrder
from application.outbox import Outbox
from application.ports.metrics import WebhookOutcome
from application.ports.tokens import Identity
from application.webhooks.process_event import ProcessStripeEvent, WebhookHandlingFailed
from tests.integration.webhook_support import USD_PRICE, session_event, stripe_gateway
from tests.support.container import WEBHOOK_SECRET, Fakes, FakeService, fake_service
from tests.support.stripe_events import event, signed, stripe_object

BUYER, BUYER_EMAIL = "user_metered", "metered@buyers.example"
P, D, F = WebhookOutcome.PROCESSED, WebhookOutcome.DUPLICATE, WebhookOutcome.FAILED


@pytest.fixture
async def world() -> AsyncIterator[FakeService]:
    async with fake_service(Fakes(gateway=stripe_gateway())) as service:
        await (await service.get(RegisterUser)).execute(Identity(BUYER, BUYER_EMAIL))
        yield service


async def deliver(world: FakeService, payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> None:
    body, header = signed(payload, secret)
    await (await world.get(ProcessStripeEvent)).execute(body, header)


async def paid_order(world: FakeService) -> tuple[str, dict[str, Any]]:
    """An order whose buyer paid at Stripe; its `checkout.session.completed`, not delivered yet."""
    command = StartCheckoutCommand(BUYER, USD_PRICE.id, 1)
    started = await (await world.get(StartCheckout)).execute(command)
    assert started.order_id is not None
    world.gateway.authorize(started.id)
    return started.order_id, session_event("checkout.session.completed", world.gateway, started.id)


async def test_a_handled_event_and_its_redelivery_count_as_processed_then_duplicate(world: FakeService) -> None:
    updated = event("product.updated", stripe_object("product"))

    await deliver(world, updated)
    await deliver(world, updated)

    assert world.metrics.webhooks == {("product.updated", P): 1, ("product.updated", D): 1}
    assert len(world.metrics.webhook_seconds["product.updated"]) == 2
    assert all(0 <= seconds < 5 for seconds in world.metrics.webhook_seconds["product.updated"])


async def test_a_type_the_service_does_not_handle_counts_under_other(world: FakeService) -> None:
    await deliver(world, event("customer.created", stripe_object("customer")))
    await deliver(world, event("radar.early_fraud_warning.created", stripe_object("customer")))

    assert world.metrics.webhooks == {("other", WebhookOutcome.IGNORED): 2}


async def test_a_bad_signature_is_rejected_under_other_whatever_type_the_body_claims(world: FakeService) -> None:
    with pytest.raises(InvalidWebhook):
        await deliver(world, event("payment_intent.succeeded", stripe_object("payment_intent")), "whsec_forged")

    assert world.metrics.webhooks == {("other", WebhookOutcome.REJECTED): 1}
    assert world.store.events == {}


async def test_a_failing_handler_counts_as_failed_and_stripes_redelivery_as_processed(world: FakeService) -> None:
    _, completed = await paid_order(world)
    world.gateway.fail_next("get_payment_intent")

    with pytest.raises(WebhookHandlingFailed):
        await deliver(world, completed)
    await deliver(world, completed)

    assert world.metrics.webhooks == {("checkout.session.completed", F): 1, ("checkout.session.completed", P): 1}


async def test_a_replay_counts_like_a_delivery(world: FakeService) -> None:
    _, completed = await paid_order(world)
    world.gateway.fail_next("get_payment_intent")
    with pytest.raises(WebhookHandlingFailed):
        await deliver(world, completed)

    assert await (await world.get(ProcessStripeEvent)).replay(completed["id"]) is P
    assert await (await world.get(ProcessStripeEvent)).replay(completed["id"]) is D
    assert world.metrics.webhooks[("checkout.session.completed", P)] == 1
    assert world.metrics.webhooks[("checkout.session.completed", D)] == 1


async def test_catalog_reads_count_a_fill_as_a_miss_then_hits_and_the_last_good_copy_as_stale(
    world: FakeService,
) -> None:
    catalog = await world.get(GetCatalog)
    await catalog.products()
    await catalog.products()
    await catalog.coupons()
    await deliver(world, event("product.updated", stripe_object("product")))  # drops the cached products
    world.gateway.fail_next("list_products")  # and Stripe is down for the refill

    await catalog.products()

    assert world.metrics.cache == {("products", "miss"): 1, ("products", "hit"): 1, ("products", "stale"): 1,
                                   ("coupons", "miss"): 1}  # fmt: skip


async def test_emails_count_by_kind_and_outcome_and_a_retry_that_sends_counts_as_sent(world: FakeService) -> None:
    order_id, completed = await paid_order(world)
    await deliver(world, completed)
    world.email.fail_next()

    await (await world.get(CaptureOrder)).execute(order_id)
    await (await world.get(Outbox)).run_pending()

    assert world.metrics.emails == {("order-confirmation", "failed"): 1, ("order-confirmation", "sent"): 1}
    assert [m.to for m in world.email.sent] == [BUYER_EMAIL]


async def test_no_label_value_is_a_user_id_an_email_address_or_an_object_id(world: FakeService) -> None:
    order_id, completed = await paid_order(world)
    await deliver(world, completed)
    await (await world.get(CaptureOrder)).execute(order_id)
    await (await world.get(GetCatalog)).products()

    labels = world.metrics.label_values()

    assert labels  # the flow above did record
    personal = {BUYER, BUYER_EMAIL, order_id, completed["id"], completed["data"]["object"]["id"]}
    assert not {value for value in labels if any(p in value for p in personal)}
