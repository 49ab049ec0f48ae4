"""Stripe's deliveries. The hot path of ingest, so the route pays only for what it uses (as the
catalog's): no dishka middleware around it (a Litestar `Request` put in the container's context and
the container set on the request's state, for every request); the route opens the REQUEST scope
itself, from the container it closes over, and takes `ProcessStripeEvent` from it."""

from __future__ import annotations

from typing import Annotated, Any

from dishka import AsyncContainer
from litestar import Request, Router, post
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

# Where Stripe delivers: `billing webhooks setup` registers APP_URL + this path.
WEBHOOK_PATH = "/api/webhooks/stripe"
_RECEIVED = WebhookOut(received=True)


def webhook_router(container: AsyncContainer) -> Router:
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
    async def receive(request: Request[Any, Any, Any], signature: StripeSignature = None) -> WebhookOut:
        payload = await request.body()
        async with container() as scoped:
            process = await scoped.get(ProcessStripeEvent)
            await process.execute(payload, signature)
        return _RECEIVED

    return Router(WEBHOOK_PATH, route_handlers=[receive], tags=["webhooks"])
