from __future__ import annotations

from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.response import Redirect

from application.checkout.get_checkout_status import GetCheckoutStatus
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.ports.tokens import Identity
from entrypoints.http.auth import rate_limited_user, signed_in_user
from entrypoints.http.body import decode_body, is_form
from entrypoints.http.openapi import SIGNED_IN, decoded_body, problems
from entrypoints.http.schemas import (
    CheckoutRequest,
    CheckoutResponse,
    CheckoutStatusOut,
    IdempotencyKey,
    OrderOut,
    SessionId,
    SubscriptionOut,
)

_BODY = decoded_body(CheckoutRequest, form=True)


class CheckoutController(Controller):
    path = "/api/stripe/checkout"
    tags = ["checkout"]

    @post(
        "/",
        dependencies={"user": Provide(rate_limited_user), **_BODY["dependencies"]},
        operation_class=_BODY["operation_class"],
        summary="Start a Stripe Checkout Session for a price",
        description="JSON body `{price_id, quantity?}` → 200 JSON; an HTML form post → 303 to the session URL. "
        "Rate limited per user (X-RateLimit-* headers; Retry-After on 429).",
        status_code=200,
        security=SIGNED_IN,
        responses={
            303: ResponseSpec(None, description="An HTML form post: on to the Checkout Session's URL"),
            **problems(400, 401, 404, 409, 413, 429, 502, 503),
        },
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        user: NamedDependency[Identity],
        start_checkout: FromDishka[StartCheckout],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CheckoutResponse] | Redirect:
        body = await decode_body(request, CheckoutRequest)
        started = await start_checkout.execute(
            StartCheckoutCommand(
                user_id=user.user_id,
                price_id=body.price_id,
                quantity=body.quantity,
                idempotency_key=idempotency_key,
            )
        )
        if is_form(request) and started.url:
            return Redirect(started.url, status_code=303)
        return Response(CheckoutResponse(started.id, started.url, started.mode, started.order_id))

    @get(
        "/{session_id:str}",
        dependencies={"user": Provide(signed_in_user)},
        summary="A checkout session's outcome",
        security=SIGNED_IN,
        responses=problems(400, 401, 404, 502, 503),
    )
    async def status(
        self, session_id: SessionId, user: NamedDependency[Identity], checkout_status: FromDishka[GetCheckoutStatus]
    ) -> CheckoutStatusOut:
        found = await checkout_status.execute(user.user_id, session_id)
        return CheckoutStatusOut(
            id=found.id,
            status=found.status,
            payment_status=found.payment_status,
            mode=found.mode,
            amount_total=found.amount_total,
            currency=found.currency,
            order=OrderOut.of(found.order) if found.order else None,
            subscription=SubscriptionOut.of(found.subscription),
        )
