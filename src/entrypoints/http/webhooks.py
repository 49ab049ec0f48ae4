from __future__ import annotations

from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, post

from application.webhooks.process_event import ProcessStripeEvent
from entrypoints.http.schemas import WebhookOut

# Where Stripe delivers: `billing webhooks setup` registers APP_URL + this path.
WEBHOOK_PATH = "/api/webhooks/stripe"


class StripeWebhookController(Controller):
    path = WEBHOOK_PATH
    tags = ["webhooks"]

    @post("/", status_code=200, summary="Stripe's signed events", description="Verified over the raw body.")
    async def receive(self, request: Request[Any, Any, Any], process: FromDishka[ProcessStripeEvent]) -> WebhookOut:
        await process.execute(await request.body(), request.headers.get("stripe-signature"))
        return WebhookOut(received=True)
