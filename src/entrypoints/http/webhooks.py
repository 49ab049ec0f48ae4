"""Stripe's deliveries. The hot path of ingest, so the route pays only for what it uses (as the
catalog's): no dishka middleware around it (a Litestar `Request` put in the container's context and
the container set on the request's state, for every request); the route opens the REQUEST scope
itself, from the container it closes over, and takes `ProcessStripeEvent` from it. It reads its one
header from the raw request itself (Litestar's parameter parsing builds a case-insensitive dict of
every header first) and answers with a response encoded once (figures in bench/README.md)."""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer
from litestar import Request, Response, Router, post
from litestar.enums import ParamType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Parameter, Schema
from litestar.response.base import ASGIResponse

from application.webhooks.process_event import ProcessStripeEvent
from entrypoints.http.limits import WEBHOOK_BODY_MAX_BYTES
from entrypoints.http.openapi import decoded_body, problems
from entrypoints.http.schemas import StripeEventIn, WebhookOut

_BODY = decoded_body(StripeEventIn)
_BodyOperation: Any = _BODY["operation_class"]
_SIGNATURE = b"stripe-signature"  # ASGI header names are lower case
_SIGNATURE_DESCRIPTION = (
    "Stripe's signature of the raw body (`t=…,v1=…`); Stripe always sends it, a delivery without it is refused (400)."
)


class _Signed(_BodyOperation):  # type: ignore[misc]
    """Documents Stripe-Signature, which the route reads from the request itself (`signature_of`),
    as Litestar documented it as an optional header parameter of the handler. Optional to the
    framework so that a delivery without it reaches the verifier, which refuses it (400) with the
    same single log line as any other unverifiable delivery."""

    def __post_init__(self) -> None:
        super().__post_init__()
        either = [Schema(type=OpenAPIType.STRING), Schema(type=OpenAPIType.NULL)]
        parameters: list[Any] = list(getattr(self, "parameters", None) or [])
        self.parameters = [
            *parameters,
            Parameter(
                name="Stripe-Signature",
                param_in=ParamType.HEADER,
                required=False,
                deprecated=False,
                description=_SIGNATURE_DESCRIPTION,
                schema=Schema(description=_SIGNATURE_DESCRIPTION, one_of=either),
            ),
        ]
        if self.responses and "200" in self.responses:
            self.responses["200"].headers = {}  # as Litestar documents a handler's own 200


# Where Stripe delivers: `billing webhooks setup` registers APP_URL + this path.
WEBHOOK_PATH = "/api/webhooks/stripe"


class _Received(Response[bytes]):
    """`{"received": true}`, encoded once; Litestar asks it for its ASGI response on every delivery."""

    def __init__(self) -> None:
        body = b'{"received":true}'
        super().__init__(body, media_type="application/json")
        self._asgi = ASGIResponse(body=body, media_type="application/json")

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **_: Any) -> ASGIResponse:
        return self._asgi


def signature_of(request: Request[Any, Any, Any]) -> str | None:
    """The Stripe-Signature header as Litestar's header parameter reads it: the first one."""
    for name, value in request.scope["headers"]:
        if name == _SIGNATURE:
            return bytes(value).decode("latin-1")
    return None


def webhook_router(container: AsyncContainer) -> Router:
    received = _Received()

    @post(
        "/",
        status_code=200,
        summary="Stripe's signed events",
        description="Verified over the raw body.",
        request_max_body_size=WEBHOOK_BODY_MAX_BYTES,
        dependencies=_BODY["dependencies"],
        operation_class=_Signed,
        responses={
            200: ResponseSpec(WebhookOut, description="Request fulfilled, document follows", generate_examples=False),
            **problems(400, 413, 500, 503),
        },
    )
    async def receive(request: Request[Any, Any, Any]) -> Response[bytes]:
        payload = await request.body()
        async with container() as scoped:
            process = await scoped.get(ProcessStripeEvent)
            await process.execute(payload, signature_of(request))
        return received

    return Router(WEBHOOK_PATH, route_handlers=[receive], tags=["webhooks"])
