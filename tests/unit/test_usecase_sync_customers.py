"""`billing sync`'s runner and its customer reconciler on the fakes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from adapters.in_memory.listings import InMemoryListings
from adapters.in_memory.local_records import InMemoryLocalRecords
from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.errors import PaymentProviderUnavailable
from application.reconciliation.customers import CustomerReconciler
from application.reconciliation.reconciler import Drift, Reconciled
from application.reconciliation.sync_with_stripe import Reconcilers, SyncWithStripe
from domain.customer import Customer


@dataclass
class World:
    gateway: InMemoryPaymentGateway = field(default_factory=InMemoryPaymentGateway)
    store: InMemoryStore = field(default_factory=InMemoryStore)

    def reconciler(self) -> CustomerReconciler:
        return CustomerReconciler(
            InMemoryUnitOfWork(self.store), InMemoryLocalRecords(self.store), InMemoryListings(self.gateway)
        )

    def known(self, user_id: str, stripe_customer_id: str | None = None) -> None:
        self.store.customers[user_id] = Customer(user_id, f"{user_id}@example.com", stripe_customer_id)

    async def at_stripe(self, user_id: str) -> str:
        return await self.gateway.create_customer(user_id=user_id, email=None, idempotency_key=f"cus:{user_id}")


@pytest.fixture
def world() -> World:
    return World()


async def test_a_customer_made_at_stripe_but_never_saved_is_linked_once(world: World) -> None:
    world.known("user_crashed")
    stripe_id = await world.at_stripe("user_crashed")

    first = await world.reconciler().reconcile(repair=True)
    second = await world.reconciler().reconcile(repair=True)

    assert [d.line for d in first.drifts] == [f"customer user_crashed unlinked -> {stripe_id}"]
    assert first.drifts[0].repaired
    assert world.store.customers["user_crashed"].stripe_customer_id == stripe_id
    assert (second.checked, second.drifts) == (1, [])


async def test_a_dry_run_reports_the_link_and_changes_nothing(world: World) -> None:
    world.known("user_dry")
    stripe_id = await world.at_stripe("user_dry")

    done = await world.reconciler().reconcile(repair=False)

    assert done.drifts == [Drift("customer", "user_dry", f"unlinked -> {stripe_id}")]
    assert world.store.customers["user_dry"].stripe_customer_id is None


async def test_linked_customers_that_stripe_has_and_strangers_at_stripe_are_no_drift(world: World) -> None:
    world.known("user_fine", await world.at_stripe("user_fine"))
    world.known("user_without_any")
    await world.at_stripe("someone_we_never_saw")

    done = await world.reconciler().reconcile(repair=True)

    assert (done.checked, done.drifts) == (2, [])
    assert world.store.customers["user_without_any"].stripe_customer_id is None


async def test_a_linked_customer_deleted_at_stripe_is_reported_not_repaired(world: World) -> None:
    world.known("user_orphan", "cus_deleted_at_stripe")

    done = await world.reconciler().reconcile(repair=True)

    [drift] = done.drifts
    assert not drift.repaired
    assert (
        drift.line
        == "customer user_orphan cus_deleted_at_stripe -> not found at Stripe (not repaired: deleted at Stripe)"
    )
    assert world.store.customers["user_orphan"].stripe_customer_id == "cus_deleted_at_stripe"


class Broken:
    name = "broken"

    async def reconcile(self, *, repair: bool) -> Reconciled:
        raise PaymentProviderUnavailable("The payment provider is unavailable; please try again shortly.")


async def test_the_runner_sums_every_reconciler_and_reports_one_that_could_not_run(world: World) -> None:
    world.known("user_a")
    stripe_id = await world.at_stripe("user_a")
    world.known("user_b", await world.at_stripe("user_b"))

    report = await SyncWithStripe(Reconcilers([Broken(), world.reconciler()])).execute()

    assert report.summary == "checked 2, drifted 1, repaired 1"
    assert [d.line for d in report.drifts] == [f"customer user_a unlinked -> {stripe_id}"]
    assert report.failures == ["broken: The payment provider is unavailable; please try again shortly."]


async def test_a_dry_run_of_the_runner_repairs_nothing(world: World) -> None:
    world.known("user_c")
    await world.at_stripe("user_c")

    report = await SyncWithStripe(Reconcilers([world.reconciler()])).execute(dry_run=True)

    assert report.summary == "checked 1, drifted 1, repaired 0"
    assert world.store.customers["user_c"].stripe_customer_id is None
