"""A Stripe request's `operation` label: its method and path with object ids replaced by `{id}`
(`POST /v1/payment_intents/{id}/capture`), and its outcome from the answer's status."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from application.ports.metrics import StripeOutcome

# Stripe's path words (versions, resources, namespaces, actions) are lowercase words joined by
# underscores; object ids (`cus_NffrFeUfNV2Hib`, `pi_3Mtw…`) carry digits or capitals.
_PATH_WORD = re.compile(r"v[0-9]|[a-z]+(?:_[a-z]+)*")


def stripe_operation(method: str, url: str) -> str:
    segments = urlsplit(url).path.strip("/").split("/")
    return f"{method.upper()} /" + "/".join(s if _PATH_WORD.fullmatch(s) else "{id}" for s in segments)


def stripe_outcome(status: int) -> StripeOutcome:
    if status < 400:
        return "ok"
    if status == 429:
        return "rate_limited"
    return "client_error" if status < 500 else "server_error"
