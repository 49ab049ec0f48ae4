"""Billing portal sessions."""

from typing import Any

import stripe.params.billing_portal as pb

from sandbox.errors import invalid
from sandbox.ids import new_id
from sandbox.routing import Route, route
from sandbox.state import State
from sandbox.store import Obj


def create_portal_session(state: State, params: dict[str, Any]) -> Obj:
    if "customer" not in params:
        raise invalid("Missing required param: customer.", param="customer")
    state.store.get("customer", params["customer"], "customer")
    session_id = new_id("bps", 24)
    session: Obj = {
        "id": session_id,
        "object": "billing_portal.session",
        "after_expiration": None,
        "configuration": params.get("configuration", "bpc_sandbox"),
        "created": state.now(),
        "customer": params["customer"],
        "customer_account": None,
        "flow": params.get("flow_data"),
        "livemode": False,
        "locale": params.get("locale"),
        "on_behalf_of": params.get("on_behalf_of"),
        "return_url": params.get("return_url"),
        "url": f"{state.public_url}/sandbox/portal/{session_id}",
    }
    return state.store.add(session)


ROUTES: list[Route] = [
    route("POST", "/v1/billing_portal/sessions", pb.SessionCreateParams, create_portal_session),
]
