"""Stripe SDK exceptions → application errors, at the boundary. Raw Stripe messages can name
account details, so they go to the log, never into the error's client-facing detail."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from typing import TypeVar

import stripe

from application.errors import ApplicationError, Conflict, PaymentProviderRejected, PaymentProviderUnavailable

T = TypeVar("T")
log = logging.getLogger("billing.stripe")


def translate(exc: stripe.StripeError, operation: str) -> ApplicationError:
    log.warning(
        "stripe call failed",
        extra={
            "operation": operation,
            "error": type(exc).__name__,
            "http_status": exc.http_status,
            "code": exc.code,
            "request_id": exc.request_id,
        },
    )
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (exc.http_status or 0) >= 500:
        return PaymentProviderUnavailable("The payment provider is unavailable; please try again shortly.")
    if isinstance(exc, stripe.IdempotencyError):
        # Stripe's 400 idempotency_error: the key's first request had other parameters. The caller's
        # mistake (a client reusing its Idempotency-Key for another body), not a provider failure.
        return Conflict("This idempotency key was already used for a different request; use a new key.")
    if isinstance(exc, stripe.AuthenticationError | stripe.PermissionError):
        return PaymentProviderUnavailable("The payment provider refused our credentials.")
    return PaymentProviderRejected("The payment provider refused the request.")


async def call(operation: str, awaitable: Awaitable[T]) -> T:
    try:
        return await awaitable
    except stripe.StripeError as exc:
        raise translate(exc, operation) from exc


_LINE_PRICE = re.compile(r"line_items\[\d+\]\[price\]")


def refuses_a_line_price(exc: stripe.StripeError) -> bool:
    """Stripe refused a line item's price: unknown, inactive, or of an archived product (the only
    refusals of that parameter, as a line's mode always matches its price's type)."""
    return isinstance(exc, stripe.InvalidRequestError) and bool(_LINE_PRICE.fullmatch(exc.param or ""))


def is_missing(exc: stripe.StripeError) -> bool:
    return isinstance(exc, stripe.InvalidRequestError) and exc.code == "resource_missing"


async def find(operation: str, awaitable: Awaitable[T]) -> T | None:
    """A retrieve whose "no such object" is an answer (None), not an error."""
    try:
        return await awaitable
    except stripe.StripeError as exc:
        if is_missing(exc):
            return None
        raise translate(exc, operation) from exc
