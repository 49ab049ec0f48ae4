"""The store's pages: each one a template rendered with no data but where it is; `static/*.js`
fetches the rest from the API in the browser."""

from dataclasses import dataclass
from pathlib import Path

from litestar import Router, get
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

HERE = Path(__file__).parent
STORE = "/sandbox"
ASSETS = f"{STORE}/assets"


@dataclass(frozen=True, slots=True)
class FrontEndPaths:
    """The paths of the front-end pages the service sends people to (contract §2): the checkout
    success URL's and the order URL's, e.g. `/checkout/success` and `/orders/{order_id}`."""

    checkout_success: str
    order: str


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine)


def route_handlers(paths: FrontEndPaths) -> list[ControllerRouterHandler]:
    def page(name: str, **context: str) -> Template:
        return Template(template_name=name, context={"assets": ASSETS, "order_url": paths.order, **context})

    @get("/", sync_to_thread=False)
    def pricing() -> Template:
        return page("pricing.html")

    @get("/account", sync_to_thread=False)
    def account() -> Template:
        return page("account.html")

    @get("/admin", sync_to_thread=False)
    def admin() -> Template:
        return page("admin.html")

    @get(paths.checkout_success, sync_to_thread=False)
    def checkout_success() -> Template:
        return page("success.html")

    @get(paths.order.replace("{order_id}", "{order_id:str}"), sync_to_thread=False)
    def order(order_id: FromPath[str]) -> Template:
        return page("order.html", order_id=order_id)

    @get("/", sync_to_thread=False)
    def home() -> Redirect:
        # The cancel URL (`/#pricing`) and the portal's return URL (`/`) land here: the pricing page.
        return Redirect(STORE, status_code=303)

    store: list[HTTPRouteHandler] = [pricing, account, admin]
    return [
        Router(STORE, route_handlers=store, include_in_schema=False),
        Router("/", route_handlers=[checkout_success, order, home], include_in_schema=False),
        create_static_files_router(ASSETS, [HERE / "static"], name="demo_store_assets"),
    ]
