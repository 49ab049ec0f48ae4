"""Webhook endpoints: where the sandbox delivers events, and which ones.

The signing secret is shown once, in the answer to the create; afterwards only the deliverer
reads it (from `state.hidden`), as Stripe never shows it again through the API.
"""

import copy
from typing import Any
from urllib.parse import urlsplit

import stripe.params as p

from sandbox.errors import invalid
from sandbox.ids import new_id, secret
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, merge_metadata, page


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid(f"Invalid URL: {url}", param="url", code="url_invalid")
    return url


def register(
    state: State,
    url: str,
    enabled_events: list[str],
    *,
    api_version: str | None = None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
    signing_secret: str | None = None,
    endpoint_id: str | None = None,
) -> Obj:
    """Add (or replace, by id) an endpoint and keep its secret apart; returns it without the secret."""
    endpoint: Obj = {
        "id": endpoint_id or new_id("we", 24),
        "object": "webhook_endpoint",
        "api_version": api_version,
        "application": None,
        "created": state.now(),
        "description": description,
        "enabled_events": list(enabled_events),
        "livemode": False,
        "metadata": dict(metadata or {}),
        "status": "enabled",
        "url": _checked_url(url),
    }
    state.hidden[endpoint["id"]] = {"secret": signing_secret or secret("whsec", 32)}
    return state.store.add(endpoint)


def secret_of(state: State, endpoint_id: str) -> str:
    return str(state.hidden[endpoint_id]["secret"])


def create(state: State, params: dict[str, Any]) -> Obj:
    endpoint = register(
        state,
        params["url"],
        params["enabled_events"],
        api_version=params.get("api_version"),
        description=params.get("description") or None,
        metadata=params.get("metadata"),
    )
    return {**copy.deepcopy(endpoint), "secret": secret_of(state, endpoint["id"])}


def retrieve(state: State, params: dict[str, Any], endpoint_id: str) -> Obj:
    return state.store.get("webhook_endpoint", endpoint_id)


def update(state: State, params: dict[str, Any], endpoint_id: str) -> Obj:
    endpoint = state.store.get("webhook_endpoint", endpoint_id)
    if "url" in params:
        endpoint["url"] = _checked_url(params["url"])
    if "enabled_events" in params:
        endpoint["enabled_events"] = list(params["enabled_events"])
    if "description" in params:
        endpoint["description"] = params["description"] or None
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    if "metadata" in params:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], params["metadata"])
    return endpoint


def delete(state: State, params: dict[str, Any], endpoint_id: str) -> Obj:
    state.store.get("webhook_endpoint", endpoint_id)
    state.store.remove("webhook_endpoint", endpoint_id)
    state.hidden.pop(endpoint_id, None)
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def list_(state: State, params: dict[str, Any]) -> Obj:
    return page(state.store.all("webhook_endpoint"), params, "/v1/webhook_endpoints")


ROUTES: list[Route] = [
    route("POST", "/v1/webhook_endpoints", p.WebhookEndpointCreateParams, create),
    route("GET", "/v1/webhook_endpoints", p.WebhookEndpointListParams, list_),
    route("GET", "/v1/webhook_endpoints/{id}", p.WebhookEndpointRetrieveParams, retrieve),
    route("POST", "/v1/webhook_endpoints/{id}", p.WebhookEndpointUpdateParams, update),
    route("DELETE", "/v1/webhook_endpoints/{id}", p.WebhookEndpointDeleteParams, delete),
]
