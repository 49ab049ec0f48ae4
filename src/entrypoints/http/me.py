from __future__ import annotations

from dishka import FromDishka
from litestar import Controller, get
from litestar.di import NamedDependency, Provide

from application.billing.get_billing_status import GetBillingStatus
from application.invoices.list_invoices import ListInvoices
from application.orders.queries import ListOrders
from application.ports.tokens import Identity
from entrypoints.http.auth import signed_in_user
from entrypoints.http.invoice_schemas import InvoiceOut, InvoicesOut, PaymentIssueOut
from entrypoints.http.openapi import SIGNED_IN, problems
from entrypoints.http.schemas import BillingOut, EntitlementsOut, OrderId, OrderOut, OrdersOut, SubscriptionOut


class MeController(Controller):
    path = "/api"
    tags = ["me"]
    dependencies = {"user": Provide(signed_in_user)}
    security = SIGNED_IN

    @get("/me/billing", summary="The signed-in user's subscription and entitlements", responses=problems(401, 503))
    async def billing(self, user: NamedDependency[Identity], billing: FromDishka[GetBillingStatus]) -> BillingOut:
        status = await billing.execute(user.user_id)
        e = status.entitlements
        return BillingOut(
            user_id=status.user_id,
            email=status.email,
            stripe_customer_id=status.stripe_customer_id,
            subscription=SubscriptionOut.of(status.subscription),
            entitlements=EntitlementsOut(e.plan_key, e.active, e.limits),
            payment_issue=PaymentIssueOut.of(status.payment_issue),
        )

    @get(
        "/me/invoices",
        summary="The signed-in user's subscription invoices, newest first (no Stripe call)",
        responses=problems(401, 503),
    )
    async def invoices(self, user: NamedDependency[Identity], invoices: FromDishka[ListInvoices]) -> InvoicesOut:
        return InvoicesOut([InvoiceOut.of(i) for i in await invoices.for_user(user.user_id)])

    @get("/orders", summary="The signed-in user's orders, newest first", responses=problems(401, 503))
    async def orders(self, user: NamedDependency[Identity], orders: FromDishka[ListOrders]) -> OrdersOut:
        return OrdersOut([OrderOut.of(o) for o in await orders.for_user(user.user_id)])

    @get("/orders/{order_id:str}", summary="One of the signed-in user's orders", responses=problems(400, 401, 404, 503))
    async def order(
        self, order_id: OrderId, user: NamedDependency[Identity], orders: FromDishka[ListOrders]
    ) -> OrderOut:
        return OrderOut.of(await orders.one_for_user(user.user_id, order_id))
