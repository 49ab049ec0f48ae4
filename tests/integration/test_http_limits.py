"""Issue 11 #4: the service reads no more of a request than its real senders need (413), and an
error never echoes more than a clipped snippet of the input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from entrypoints.http.limits import BODY_MAX_BYTES, ECHO_MAX_CHARS, WEBHOOK_BODY_MAX_BYTES
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, assert_problem, rows
from tests.integration.webhook_support import WEBHOOK_PATH, Harness
from tests.support.stripe_events import event, signed, stripe_object

pytest_plugins = ["tests.integration.webhook_support"]  # its fixtures: harness, make_harness

CHECKOUT = "/api/stripe/checkout"


def padded_event(size: int) -> dict[str, object]:
    """A product event whose metadata brings it to about `size` bytes (50 keys, as Stripe allows)."""
    value = "x" * (size // 50)
    return event("product.updated", stripe_object("product", metadata={f"key_{i}": value for i in range(50)}))


async def test_a_webhook_body_over_the_limit_is_413_before_anything_is_stored(harness: Harness) -> None:
    body, header = signed(padded_event(WEBHOOK_BODY_MAX_BYTES + 64 * 1024), "whsec_not_checked_yet")
    assert len(body) > WEBHOOK_BODY_MAX_BYTES

    response = await harness.post_raw(body, header)

    assert_problem(response, 413)
    assert harness.event_count() == 0


async def test_a_chunked_webhook_body_over_the_limit_is_413(stack: Stack) -> None:
    """No Content-Length to refuse up front: reading stops once the limit is passed."""
    chunk = b"x" * (64 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(WEBHOOK_BODY_MAX_BYTES // len(chunk) + 2):
            yield chunk

    async with stack.parallel() as client:  # streams the body in chunks, as a client without a length would
        response = await client.post(WEBHOOK_PATH, content=chunks(), headers={"Stripe-Signature": "t=1,v1=00"})

    assert_problem(response, 413)
    assert await rows(stack.settings.database_url, "SELECT id FROM webhook_events") == []


async def test_a_large_but_real_sized_stripe_event_is_accepted(harness: Harness) -> None:
    """50 metadata keys of 500 characters on one object (Stripe's maximum) fit with room to spare."""
    payload = padded_event(50 * 500)

    await harness.deliver_ok(payload)

    assert harness.event_count() == 1


async def test_a_checkout_body_over_the_limit_is_413_without_a_stripe_call(stack: Stack) -> None:
    body = {"price_id": stack.price_id("starter_template"), "padding": "x" * BODY_MAX_BYTES}

    response = await stack.client.post(CHECKOUT, json=body, headers=stack.auth("user_big_body"))

    assert_problem(response, 413)
    assert stack.calls_under("/v1/") == []


@pytest.mark.parametrize("size", [BODY_MAX_BYTES - 100, 1024 * 1024], ids=["within the limit", "1 MB"])
async def test_a_long_cancellation_reason_is_refused_without_echoing_it(stack: Stack, size: int) -> None:
    reason = "r" * (size - 20)

    response = await stack.client.post(
        "/api/admin/orders/ord_any/cancel", json={"reason": reason}, headers=stack.admin()
    )

    assert response.status_code in (400, 413)
    assert_problem(response, response.status_code)
    assert len(response.content) < 1024
    assert "r" * (ECHO_MAX_CHARS + 1) not in response.text


async def test_an_unknown_field_name_is_clipped_in_the_error(stack: Stack) -> None:
    body = {"price_id": stack.price_id("starter_template"), "f" * 5000: 1}

    response = await stack.client.post(CHECKOUT, json=body, headers=stack.auth("user_long_field"))

    problem = assert_problem(response, 400)
    assert len(response.content) < 1024
    assert problem["errors"][0]["message"].endswith(" characters)")
