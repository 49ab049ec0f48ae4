from __future__ import annotations

from typing import Annotated, Any

from dishka import FromDishka
from litestar import Controller, Request, post
from litestar.params import HeaderParameter

from application.webhooks.process_event import ProcessStripeEvent
from entrypoints.http.limits import WEBHOOK_BODY_MAX_BYTES
from entrypoints.http.openapi import decoded_body, problems
from entrypoints.http.schemas import StripeEventIn, WebhookOut

_BODY = decoded_body(StripeEventIn)
# Optional to the framework so that a delivery without it reaches the verifier, which refuses it
# (400) with the same single log line as any other unverifiable delivery.
StripeSignature = Annotated[
    str | None,
    HeaderParameter(
        name="Stripe-Signature",
        description="Stripe's signature of the raw body (`t=…,v1=…`); Stripe always sends it, a delivery "
        "without it is refused (400).",
    ),
]


class StripeWebhookController(Controller):
    path = "/api/webhooks/stripe"
    tags = ["webhooks"]

    @post(
        "/",
        status_code=200,
        summary="Stripe's signed events",
        description="Verified over the raw body.",
        request_max_body_size=WEBHOOK_BODY_MAX_BYTES,
        dependencies=_BODY["dependencies"],
        operation_class=_BODY["operation_class"],
        responses=problems(400, 413, 500, 503),
    )
    async def receive(
        self,
        request: Request[Any, Any, Any],
        process: FromDishka[ProcessStripeEvent],
        signature: StripeSignature = None,
    ) -> WebhookOut:
        await process.execute(await request.body(), signature)
        return WebhookOut(received=True)
