from __future__ import annotations

from dataclasses import dataclass, field

from application.catalog.get_catalog import GetCatalog
from application.ports.repositories import UnitOfWork
from domain.invoice import PaymentIssue, newest_issue
from domain.subscription import Subscription


@dataclass(frozen=True, slots=True)
class Entitlements:
    plan_key: str | None
    active: bool
    limits: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BillingStatus:
    user_id: str
    email: str | None
    stripe_customer_id: str | None
    subscription: Subscription | None
    entitlements: Entitlements
    payment_issue: PaymentIssue | None = None


class GetBillingStatus:
    """The one place an app asks "may this user do X": subscription, access, and plan limits.

    Access follows the domain rule (`active`, `trialing`, `past_due`); limits come from the
    subscribed product's `limit_<name>` metadata in the cached catalog (no Stripe call when warm);
    the payment issue is the newest stored invoice that needs the user (`domain.invoice`).
    """

    def __init__(self, uow: UnitOfWork, catalog: GetCatalog) -> None:
        self._uow = uow
        self._catalog = catalog

    async def execute(self, user_id: str) -> BillingStatus:
        async with self._uow as uow:
            customer = await uow.customers.get(user_id)
            subscription = await uow.subscriptions.current_for_user(user_id)
            invoices = await uow.invoices.list_for_user(user_id)
        active = subscription is not None and subscription.grants_access
        limits: dict[str, int | None] = {}
        if active and subscription is not None and subscription.product_id:
            products = (await self._catalog.products_view()).products
            limits = next((p.limits for p in products if p.id == subscription.product_id), {})
        return BillingStatus(
            user_id=user_id,
            email=customer.email if customer else None,
            stripe_customer_id=customer.stripe_customer_id if customer else None,
            subscription=subscription,
            entitlements=Entitlements(subscription.plan_key if active and subscription else None, active, limits),
            payment_issue=newest_issue(list(invoices)),
        )
