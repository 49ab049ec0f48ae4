from __future__ import annotations

from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, post

from application.webhooks.process_event import ProcessStripeEvent
from entrypoints.http.limits import WEBHOOK_BODY_MAX_BYTES
from entrypoints.http.schemas import WebhookOut


class StripeWebhookController(Controller):
    path = "/api/webhooks/stripe"
    tags = ["webhooks"]

    @post(
        "/",
        status_code=200,
        summary="Stripe's signed events",
        description="Verified over the raw body.",
        request_max_body_size=WEBHOOK_BODY_MAX_BYTES,
    )
    async def receive(self, request: Request[Any, Any, Any], process: FromDishka[ProcessStripeEvent]) -> WebhookOut:
        await process.execute(await request.body(), request.headers.get("stripe-signature"))
        return WebhookOut(received=True)
