from __future__ import annotations

from dataclasses import dataclass

from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork


@dataclass(frozen=True, slots=True)
class PortalSettings:
    return_url: str
    no_customer_url: str  # CHECKOUT_CANCEL_URL: the pricing section


class OpenPortal:
    """A Billing Portal session URL for the user's Stripe customer; users who never paid have no
    customer and are sent to the pricing section instead (no Stripe call)."""

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, settings: PortalSettings) -> None:
        self._uow = uow
        self._gateway = gateway
        self._settings = settings

    async def execute(self, user_id: str) -> str:
        async with self._uow as uow:
            customer = await uow.customers.get(user_id)
        if customer is None or not customer.stripe_customer_id:
            return self._settings.no_customer_url
        return await self._gateway.create_portal_session(
            customer_id=customer.stripe_customer_id, return_url=self._settings.return_url
        )
