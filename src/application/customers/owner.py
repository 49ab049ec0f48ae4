from __future__ import annotations

from application.ports.repositories import UnitOfWork
from domain.customer import Customer


async def lock_owner(uow: UnitOfWork, customer_id: str | None, user_id: str | None) -> Customer | None:
    """The user a Stripe object belongs to — by the `user_id` it carries, else by its customer —
    with the user's row locked for the transaction, so the reads and writes of one user's billing
    state are serialised across workers. None when neither names a user the service knows."""
    if user_id:
        found = await uow.customers.get(user_id, for_update=True)
        if found is not None:
            return found
    if customer_id:
        by_stripe = await uow.customers.get_by_stripe_id(customer_id)
        if by_stripe is not None:
            return await uow.customers.get(by_stripe.user_id, for_update=True)
    return None
