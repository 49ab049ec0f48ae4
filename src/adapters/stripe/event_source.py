"""`EventSource` on the SDK: `GET /v1/events` with `types[]` (at most 20 names a request, so one
listing per 20 handled types) and `created[gte]`, every page of 100.

Each event is kept as the JSON the API sent (no StripeObject round trip), so the pipeline stores
and parses it exactly as it would a webhook's body.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import stripe
from stripe.params import EventListParams

from adapters.stripe.errors import call
from application.ports.event_source import ListedEvent

TYPES_PER_REQUEST = 20  # Stripe's limit on `types[]`
PAGE_SIZE = 100


def _listed(raw: dict[str, Any]) -> ListedEvent:
    created = datetime.fromtimestamp(int(raw["created"]), UTC)
    return ListedEvent(str(raw["id"]), str(raw["type"]), created, json.dumps(raw).encode())


class StripeEventSource:
    def __init__(self, client: stripe.StripeClient, *, page_size: int = PAGE_SIZE) -> None:
        self._client = client
        self._page_size = page_size

    async def pages(self, event_types: Sequence[str], *, since: datetime) -> AsyncIterator[Sequence[ListedEvent]]:
        types = sorted(set(event_types))
        for start in range(0, len(types), TYPES_PER_REQUEST):
            params: EventListParams = {
                "types": types[start : start + TYPES_PER_REQUEST],
                "created": {"gte": int(since.timestamp())},
                "limit": self._page_size,
            }
            while True:
                page = await self._page(params)
                events = [_listed(raw) for raw in page["data"]]
                if events:
                    yield events
                if not page.get("has_more") or not events:
                    break
                params["starting_after"] = events[-1].id

    async def _page(self, params: EventListParams) -> dict[str, Any]:
        response = await call("events.list", self._client.raw_request_async("get", "/v1/events", **params))
        return cast(dict[str, Any], response.data)
