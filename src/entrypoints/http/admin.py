from __future__ import annotations

from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from application.errors import ValidationFailed
from application.orders.cancel_order import CancelOrder
from application.orders.capture_order import CaptureOrder
from application.orders.queries import ListOrders
from application.ports.tokens import Identity
from domain.order import OrderStatus
from entrypoints.http.auth import admin_user
from entrypoints.http.body import decode_body
from entrypoints.http.schemas import CancelRequest, OrderOut, OrdersOut


class AdminOrdersController(Controller):
    path = "/api/admin/orders"
    tags = ["admin"]
    dependencies = {"admin": Provide(admin_user)}

    @get("/", summary="The review queue (orders by status, default authorized)")
    async def queue(
        self, admin: NamedDependency[Identity], orders: FromDishka[ListOrders], status: FromQuery[str] = "authorized"
    ) -> OrdersOut:
        try:
            wanted = OrderStatus(status)
        except ValueError:
            raise ValidationFailed(f"status must be one of {', '.join(s.value for s in OrderStatus)}.") from None
        return OrdersOut([OrderOut.of(o) for o in await orders.by_status(wanted)])

    @post("/{order_id:str}/capture", status_code=200, summary="Capture an authorized order")
    async def capture(
        self, order_id: FromPath[str], admin: NamedDependency[Identity], capture_order: FromDishka[CaptureOrder]
    ) -> OrderOut:
        return OrderOut.of(await capture_order.execute(order_id))

    @post("/{order_id:str}/cancel", status_code=200, summary="Cancel an authorized order, with a reason")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        order_id: FromPath[str],
        admin: NamedDependency[Identity],
        cancel_order: FromDishka[CancelOrder],
    ) -> OrderOut:
        body = await decode_body(request, CancelRequest, optional=True)
        return OrderOut.of(await cancel_order.execute(order_id, body.reason))
