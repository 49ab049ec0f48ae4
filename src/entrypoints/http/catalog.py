from __future__ import annotations

from typing import Annotated, Any

from dishka import FromDishka
from litestar import Controller, Response, get
from litestar.openapi import ResponseSpec
from litestar.params import HeaderParameter

from application.catalog.get_catalog import CatalogPage, GetCatalog
from application.catalog.views import CouponsView, ProductsView
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import ConfigOut
from entrypoints.settings import Settings

CACHE_CONTROL = "public, max-age=0, must-revalidate"


IfNoneMatch = Annotated[
    str | None, HeaderParameter(name="If-None-Match", description="An ETag seen before: 304 if unchanged.")
]


def _responses(view: type[Any]) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(view, description="The catalog (ETag and Cache-Control headers)", generate_examples=False),
        304: ResponseSpec(None, description="Not modified since the ETag in If-None-Match"),
        **problems(502, 503),
    }


def _page_response(if_none_match: str | None, page: CatalogPage) -> Response[bytes]:
    headers = {"ETag": page.etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match and page.etag in if_none_match:
        return Response(b"", status_code=304, headers=headers)
    return Response(page.body, media_type="application/json", headers=headers)


class CatalogController(Controller):
    path = "/api/stripe"
    tags = ["catalog"]

    @get("/config", summary="Publishable key for Stripe.js")
    async def config(self, settings: FromDishka[Settings]) -> ConfigOut:
        return ConfigOut(settings.stripe.publishable_key)

    @get("/products", summary="Active products with their active prices (cached)", responses=_responses(ProductsView))
    async def products(self, catalog: FromDishka[GetCatalog], if_none_match: IfNoneMatch = None) -> Response[bytes]:
        return _page_response(if_none_match, await catalog.products())

    @get("/coupons", summary="Valid coupons and the featured one (cached)", responses=_responses(CouponsView))
    async def coupons(self, catalog: FromDishka[GetCatalog], if_none_match: IfNoneMatch = None) -> Response[bytes]:
        return _page_response(if_none_match, await catalog.coupons())
