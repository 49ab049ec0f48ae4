"""Products: create, retrieve, update, list (with `default_price_data` creating the first price)."""

import copy
from typing import Any

import stripe.params as p

from sandbox.ids import new_id
from sandbox.resources import prices
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page

_SIMPLE = (
    "name",
    "active",
    "description",
    "images",
    "url",
    "tax_code",
    "unit_label",
    "statement_descriptor",
    "shippable",
)


def _features(value: Any) -> list[Obj]:
    return [{"name": f["name"]} for f in value] if value else []


def create(state: State, params: dict[str, Any]) -> Obj:
    now = state.now()
    product: Obj = {
        "id": params.get("id") or new_id("prod", 14),
        "object": "product",
        "active": True,
        "created": now,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": _features(params.get("marketing_features")),
        "metadata": merge_metadata({}, params.get("metadata")),
        "name": params["name"],
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "tax_details": None,
        "type": "service",
        "unit_label": None,
        "updated": now,
        "url": None,
    }
    product.update({key: params[key] for key in _SIMPLE if key in params})
    state.store.add(product)
    state.events.emit("product.created", product)
    if "default_price_data" in params:
        price = prices.create(state, {**params["default_price_data"], "product": product["id"]})
        before = copy.deepcopy(product)
        product["default_price"] = price["id"]
        state.events.changed("product.updated", before, product)
    return product


def retrieve(state: State, params: dict[str, Any], product_id: str) -> Obj:
    return state.store.get("product", product_id)


def update(state: State, params: dict[str, Any], product_id: str) -> Obj:
    product = state.store.get("product", product_id)
    before = copy.deepcopy(product)
    product.update({key: params[key] if params[key] != "" else None for key in _SIMPLE if key in params})
    if "default_price" in params:
        if params["default_price"]:
            state.store.get("price", params["default_price"], "default_price")
        product["default_price"] = params["default_price"] or None
    if "marketing_features" in params:
        product["marketing_features"] = _features(params["marketing_features"])
    if "metadata" in params:
        product["metadata"] = merge_metadata(product["metadata"], params["metadata"])
    if product != before:
        product["updated"] = state.now()
    state.events.changed("product.updated", before, product)
    return product


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("product")
    if "active" in params:
        items = [x for x in items if x["active"] == params["active"]]
    if "ids" in params:
        items = [x for x in items if x["id"] in params["ids"]]
    return page(items, params, "/v1/products")


ROUTES: list[Route] = [
    route("POST", "/v1/products", p.ProductCreateParams, create),
    route("GET", "/v1/products", p.ProductListParams, list_),
    route("GET", "/v1/products/{id}", p.ProductRetrieveParams, retrieve),
    route("POST", "/v1/products/{id}", p.ProductUpdateParams, update),
]
