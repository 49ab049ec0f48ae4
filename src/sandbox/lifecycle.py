"""Moving sandbox time: renewals, scheduled cancellations, lapsed holds, expired Checkout Sessions."""

import copy
from typing import Any

from sandbox.clock import add_interval
from sandbox.resources import checkout, payment_intents, subscription_objects, subscriptions
from sandbox.state import State

HOLD_LIFETIME = 7 * 86400  # card authorizations lapse after seven days


def advance(state: State, seconds: int) -> dict[str, Any]:
    state.clock.advance(seconds)
    now = state.now()
    report: dict[str, Any] = {"now": now, "renewed": [], "ended": [], "lapsed": [], "expired": []}
    for sub in reversed(state.store.all("subscription")):
        while sub["status"] in ("active", "trialing", "past_due"):
            end = subscription_objects.period_end(sub)
            if sub["cancel_at"] is not None and sub["cancel_at"] <= min(now, end):
                subscriptions.cancel(state, {}, sub["id"], at=sub["cancel_at"])
                report["ended"].append(sub["id"])
            elif end <= now:
                before = copy.deepcopy(sub)
                for item in sub["items"]["data"]:
                    recurring = item["price"]["recurring"]
                    item["current_period_start"] = end
                    item["current_period_end"] = add_interval(end, recurring["interval"], recurring["interval_count"])
                state.events.changed("customer.subscription.updated", before, sub)
                report["renewed"].append(sub["id"])
            else:
                break
    for intent in reversed(state.store.all("payment_intent")):
        if intent["status"] == "requires_capture" and intent["created"] + HOLD_LIFETIME <= now:
            payment_intents.cancel(state, {}, intent["id"], reason="automatic")
            report["lapsed"].append(intent["id"])
    for session in reversed(state.store.all("checkout.session")):
        if session["status"] == "open" and session["expires_at"] <= now:
            checkout.expire(state, {}, session["id"])
            report["expired"].append(session["id"])
    return report
