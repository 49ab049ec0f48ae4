"""SyncSubscription, GetBillingStatus and OpenPortal on the in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pytest

from adapters.babel.money_formatter import BabelMoneyFormatter
from adapters.in_memory.clock import ManualClock
from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_memory.tokens import InMemoryUserDirectory
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from adapters.in_process.cache import InMemoryCache
from application.billing.get_billing_status import GetBillingStatus
from application.catalog.get_catalog import GetCatalog
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.portal.open_portal import OpenPortal, PortalSettings
from application.ports.payment_gateway import SubscriptionState
from application.ports.tokens import Identity
from application.subscriptions.sync_subscription import SyncResult, SyncSubscription
from domain.subscription import Subscription, SubscriptionStatus
from tests.unit.factories import T0, CatalogPriceFactory, CatalogProductFactory, SubscriptionStateFactory

S = SubscriptionStatus
PORTAL = PortalSettings(return_url="https://app.test/", no_customer_url="https://app.test/#pricing")


@dataclass
class World:
    gateway: InMemoryPaymentGateway = field(default_factory=InMemoryPaymentGateway)
    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))

    def __post_init__(self) -> None:
        self.cache = InMemoryCache(self.clock)

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    async def sync(
        self,
        subscription_id: str,
        *,
        customer_id: str | None = None,
        user_id: str | None = None,
        as_of: datetime | None = None,
        snapshot: SubscriptionState | None = None,
    ) -> SyncResult:
        """What a `customer.subscription.*` handler does: sync inside its transaction, then commit."""
        async with self.uow() as uow:
            result = await SyncSubscription(self.gateway).apply(
                uow,
                subscription_id=subscription_id,
                customer_id=customer_id,
                user_id=user_id,
                as_of=as_of,
                snapshot=snapshot,
            )
            await uow.commit()
        return result

    async def stored(self, subscription_id: str) -> Subscription | None:
        async with self.uow() as uow:
            return await uow.subscriptions.get(subscription_id)

    def billing(self) -> GetBillingStatus:
        catalog = GetCatalog(self.gateway, self.cache, BabelMoneyFormatter("en_US"), self.clock)
        return GetBillingStatus(self.uow(), catalog)

    def portal(self) -> OpenPortal:
        return OpenPortal(self.uow(), self.gateway, PORTAL)


@pytest.fixture
def world() -> World:
    world = World()
    world.gateway.add_product(
        CatalogProductFactory.build(
            id="prod_pro",
            name="Pro",
            metadata={"plan_key": "pro", "limit_projects": "10", "limit_seats": "unlimited"},
            prices=[CatalogPriceFactory.build(id="price_pro", type="recurring", interval="month", interval_count=1)],
        )
    )
    return world


@pytest.fixture
async def user_id(world: World) -> str:
    await RegisterUser(world.uow(), InMemoryUserDirectory()).execute(Identity("user_1", "ada@example.com"))
    return "user_1"


def _stripe_subscription(world: World, status: SubscriptionStatus = S.ACTIVE, **fields: object) -> SubscriptionState:
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


async def test_a_subscription_of_an_unknown_user_is_not_applied(world: World) -> None:
    _stripe_subscription(world)
    result = await world.sync("sub_1", customer_id="cus_1", user_id="user_nobody")

    assert result.applied is False
    assert await world.stored("sub_1") is None
    assert world.gateway.calls["get_subscription"] == 0


async def test_syncing_stores_stripes_state_and_links_the_stripe_customer(world: World, user_id: str) -> None:
    state = _stripe_subscription(world, cancel_at_period_end=True, cancel_at=T0 + timedelta(days=30))
    result = await world.sync("sub_1", customer_id="cus_1", user_id=user_id)

    assert result == SyncResult(True)
    stored = await world.stored("sub_1")
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


async def test_a_subscription_event_naming_only_the_stripe_customer_finds_the_user(world: World, user_id: str) -> None:
    customer = await EnsureStripeCustomer(world.uow(), world.gateway).execute(user_id)
    customer_id = customer.stripe_customer_id
    _stripe_subscription(world, customer_id=customer_id)

    assert (await world.sync("sub_1", customer_id=customer_id)).applied
    stored = await world.stored("sub_1")
    assert stored is not None and stored.user_id == user_id


async def test_a_canceled_subscription_stays_canceled_when_a_stale_active_read_arrives(
    world: World, user_id: str
) -> None:
    _stripe_subscription(world, S.CANCELED, canceled_at=T0)
    assert (await world.sync("sub_1", user_id=user_id)).applied

    _stripe_subscription(world, S.ACTIVE)  # a stale read, e.g. a lagging replica
    result = await world.sync("sub_1", user_id=user_id)

    assert result.applied is False
    stored = await world.stored("sub_1")
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
    world: World, user_id: str, sequence: list[SubscriptionStatus]
) -> None:
    for status in sequence:
        _stripe_subscription(world, status)
        await world.sync("sub_1", user_id=user_id)
    stored = await world.stored("sub_1")
    assert stored is not None and stored.status is sequence[-1]


async def test_a_subscription_stripe_does_not_know_is_not_applied(world: World, user_id: str) -> None:
    result = await world.sync("sub_missing", user_id=user_id)
    assert result.applied is False
    assert await world.stored("sub_missing") is None


# --- ordering by the events' seconds (snapshots) -----------------------------------------------

SECOND = timedelta(seconds=1)


async def _synced_at(world: World, user_id: str, as_of: datetime) -> SubscriptionState:
    """The first event of sub_1 (created at `as_of`): read from Stripe, as every first event is."""
    state = _stripe_subscription(world)
    assert (await world.sync("sub_1", user_id=user_id, as_of=as_of, snapshot=state)).applied
    assert world.gateway.calls["get_subscription"] == 1
    return state


async def test_a_newer_snapshot_of_the_same_plan_is_applied_without_a_stripe_call(world: World, user_id: str) -> None:
    state = await _synced_at(world, user_id, T0)
    snapshot = replace(state, cancel_at_period_end=True, plan_key=None)  # snapshots carry no plan key

    assert (await world.sync("sub_1", user_id=user_id, as_of=T0 + SECOND, snapshot=snapshot)).applied

    stored = await world.stored("sub_1")
    assert stored is not None
    assert (stored.cancel_at_period_end, stored.plan_key, stored.as_of) == (True, "pro", T0 + SECOND)
    assert world.gateway.calls["get_subscription"] == 1


async def test_an_event_older_than_the_stored_state_changes_nothing_and_costs_no_call(
    world: World, user_id: str
) -> None:
    state = await _synced_at(world, user_id, T0)
    stale = replace(state, status=S.PAST_DUE)

    result = await world.sync("sub_1", user_id=user_id, as_of=T0 - SECOND, snapshot=stale)

    assert result.applied
    stored = await world.stored("sub_1")
    assert stored is not None and (stored.status, stored.as_of) == (S.ACTIVE, T0)
    assert world.gateway.calls["get_subscription"] == 1


async def test_two_events_in_the_same_second_are_settled_by_reading_stripe(world: World, user_id: str) -> None:
    state = await _synced_at(world, user_id, T0)
    _stripe_subscription(world, S.PAST_DUE)  # Stripe moved on within the same second
    same_second_snapshot = replace(state, cancel_at_period_end=True)  # which of the two is newer? unknown

    assert (await world.sync("sub_1", user_id=user_id, as_of=T0, snapshot=same_second_snapshot)).applied

    stored = await world.stored("sub_1")
    assert stored is not None and (stored.status, stored.cancel_at_period_end) == (S.PAST_DUE, False)
    assert world.gateway.calls["get_subscription"] == 2


async def test_a_plan_change_is_read_from_stripe_for_the_new_plan_key(world: World, user_id: str) -> None:
    state = await _synced_at(world, user_id, T0)
    _stripe_subscription(world, price_id="price_team", product_id="prod_team", plan_key="team")
    snapshot = replace(state, price_id="price_team", product_id="prod_team", plan_key=None)

    assert (await world.sync("sub_1", user_id=user_id, as_of=T0 + SECOND, snapshot=snapshot)).applied

    stored = await world.stored("sub_1")
    assert stored is not None and (stored.plan_key, stored.as_of) == ("team", T0 + SECOND)
    assert world.gateway.calls["get_subscription"] == 2


async def test_a_newer_live_snapshot_never_revives_a_deleted_subscription(world: World, user_id: str) -> None:
    state = await _synced_at(world, user_id, T0)
    deleted = replace(state, status=S.CANCELED, canceled_at=T0 + SECOND, ended_at=T0 + SECOND)
    assert (await world.sync("sub_1", user_id=user_id, as_of=T0 + SECOND, snapshot=deleted)).applied

    result = await world.sync("sub_1", user_id=user_id, as_of=T0 + 2 * SECOND, snapshot=state)

    assert result.applied is False
    stored = await world.stored("sub_1")
    assert stored is not None and stored.status is S.CANCELED


# --- GetBillingStatus -------------------------------------------------------------------------


async def test_an_active_subscription_grants_its_plan_and_the_catalog_limits(world: World, user_id: str) -> None:
    _stripe_subscription(world)
    await world.sync("sub_1", user_id=user_id)

    status = await world.billing().execute(user_id)

    assert (status.user_id, status.email, status.stripe_customer_id) == (user_id, "ada@example.com", "cus_1")
    assert status.subscription is not None and status.subscription.stripe_subscription_id == "sub_1"
    assert (status.entitlements.plan_key, status.entitlements.active) == ("pro", True)
    assert status.entitlements.limits == {"projects": 10, "seats": None}


@pytest.mark.parametrize(("status", "active"), [(S.TRIALING, True), (S.PAST_DUE, True), (S.UNPAID, False)])
async def test_access_follows_the_subscription_status(
    world: World, user_id: str, status: SubscriptionStatus, active: bool
) -> None:
    _stripe_subscription(world, status)
    await world.sync("sub_1", user_id=user_id)
    entitlements = (await world.billing().execute(user_id)).entitlements
    assert entitlements.active is active
    assert entitlements.plan_key == ("pro" if active else None)


async def test_a_canceled_subscription_grants_no_access_but_is_still_reported(world: World, user_id: str) -> None:
    _stripe_subscription(world, S.CANCELED, canceled_at=T0)
    await world.sync("sub_1", user_id=user_id)

    status = await world.billing().execute(user_id)

    assert status.subscription is not None and status.subscription.status is S.CANCELED
    assert (status.entitlements.plan_key, status.entitlements.active, status.entitlements.limits) == (None, False, {})
    assert world.gateway.calls["list_products"] == 0


async def test_a_user_without_a_subscription_has_no_access(world: World, user_id: str) -> None:
    status = await world.billing().execute(user_id)
    assert status.subscription is None
    assert (status.entitlements.plan_key, status.entitlements.active) == (None, False)
    assert status.stripe_customer_id is None


async def test_billing_status_reads_limits_from_the_warm_catalog_without_stripe(world: World, user_id: str) -> None:
    _stripe_subscription(world)
    await world.sync("sub_1", user_id=user_id)
    await world.billing().execute(user_id)
    await world.billing().execute(user_id)
    assert world.gateway.calls["list_products"] == 1


# --- OpenPortal -------------------------------------------------------------------------------


async def test_a_user_without_a_stripe_customer_is_sent_to_pricing_without_a_stripe_call(
    world: World, user_id: str
) -> None:
    assert await world.portal().execute(user_id) == PORTAL.no_customer_url
    assert await world.portal().execute("user_unknown") == PORTAL.no_customer_url
    assert world.gateway.calls["create_portal_session"] == 0


async def test_a_customer_gets_a_portal_session_returning_to_the_app(world: World, user_id: str) -> None:
    customer = await EnsureStripeCustomer(world.uow(), world.gateway).execute(user_id)
    customer_id = customer.stripe_customer_id
    url = await world.portal().execute(user_id)
    assert url == f"https://billing.example/portal/{customer_id}"
    assert world.gateway.portal_sessions == [(customer_id, PORTAL.return_url)]
