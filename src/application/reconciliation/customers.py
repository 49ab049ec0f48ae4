from __future__ import annotations

from application.errors import Conflict
from application.ports.local_records import LocalRecords
from application.ports.repositories import UnitOfWork
from application.ports.stripe_listings import CustomerListing, ListedCustomer
from application.reconciliation.reconciler import Drift, Reconciled
from domain.customer import Customer


class CustomerReconciler:
    """Stored customers against Stripe's.

    A user with no Stripe customer while Stripe has one made for them (`metadata.user_id`: a crash
    between creating it and saving its id) is linked to it — the oldest, if several. A linked
    customer Stripe no longer has is reported; nothing here can choose another for the user.
    """

    name = "customers"

    def __init__(self, uow: UnitOfWork, records: LocalRecords, listing: CustomerListing) -> None:
        self._uow = uow
        self._records = records
        self._listing = listing

    async def reconcile(self, *, repair: bool) -> Reconciled:
        stored = await self._records.customers()
        at_stripe = await self._listing.customers()
        known = {c.id for c in at_stripe}
        made_for: dict[str, ListedCustomer] = {}
        for listed in sorted(at_stripe, key=lambda c: c.created):
            if listed.user_id:
                made_for.setdefault(listed.user_id, listed)
        done = Reconciled(checked=len(stored))
        for customer in stored:
            if customer.stripe_customer_id is not None:
                if customer.stripe_customer_id not in known:
                    change = f"{customer.stripe_customer_id} -> not found at Stripe"
                    done.drifts.append(Drift("customer", customer.user_id, change, why_not="deleted at Stripe"))
            elif customer.user_id in made_for:
                done.drifts.append(await self._link(customer, made_for[customer.user_id].id, repair))
        return done

    async def _link(self, customer: Customer, stripe_id: str, repair: bool) -> Drift:
        drift = Drift("customer", customer.user_id, f"unlinked -> {stripe_id}")
        if not repair:
            return drift
        async with self._uow as uow:
            current = await uow.customers.get(customer.user_id, for_update=True)
            if current is None or current.stripe_customer_id not in (None, stripe_id):
                return drift.unrepaired("linked meanwhile")
            try:
                await uow.customers.save(current.with_stripe_customer(stripe_id))
            except Conflict:
                return drift.unrepaired("that customer belongs to another user")
            await uow.commit()
        return drift.as_repaired()
