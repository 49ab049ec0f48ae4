from __future__ import annotations

from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery

from application.orders.cancel_order import CancelOrder
from application.orders.capture_order import CaptureOrder
from application.orders.queries import ListOrders
from application.ports.tokens import Identity
from domain.order import OrderStatus
from entrypoints.http.auth import admin_user
from entrypoints.http.body import decode_body
from entrypoints.http.openapi import SIGNED_IN, decoded_body, problems
from entrypoints.http.schemas import CancelRequest, OrderId, OrderOut, OrdersOut

_CANCEL_BODY = decoded_body(CancelRequest, required=False)


class AdminOrdersController(Controller):
    path = "/api/admin/orders"
    tags = ["admin"]
    dependencies = {"admin": Provide(admin_user)}
    security = SIGNED_IN

    @get(
        "/",
        summary="The review queue (orders by status, default authorized)",
        responses=problems(400, 401, 403, 503),
    )
    async def queue(
        self,
        admin: NamedDependency[Identity],
        orders: FromDishka[ListOrders],
        status: FromQuery[OrderStatus] = OrderStatus.AUTHORIZED,
    ) -> OrdersOut:
        return OrdersOut([OrderOut.of(o) for o in await orders.by_status(status)])

    @post(
        "/{order_id:str}/capture",
        status_code=200,
        summary="Capture an authorized order",
        responses=problems(400, 401, 403, 404, 409, 502, 503),
    )
    async def capture(
        self, order_id: OrderId, admin: NamedDependency[Identity], capture_order: FromDishka[CaptureOrder]
    ) -> OrderOut:
        return OrderOut.of(await capture_order.execute(order_id))

    @post(
        "/{order_id:str}/cancel",
        status_code=200,
        summary="Cancel an authorized order, with a reason",
        dependencies=_CANCEL_BODY["dependencies"],
        operation_class=_CANCEL_BODY["operation_class"],
        responses=problems(400, 401, 403, 404, 409, 413, 502, 503),
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        order_id: OrderId,
        admin: NamedDependency[Identity],
        cancel_order: FromDishka[CancelOrder],
    ) -> OrderOut:
        body = await decode_body(request, CancelRequest, optional=True)
        return OrderOut.of(await cancel_order.execute(order_id, body.reason))
