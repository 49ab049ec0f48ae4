from __future__ import annotations

from application.errors import NotFound
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from domain.customer import Customer


class EnsureStripeCustomer:
    """The user, linked to their Stripe customer: reused, or created exactly once.

    Exactly once across workers: the user's row is locked (`SELECT … FOR UPDATE`) while we check
    and create, so a second concurrent checkout waits and then finds the id. The create also
    carries the idempotency key `customer:<user id>`, so a retry after a lost response (or a
    crash between Stripe's answer and our commit) gets the same customer back from Stripe.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway) -> None:
        self._uow = uow
        self._gateway = gateway

    async def execute(self, user_id: str) -> Customer:
        """The customer as stored, its `stripe_customer_id` set: callers need not read it again."""
        async with self._uow as uow:
            customer = await uow.customers.get(user_id)
            if customer is not None and customer.stripe_customer_id:
                return customer
        async with self._uow as uow:
            customer = await uow.customers.get(user_id, for_update=True)
            if customer is None:
                raise NotFound("Unknown user.")
            if customer.stripe_customer_id:
                return customer
            stripe_id = await self._gateway.create_customer(
                user_id=user_id, email=customer.email, idempotency_key=f"customer:{user_id}"
            )
            linked = customer.with_stripe_customer(stripe_id)
            await uow.customers.save(linked)
            await uow.commit()
            return linked
