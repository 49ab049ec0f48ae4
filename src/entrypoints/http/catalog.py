from __future__ import annotations

from typing import Any

from dishka import FromDishka
from litestar import Controller, Request, Response, get

from application.catalog.get_catalog import CatalogPage, GetCatalog
from entrypoints.http.schemas import ConfigOut
from entrypoints.settings import Settings

CACHE_CONTROL = "public, max-age=0, must-revalidate"


def _page_response(request: Request[Any, Any, Any], page: CatalogPage) -> Response[bytes]:
    headers = {"ETag": page.etag, "Cache-Control": CACHE_CONTROL}
    if page.etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return Response(page.body, media_type="application/json", headers=headers)


class CatalogController(Controller):
    path = "/api/stripe"
    tags = ["catalog"]

    @get("/config", summary="Publishable key for Stripe.js")
    async def config(self, settings: FromDishka[Settings]) -> ConfigOut:
        return ConfigOut(settings.stripe.publishable_key)

    @get("/products", summary="Active products with their active prices (cached)")
    async def products(self, request: Request[Any, Any, Any], catalog: FromDishka[GetCatalog]) -> Response[bytes]:
        return _page_response(request, await catalog.products())

    @get("/coupons", summary="Valid coupons and the featured one (cached)")
    async def coupons(self, request: Request[Any, Any, Any], catalog: FromDishka[GetCatalog]) -> Response[bytes]:
        return _page_response(request, await catalog.coupons())
