"""Customers: create, retrieve, update, list, search."""

import copy
import re
from typing import Any

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, created_within, merge_metadata, page

_ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")
_SIMPLE = ("email", "name", "phone", "description", "preferred_locales", "invoice_prefix", "business_name")


def address(value: Any) -> Obj | None:
    if not value:
        return None
    return {key: value.get(key) for key in _ADDRESS_KEYS}


def create(state: State, params: dict[str, Any]) -> Obj:
    customer: Obj = {
        "id": new_id("cus", 14),
        "object": "customer",
        "address": address(params.get("address")),
        "balance": params.get("balance", 0),
        "created": state.now(),
        "currency": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "invoice_prefix": new_id("x", 7)[2:].upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": merge_metadata({}, params.get("metadata")),
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": params.get("shipping") or None,
        "tax_exempt": params.get("tax_exempt", "none"),
        "test_clock": None,
        "customer_account": None,
    }
    customer.update({key: params[key] for key in _SIMPLE if key in params})
    state.store.add(customer)
    state.events.emit("customer.created", customer)
    return customer


def retrieve(state: State, params: dict[str, Any], customer_id: str) -> Obj:
    return state.store.get("customer", customer_id)


def update(state: State, params: dict[str, Any], customer_id: str) -> Obj:
    customer = state.store.get("customer", customer_id)
    before = copy.deepcopy(customer)
    customer.update({key: None if params[key] == "" else params[key] for key in _SIMPLE if key in params})
    if "address" in params:
        customer["address"] = address(params["address"])
    if "shipping" in params:
        customer["shipping"] = params["shipping"] or None
    if "metadata" in params:
        customer["metadata"] = merge_metadata(customer["metadata"], params["metadata"])
    state.events.changed("customer.updated", before, customer)
    return customer


def list_(state: State, params: dict[str, Any]) -> Obj:
    items = state.store.all("customer")
    if "email" in params:
        items = [c for c in items if c["email"] == params["email"]]
    return page(created_within(items, params.get("created")), params, "/v1/customers")


# `email:'a@b.c'`, `metadata['user_id']:'u1'`, `name~'Ann'`, joined by AND or OR
_CLAUSE = re.compile(r"""(\w+)(?:\[['"]([^'"]+)['"]\])?\s*(:|~)\s*['"]([^'"]*)['"]""")


def search(state: State, params: dict[str, Any]) -> Obj:
    query = params["query"]
    joiner = " OR " if " OR " in query else " AND "
    clauses = []
    for part in query.split(joiner):
        found = _CLAUSE.fullmatch(part.strip())
        if not found:
            raise invalid(f"Invalid search query: {query!r}", param="query")
        clauses.append(found.groups())
    combine = any if joiner == " OR " else all
    hits = [c for c in state.store.all("customer") if combine(_matches(c, *clause) for clause in clauses)]
    limit = int(params.get("limit", 10))
    return {
        "object": "search_result",
        "data": hits[:limit],
        "has_more": len(hits) > limit,
        "next_page": None,
        "url": "/v1/customers/search",
        "total_count": len(hits),
    }


def _matches(customer: Obj, field: str, key: str | None, op: str, value: str) -> bool:
    actual = customer.get("metadata", {}).get(key) if key else customer.get(field)
    if actual is None:
        return False
    return str(actual) == value if op == ":" else value.lower() in str(actual).lower()


ROUTES: list[Route] = [
    route("GET", "/v1/customers/search", p.CustomerSearchParams, search),
    route("POST", "/v1/customers", p.CustomerCreateParams, create),
    route("GET", "/v1/customers", p.CustomerListParams, list_),
    route("GET", "/v1/customers/{id}", p.CustomerRetrieveParams, retrieve),
    route("POST", "/v1/customers/{id}", p.CustomerUpdateParams, update),
]
