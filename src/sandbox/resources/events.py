"""The events API as Stripe has it: newest first, filtered by type(s) and `created`, 30 days deep."""

import re
from typing import Any

import stripe.params as p

from sandbox.errors import invalid, missing
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj, created_within, page

RETENTION_SECONDS = 30 * 86400  # Stripe lists and retrieves events of the last 30 days only
MAX_TYPES = 20


def _retained(state: State, event: Obj) -> bool:
    return bool(event["created"] > state.now() - RETENTION_SECONDS)


def _type_pattern(wanted: str) -> re.Pattern[str]:
    # `type` takes one name, or a group with `*` as a wildcard (`customer.subscription.*`)
    return re.compile("^" + ".*".join(re.escape(part) for part in wanted.split("*")) + "$")


def _filtered(state: State, params: dict[str, Any]) -> list[Obj]:
    if "type" in params and "types" in params:
        raise invalid("You may pass either type or types, but not both.", param="types")
    items = [e for e in state.store.all("event") if _retained(state, e)]
    if "type" in params:
        pattern = _type_pattern(params["type"])
        items = [e for e in items if pattern.match(e["type"])]
    if "types" in params:
        wanted = params["types"]
        if len(wanted) > MAX_TYPES:
            raise invalid(f"You may pass at most {MAX_TYPES} values for types.", param="types")
        if any("*" in name for name in wanted):
            raise invalid("types takes event names; use type for a wildcard.", param="types")
        items = [e for e in items if e["type"] in wanted]
    if "delivery_success" in params:
        # Still pending, or given up on, for some endpoint: it has webhooks outstanding.
        items = [e for e in items if (e["pending_webhooks"] == 0) == params["delivery_success"]]
    return created_within(items, params.get("created"))


def list_events(state: State, params: dict[str, Any]) -> Obj:
    listed = page(_filtered(state, params), params, "/v1/events")
    now = state.now()
    for event in listed["data"]:
        state.events.fetched.setdefault(event["id"], now)
    return listed


def retrieve_event(state: State, params: dict[str, Any], event_id: str) -> Obj:
    event = state.store.get("event", event_id)
    if not _retained(state, event):
        raise missing("event", event_id)
    state.events.fetched.setdefault(event_id, state.now())
    return event


ROUTES: list[Route] = [
    route("GET", "/v1/events", p.EventListParams, list_events),
    route("GET", "/v1/events/{id}", p.EventRetrieveParams, retrieve_event),
]
