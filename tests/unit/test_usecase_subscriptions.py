"""SyncSubscription, GetBillingStatus and OpenPortal on the in-memory fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from application.billing.get_billing_status import GetBillingStatus
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.portal.open_portal import OpenPortal
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import SubscriptionState
from application.ports.tokens import Identity
from application.subscriptions.sync_subscription import SyncResult, SyncSubscription
from domain.subscription import Subscription, SubscriptionStatus
from tests.support.container import PORTAL, FakeService, fake_service
from tests.unit.factories import T0, CatalogPriceFactory, CatalogProductFactory, SubscriptionStateFactory

S = SubscriptionStatus


async def sync(
    world: FakeService,
    subscription_id: str,
    *,
    customer_id: str | None = None,
    user_id: str | None = None,
    as_of: datetime | None = None,
    snapshot: SubscriptionState | None = None,
) -> SyncResult:
    """What a `customer.subscription.*` handler does in one request: sync inside its transaction, then commit."""
    request = world.request()
    uow, sync_subscription = await request.get(UnitOfWork), await request.get(SyncSubscription)
    async with uow:
        result = await sync_subscription.apply(
            uow,
            subscription_id=subscription_id,
            customer_id=customer_id,
            user_id=user_id,
            as_of=as_of,
            snapshot=snapshot,
        )
        await uow.commit()
    return result


async def stored_subscription(world: FakeService, subscription_id: str) -> Subscription | None:
    async with world.uow() as uow:
        return await uow.subscriptions.get(subscription_id)


@pytest.fixture
async def world() -> AsyncIterator[FakeService]:
    async with fake_service() as service:
        service.gateway.add_product(
            CatalogProductFactory.build(
                id="prod_pro",
                name="Pro",
                metadata={"plan_key": "pro", "limit_projects": "10", "limit_seats": "unlimited"},
                prices=[
                    CatalogPriceFactory.build(id="price_pro", type="recurring", interval="month", interval_count=1)
                ],
            )
        )
        yield service


@pytest.fixture
async def user_id(world: FakeService) -> str:
    await (await world.get(RegisterUser)).execute(Identity("user_1", "ada@example.com"))
    return "user_1"


def _stripe_subscription(
    world: FakeService, status: SubscriptionStatus = S.ACTIVE, **fields: object
) -> SubscriptionState:
    values: dict[str, object] = {
        "id": "sub_1",
        "customer_id": "cus_1",
        "status": status,
        "price_id": "price_pro",
        "product_id": "prod_pro",
        "plan_key": "pro",
        **fields,
    }
    return world.gateway.add_subscription(SubscriptionStateFactory.build(**values))


# --- SyncSubscription -------------------------------------------------------------------------


async def test_a_subscription_of_an_unknown_user_is_not_applied(world: FakeService) -> None:
    _stripe_subscription(world)
    result = await sync(world, "sub_1", customer_id="cus_1", user_id="user_nobody")

    assert result.applied is False
    assert await stored_subscription(world, "sub_1") is None
    assert world.gateway.calls["get_subscription"] == 0


async def test_syncing_stores_stripes_state_and_links_the_stripe_customer(world: FakeService, user_id: str) -> None:
    state = _stripe_subscription(world, cancel_at_period_end=True, cancel_at=T0 + timedelta(days=30))
    result = await sync(world, "sub_1", customer_id="cus_1", user_id=user_id)

    assert result == SyncResult(True)
    stored = await stored_subscription(world, "sub_1")
    assert stored is not None
    assert (stored.user_id, stored.stripe_customer_id, stored.status, stored.plan_key) == (
        user_id,
        "cus_1",
        S.ACTIVE,
        "pro",
    )
    assert (stored.current_period_end, stored.cancel_at_period_end, stored.cancel_at) == (
        state.current_period_end,
        True,
        state.cancel_at,
    )
    async with world.uow() as uow:
        customer = await uow.customers.get(user_id)
    assert customer is not None and customer.stripe_customer_id == "cus_1"


async def test_a_subscription_event_naming_only_the_stripe_customer_finds_the_user(
    world: FakeService, user_id: str
) -> None:
    customer_id = (await (await world.get(EnsureStripeCustomer)).execute(user_id)).stripe_customer_id
    _stripe_subscription(world, customer_id=customer_id)

    assert (await sync(world, "sub_1", customer_id=customer_id)).applied
    stored = await stored_subscription(world, "sub_1")
    assert stored is not None and stored.user_id == user_id


async def test_a_canceled_subscription_stays_canceled_when_a_stale_active_read_arrives(
    world: FakeService, user_id: str
) -> None:
    _stripe_subscription(world, S.CANCELED, canceled_at=T0)
    assert (await sync(world, "sub_1", user_id=user_id)).applied

    _stripe_subscription(world, S.ACTIVE)  # a stale read, e.g. a lagging replica
    result = await sync(world, "sub_1", user_id=user_id)

    assert result.applied is False
    stored = await stored_subscription(world, "sub_1")
    assert stored is not None and (stored.status, stored.canceled_at) == (S.CANCELED, T0)


@pytest.mark.parametrize(
    "sequence",
    [
        [S.INCOMPLETE, S.ACTIVE],
        [S.ACTIVE, S.PAST_DUE, S.ACTIVE],
        [S.TRIALING, S.ACTIVE, S.CANCELED],
        [S.ACTIVE, S.PAUSED, S.ACTIVE],
    ],
    ids=lambda seq: "→".join(seq),
)
async def test_the_stored_subscription_ends_equal_to_stripes_newest_state(
    world: FakeService, user_id: str, sequence: list[SubscriptionStatus]
) -> None:
    for status in sequence:
        _stripe_subscription(world, status)
        await sync(world, "sub_1", user_id=user_id)
    stored = await stored_subscription(world, "sub_1")
    assert stored is not None and stored.status is sequence[-1]


async def test_a_subscription_stripe_does_not_know_is_not_applied(world: FakeService, user_id: str) -> None:
    result = await sync(world, "sub_missing", user_id=user_id)
    assert result.applied is False
    assert await stored_subscription(world, "sub_missing") is None


# --- ordering by the events' seconds (snapshots) -----------------------------------------------

SECOND = timedelta(seconds=1)


async def _synced_at(world: FakeService, user_id: str, as_of: datetime) -> SubscriptionState:
    """The first event of sub_1 (created at `as_of`): read from Stripe, as every first event is."""
    state = _stripe_subscription(world)
    assert (await sync(world, "sub_1", user_id=user_id, as_of=as_of, snapshot=state)).applied
    assert world.gateway.calls["get_subscription"] == 1
    return state


async def test_a_newer_snapshot_of_the_same_plan_is_applied_without_a_stripe_call(
    world: FakeService, user_id: str
) -> None:
    state = await _synced_at(world, user_id, T0)
    snapshot = replace(state, cancel_at_period_end=True, plan_key=None)  # snapshots carry no plan key

    assert (await sync(world, "sub_1", user_id=user_id, as_of=T0 + SECOND, snapshot=snapshot)).applied

    stored = await stored_subscription(world, "sub_1")
    assert stored is not None
    assert (stored.cancel_at_period_end, stored.plan_key, stored.as_of) == (True, "pro", T0 + SECOND)
    assert world.gateway.calls["get_subscription"] == 1


async def test_an_event_older_than_the_stored_state_changes_nothing_and_costs_no_call(
    world: FakeService, user_id: str
) -> None:
    state = await _synced_at(world, user_id, T0)
    stale = replace(state, status=S.PAST_DUE)

    result = await sync(world, "sub_1", user_id=user_id, as_of=T0 - SECOND, snapshot=stale)

    assert result.applied
    stored = await stored_subscription(world, "sub_1")
    assert stored is not None and (stored.status, stored.as_of) == (S.ACTIVE, T0)
    assert world.gateway.calls["get_subscription"] == 1


async def test_two_events_in_the_same_second_are_settled_by_reading_stripe(world: FakeService, user_id: str) -> None:
    state = await _synced_at(world, user_id, T0)
    _stripe_subscription(world, S.PAST_DUE)  # Stripe moved on within the same second
    same_second_snapshot = replace(state, cancel_at_period_end=True)  # which of the two is newer? unknown

    assert (await sync(world, "sub_1", user_id=user_id, as_of=T0, snapshot=same_second_snapshot)).applied

    stored = await stored_subscription(world, "sub_1")
    assert stored is not None and (stored.status, stored.cancel_at_period_end) == (S.PAST_DUE, False)
    assert world.gateway.calls["get_subscription"] == 2


async def test_a_plan_change_is_read_from_stripe_for_the_new_plan_key(world: FakeService, user_id: str) -> None:
    state = await _synced_at(world, user_id, T0)
    _stripe_subscription(world, price_id="price_team", product_id="prod_team", plan_key="team")
    snapshot = replace(state, price_id="price_team", product_id="prod_team", plan_key=None)

    assert (await sync(world, "sub_1", user_id=user_id, as_of=T0 + SECOND, snapshot=snapshot)).applied

    stored = await stored_subscription(world, "sub_1")
    assert stored is not None and (stored.plan_key, stored.as_of) == ("team", T0 + SECOND)
    assert world.gateway.calls["get_subscription"] == 2


async def test_a_newer_live_snapshot_never_revives_a_deleted_subscription(world: FakeService, user_id: str) -> None:
    state = await _synced_at(world, user_id, T0)
    deleted = replace(state, status=S.CANCELED, canceled_at=T0 + SECOND, ended_at=T0 + SECOND)
    assert (await sync(world, "sub_1", user_id=user_id, as_of=T0 + SECOND, snapshot=deleted)).applied

    result = await sync(world, "sub_1", user_id=user_id, as_of=T0 + 2 * SECOND, snapshot=state)

    assert result.applied is False
    stored = await stored_subscription(world, "sub_1")
    assert stored is not None and stored.status is S.CANCELED


# --- GetBillingStatus -------------------------------------------------------------------------


async def test_an_active_subscription_grants_its_plan_and_the_catalog_limits(world: FakeService, user_id: str) -> None:
    _stripe_subscription(world)
    await sync(world, "sub_1", user_id=user_id)

    status = await (await world.get(GetBillingStatus)).execute(user_id)

    assert (status.user_id, status.email, status.stripe_customer_id) == (user_id, "ada@example.com", "cus_1")
    assert status.subscription is not None and status.subscription.stripe_subscription_id == "sub_1"
    assert (status.entitlements.plan_key, status.entitlements.active) == ("pro", True)
    assert status.entitlements.limits == {"projects": 10, "seats": None}


@pytest.mark.parametrize(("status", "active"), [(S.TRIALING, True), (S.PAST_DUE, True), (S.UNPAID, False)])
async def test_access_follows_the_subscription_status(
    world: FakeService, user_id: str, status: SubscriptionStatus, active: bool
) -> None:
    _stripe_subscription(world, status)
    await sync(world, "sub_1", user_id=user_id)
    entitlements = (await (await world.get(GetBillingStatus)).execute(user_id)).entitlements
    assert entitlements.active is active
    assert entitlements.plan_key == ("pro" if active else None)


async def test_a_canceled_subscription_grants_no_access_but_is_still_reported(world: FakeService, user_id: str) -> None:
    _stripe_subscription(world, S.CANCELED, canceled_at=T0)
    await sync(world, "sub_1", user_id=user_id)

    status = await (await world.get(GetBillingStatus)).execute(user_id)

    assert status.subscription is not None and status.subscription.status is S.CANCELED
    assert (status.entitlements.plan_key, status.entitlements.active, status.entitlements.limits) == (None, False, {})
    assert world.gateway.calls["list_products"] == 0


async def test_a_user_without_a_subscription_has_no_access(world: FakeService, user_id: str) -> None:
    status = await (await world.get(GetBillingStatus)).execute(user_id)
    assert status.subscription is None
    assert (status.entitlements.plan_key, status.entitlements.active) == (None, False)
    assert status.stripe_customer_id is None


async def test_billing_status_reads_limits_from_the_warm_catalog_without_stripe(
    world: FakeService, user_id: str
) -> None:
    _stripe_subscription(world)
    await sync(world, "sub_1", user_id=user_id)
    await (await world.get(GetBillingStatus)).execute(user_id)
    await (await world.get(GetBillingStatus)).execute(user_id)
    assert world.gateway.calls["list_products"] == 1


# --- OpenPortal -------------------------------------------------------------------------------


async def test_a_user_without_a_stripe_customer_is_sent_to_pricing_without_a_stripe_call(
    world: FakeService, user_id: str
) -> None:
    assert await (await world.get(OpenPortal)).execute(user_id) == PORTAL.no_customer_url
    assert await (await world.get(OpenPortal)).execute("user_unknown") == PORTAL.no_customer_url
    assert world.gateway.calls["create_portal_session"] == 0


async def test_a_customer_gets_a_portal_session_returning_to_the_app(world: FakeService, user_id: str) -> None:
    customer_id = (await (await world.get(EnsureStripeCustomer)).execute(user_id)).stripe_customer_id
    url = await (await world.get(OpenPortal)).execute(user_id)
    assert url == f"https://billing.example/portal/{customer_id}"
    assert world.gateway.portal_sessions == [(customer_id, PORTAL.return_url)]
