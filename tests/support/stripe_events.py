"""Stripe webhook payloads for tests: objects from Stripe's own fixtures3.json (API 2026-07-29 shape,
the fields we read are unchanged at 2026-10-28.endive), wrapped in event envelopes and signed with
the SDK's `WebhookSignature.generate_signature_header`."""

from __future__ import annotations

import copy
import itertools
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import stripe

API_VERSION = "2026-10-28.endive"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe" / "fixtures3.json"
_ids = itertools.count(1)


@cache
def _fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]  # type: ignore[no-any-return]


def stripe_object(resource: str, **overrides: Any) -> dict[str, Any]:
    """A deep copy of Stripe's sample `resource` (e.g. "checkout.session") with top-level overrides."""
    obj = copy.deepcopy(_fixtures()[resource])
    obj.update(overrides)
    return obj  # type: ignore[no-any-return]


def event(
    event_type: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    created: int | None = None,
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    envelope = stripe_object("event")
    envelope.update(
        id=event_id or f"evt_test_{next(_ids):08d}_{int(time.time() * 1000)}",
        type=event_type,
        api_version=API_VERSION,
        created=created or int(time.time()),
        livemode=False,
        pending_webhooks=1,
        data={"object": obj, **({"previous_attributes": previous_attributes} if previous_attributes else {})},
    )
    return envelope


def signed(payload: dict[str, Any] | bytes, secret: str, *, timestamp: int | None = None) -> tuple[bytes, str]:
    """The raw body and its `Stripe-Signature` header."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, timestamp or int(time.time()))
    return body, header


def signed_request(payload: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers Stripe sends it with (signature and JSON content type)."""
    body, header = signed(payload, secret)
    return body, {"Stripe-Signature": header, "Content-Type": "application/json"}
