"""The public catalog. A warm read is the hot path of a pricing page, so these routes pay only for
what they use: no per-request dishka container and no parameters to parse (their dependencies live
in the APP scope and are taken from the container they close over), and each page's 200 and 304
answers are encoded once, when `GetCatalog` hands out a new page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dishka import AsyncContainer
from litestar import Request, Response, Router, get
from litestar.enums import ParamType
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema
from litestar.response.base import ASGIResponse

from application.catalog.get_catalog import CatalogPage, GetCatalog
from application.catalog.views import CouponsView, ProductsView
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import ConfigOut
from entrypoints.settings import Settings

CACHE_CONTROL = "public, max-age=0, must-revalidate"


def _responses(view: type[Any]) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(view, description="The catalog (ETag and Cache-Control headers)", generate_examples=False),
        304: ResponseSpec(None, description="Not modified since the ETag in If-None-Match"),
        **problems(502, 503),
    }


@dataclass
class _ConditionalRead(Operation):
    """Documents If-None-Match, which `PageResponse` reads from the request itself: as a handler
    parameter it would cost the hot path Litestar's parameter parsing."""

    def __post_init__(self) -> None:
        self.parameters = [
            *(self.parameters or []),
            Parameter(
                name="If-None-Match",
                param_in=ParamType.HEADER,
                required=False,
                schema=Schema(type=OpenAPIType.STRING),
                description="An ETag seen before: 304 if unchanged.",
            ),
        ]


class PageResponse(Response[bytes]):
    """A catalog page's two answers, built once: the body, or 304 when the request's If-None-Match
    names the page's ETag. Litestar hands it the request when it asks for the ASGI response."""

    def __init__(self, page: CatalogPage) -> None:
        headers = {"ETag": page.etag, "Cache-Control": CACHE_CONTROL}
        super().__init__(page.body, media_type="application/json", headers=headers)
        self.page = page
        self._full = ASGIResponse(body=page.body, media_type="application/json", headers=headers)
        self._not_modified = ASGIResponse(status_code=304, headers=headers)

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **_: Any) -> ASGIResponse:
        for name, value in request.scope["headers"]:
            if name == b"if-none-match" and self.page.etag in bytes(value).decode("latin-1"):
                return self._not_modified
        return self._full


def catalog_router(container: AsyncContainer) -> Router:
    responses: dict[str, PageResponse] = {}

    def answer(name: str, page: CatalogPage) -> PageResponse:
        response = responses.get(name)
        if response is None or response.page is not page:
            response = responses[name] = PageResponse(page)
        return response

    @get("/config", summary="Publishable key for Stripe.js")
    async def config() -> ConfigOut:
        return ConfigOut((await container.get(Settings)).stripe.publishable_key)

    @get(
        "/products",
        summary="Active products with their active prices (cached)",
        responses=_responses(ProductsView),
        operation_class=_ConditionalRead,
    )
    async def products() -> Response[bytes]:
        return answer("products", await (await container.get(GetCatalog)).products())

    @get(
        "/coupons",
        summary="Valid coupons and the featured one (cached)",
        responses=_responses(CouponsView),
        operation_class=_ConditionalRead,
    )
    async def coupons() -> Response[bytes]:
        return answer("coupons", await (await container.get(GetCatalog)).coupons())

    return Router("/api/stripe", route_handlers=[config, products, coupons], tags=["catalog"])
