"""Litestar wiring: the catch-all API router, the pages router, and the standalone app."""

from typing import TYPE_CHECKING, Any

from litestar import Litestar, Request, Response, Router, route
from litestar.enums import HttpMethod
from litestar.params import FromPath

from sandbox.pages import admin, checkout, dashboard, invoices, portal, sign_in

if TYPE_CHECKING:
    from sandbox.sandbox import Sandbox


def api_router(sb: "Sandbox", prefix: str) -> Router:
    @route(
        "/v1/{rest:path}",
        http_method=[HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE],
        include_in_schema=False,
        status_code=200,
    )
    async def stripe_api(request: Request[Any, Any, Any], rest: FromPath[str]) -> Response[bytes]:
        status, content, headers = await sb.api.handle(
            request.method, "/v1" + rest, request.headers, request.url.query or "", await request.body()
        )
        return Response(content, status_code=status, headers=headers, media_type="application/json")

    return Router(path=prefix or "/", route_handlers=[stripe_api])


def pages_router(sb: "Sandbox") -> Router:
    handlers = [
        *sign_in.handlers(sb),
        *checkout.handlers(sb),
        *portal.handlers(sb),
        *admin.handlers(sb),
        *invoices.handlers(sb),
        *dashboard.handlers(sb),
    ]
    return Router(path="/sandbox", route_handlers=handlers, include_in_schema=False)


def create_standalone_app(sb: "Sandbox") -> Litestar:
    """The API at the root (`/v1/...`) plus the pages, delivering webhooks while it runs."""
    return Litestar(
        route_handlers=sb.route_handlers(api_prefix=""),
        on_startup=[sb.start],
        on_shutdown=[sb.stop],
        openapi_config=None,
    )
