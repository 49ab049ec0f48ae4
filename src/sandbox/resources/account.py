"""`GET /v1/account`: the account the API key belongs to (what a key check asks)."""

from typing import Any

import stripe.params as p

from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj


def retrieve_current(state: State, params: dict[str, Any]) -> Obj:
    existing = state.store.all("account")
    if existing:
        return existing[0]
    account: Obj = {
        "id": new_id("acct", 16),
        "object": "account",
        "business_profile": {"name": "Sandbox", "url": None},
        "business_type": None,
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "country": "US",
        "created": state.now(),
        "default_currency": "usd",
        "details_submitted": True,
        "email": "sandbox@example.com",
        "payouts_enabled": True,
        "settings": {"dashboard": {"display_name": "Stripe sandbox", "timezone": "Etc/UTC"}},
        "type": "standard",
    }
    return state.store.add(account)


ROUTES: list[Route] = [route("GET", "/v1/account", p.AccountRetrieveCurrentParams, retrieve_current)]
