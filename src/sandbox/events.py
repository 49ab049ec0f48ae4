"""Event objects for every state change, built like Stripe's snapshot events."""

import contextvars
import copy
from collections.abc import Callable
from typing import Any

from sandbox.clock import Clock
from sandbox.ids import new_id
from sandbox.store import Obj, Store

API_VERSION = "2026-10-28.endive"

# The API glue sets this for the duration of a request, so events can name the request that caused them.
current_request: contextvars.ContextVar[dict[str, str | None] | None] = contextvars.ContextVar(
    "sandbox_current_request", default=None
)


def endpoints_for(store: Store, event_type: str) -> list[Obj]:
    """The enabled webhook endpoints that subscribe to this event type, oldest first."""
    return [
        endpoint
        for endpoint in reversed(store.all("webhook_endpoint"))
        if endpoint["status"] == "enabled"
        and ("*" in endpoint["enabled_events"] or event_type in endpoint["enabled_events"])
    ]


def previous_attributes(before: Obj, after: Obj) -> Obj:
    return {key: before.get(key) for key in after if before.get(key) != after[key]}


class Events:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.listeners: list[Callable[[Obj], None]] = []
        # event id -> when the API first handed it out (listed or retrieved): the events page shows
        # which undelivered events the service has fetched since
        self.fetched: dict[str, int] = {}

    def emit(self, type: str, obj: Obj, previous: Obj | None = None) -> Obj:
        request = current_request.get() or {"id": None, "idempotency_key": None}
        data: dict[str, Any] = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = copy.deepcopy(previous)
        event: Obj = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.clock.now(),
            "data": data,
            "livemode": False,
            "pending_webhooks": len(endpoints_for(self.store, type)),
            "request": dict(request),
            "type": type,
        }
        self.store.add(event)
        for listener in self.listeners:
            listener(event)
        return event

    def changed(self, type: str, before: Obj, after: Obj) -> Obj | None:
        """Emit an `*.updated` style event only when something really changed."""
        previous = previous_attributes(before, after)
        if not previous:
            return None
        return self.emit(type, after, previous)
