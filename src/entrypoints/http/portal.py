from __future__ import annotations

from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.response import Redirect

from application.portal.open_portal import OpenPortal
from application.ports.tokens import Identity
from entrypoints.http.auth import rate_limited_user
from entrypoints.http.openapi import SIGNED_IN, problems
from entrypoints.http.schemas import PortalOut


class PortalController(Controller):
    path = "/api/stripe/portal"
    tags = ["portal"]

    @post(
        "/",
        dependencies={"user": Provide(rate_limited_user)},
        summary="Open the Stripe customer portal",
        description="303 to the portal (or to the pricing section for users without a Stripe customer); "
        "200 `{url}` with `Accept: application/json`.",
        status_code=303,
        security=SIGNED_IN,
        responses={
            303: ResponseSpec(None, description="On to the portal (or the pricing page without a Stripe customer)"),
            200: ResponseSpec(PortalOut, description="With Accept: application/json", generate_examples=False),
            **problems(401, 429, 502, 503),
        },
    )
    async def open(
        self, request: Request[Any, Any, Any], user: NamedDependency[Identity], portal: FromDishka[OpenPortal]
    ) -> Response[PortalOut] | Redirect:
        url = await portal.execute(user.user_id)
        if "application/json" in request.headers.get("accept", ""):
            return Response(PortalOut(url), status_code=200)
        return Redirect(url, status_code=303)
