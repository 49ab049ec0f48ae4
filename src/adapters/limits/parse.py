"""`RATE_LIMIT_*` settings use the `limits` library's notation: "5/10 seconds", "100 per minute"."""

from __future__ import annotations

from limits import parse_many

from application.ports.rate_limiter import RateLimit


def parse_rate_limit(text: str) -> RateLimit:
    """Parse one limit in `limits` notation; raise ValueError naming the accepted form otherwise."""
    try:
        items = parse_many(text.strip())
    except ValueError:
        items = []
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError(f"invalid rate limit {text!r}: expected one limit like '5/10 seconds' or '100 per minute'")
    item = items[0]
    return RateLimit(amount=item.amount, seconds=item.get_expiry())
